// The synthetic backend follows its script: steps, failures, commit points and cancels.

#include "service/backends/synthetic/synthetic_backend.h"

#include <gtest/gtest.h>

#include <thread>

namespace gpop::synthetic {
namespace {

class RecordingSink : public core::ProgressSink {
 public:
  void Progress(int64_t n, int64_t d) override {
    last_n = n;
    last_d = d;
    ++progress_calls;
    if (on_progress) on_progress(n);
  }
  void Messages(std::vector<core::StatusMessage> m, std::optional<uint32_t>) override {
    messages += static_cast<int>(m.size());
  }
  int64_t last_n = -1, last_d = -1;
  int progress_calls = 0, messages = 0;
  std::function<void(int64_t)> on_progress;
};

core::RunRequest Request(std::map<std::string, std::string> labels) {
  core::RunRequest r;
  r.operation_id = "op-test";
  core::BackupSpec b;
  b.gpo.display_name = "Workstations";
  r.spec = b;
  r.labels = std::move(labels);
  return r;
}

TEST(SyntheticBackendTest, RunsScriptToSuccess) {
  SyntheticBackend backend;
  RecordingSink sink;
  core::CancelToken cancel;
  core::Outcome out = backend.Run(
      Request({{"synthetic.steps", "4"}, {"synthetic.step_ms", "0"}, {"synthetic.messages", "2"}}),
      sink, cancel);
  EXPECT_FALSE(out.error.has_value());
  EXPECT_EQ(out.effects, core::Effects::kApplied);
  EXPECT_EQ(sink.last_n, 4);
  EXPECT_EQ(sink.last_d, 4);
  EXPECT_EQ(sink.messages, 8);
  ASSERT_TRUE(std::holds_alternative<core::BackupInfo>(out.result));
  EXPECT_EQ(std::get<core::BackupInfo>(out.result).gpo_display_name, "Workstations");
}

TEST(SyntheticBackendTest, ReportIsPaddedToTheAskedSizeAndStaysXml) {
  SyntheticBackend backend;
  RecordingSink sink;
  core::CancelToken cancel;
  core::RunRequest r = Request(
      {{"synthetic.steps", "1"}, {"synthetic.step_ms", "0"}, {"synthetic.report_bytes", "100000"}});
  core::ReportSpec spec;
  spec.subject = core::GpoRef{"", "Workstations"};
  r.spec = spec;
  core::Outcome out = backend.Run(r, sink, cancel);
  ASSERT_FALSE(out.error.has_value());
  const auto& report = std::get<core::ReportInfo>(out.result);
  EXPECT_EQ(report.content.size(), 100000u);
  EXPECT_EQ(report.content.rfind("<?xml", 0), 0u);
  EXPECT_NE(report.content.find("<Name>Synthetic</Name></GPO>"), std::string::npos);
}

TEST(SyntheticBackendTest, FailsAtStep) {
  SyntheticBackend backend;
  RecordingSink sink;
  core::CancelToken cancel;
  core::Outcome out = backend.Run(
      Request({{"synthetic.steps", "5"}, {"synthetic.step_ms", "0"}, {"synthetic.fail_at", "2"}}),
      sink, cancel);
  ASSERT_TRUE(out.error.has_value());
  EXPECT_EQ(out.error->reason, core::reason::kBackendFailure);
  EXPECT_EQ(out.effects, core::Effects::kNone);
  EXPECT_EQ(out.hresult, 0x80004005u);
}

TEST(SyntheticBackendTest, CancelBeforeCommitStops) {
  SyntheticBackend backend;
  RecordingSink sink;
  core::CancelToken cancel;
  sink.on_progress = [&](int64_t n) {
    if (n == 2) cancel.RequestCancel();
  };
  core::Outcome out =
      backend.Run(Request({{"synthetic.steps", "10"}, {"synthetic.step_ms", "0"}}), sink, cancel);
  ASSERT_TRUE(out.error.has_value());
  EXPECT_EQ(out.error->code, core::Code::kCancelled);
  EXPECT_EQ(out.effects, core::Effects::kNone);
  EXPECT_EQ(sink.last_n, 2);
}

TEST(SyntheticBackendTest, CancelDuringLongStepWakesAtOnce) {
  SyntheticBackend backend;
  RecordingSink sink;
  core::CancelToken cancel;
  std::thread canceller([&] { cancel.RequestCancel(); });
  // A ten-minute step: the run only ends because the cancel wakes it.
  core::Outcome out = backend.Run(
      Request({{"synthetic.steps", "1"}, {"synthetic.step_ms", "600000"}}), sink, cancel);
  canceller.join();
  ASSERT_TRUE(out.error.has_value());
  EXPECT_EQ(out.error->code, core::Code::kCancelled);
}

TEST(SyntheticBackendTest, CancelAfterCommitIsIgnored) {
  SyntheticBackend backend;
  RecordingSink sink;
  core::CancelToken cancel;
  sink.on_progress = [&](int64_t n) {
    if (n == 1) EXPECT_FALSE(cancel.RequestCancel());  // already committed at step 1
  };
  core::Outcome out = backend.Run(
      Request({{"synthetic.steps", "3"}, {"synthetic.step_ms", "0"}, {"synthetic.commit_at", "1"}}),
      sink, cancel);
  EXPECT_FALSE(out.error.has_value());
  EXPECT_EQ(out.effects, core::Effects::kApplied);
}

TEST(SyntheticBackendTest, BadLabelsAreInvalidArgument) {
  auto s = ScriptFromLabels({}, {{"synthetic.steps", "many"}});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, core::Code::kInvalidArgument);
  EXPECT_EQ(s.error().metadata.at("field"), "labels.synthetic.steps");
  EXPECT_FALSE(ScriptFromLabels({}, {{"synthetic.unknown", "1"}}).ok());
  EXPECT_TRUE(ScriptFromLabels({}, {{"team", "x"}}).ok());
}

TEST(CancelTokenTest, CancelAndCommitRaceHasOneWinner) {
  for (int i = 0; i < 200; ++i) {
    core::CancelToken token;
    bool cancelled = false, committed = false;
    std::thread a([&] { cancelled = token.RequestCancel(); });
    std::thread b([&] { committed = token.BeginCommit(); });
    a.join();
    b.join();
    EXPECT_NE(cancelled, committed);
  }
}

TEST(CancelTokenTest, SubscribersRunOnceEvenWhenLate) {
  core::CancelToken token;
  int early = 0, late = 0;
  auto id = token.Subscribe([&] { ++early; });
  EXPECT_TRUE(token.RequestCancel());
  EXPECT_FALSE(token.RequestCancel());
  token.Subscribe([&] { ++late; });
  token.Unsubscribe(id);
  EXPECT_EQ(early, 1);
  EXPECT_EQ(late, 1);
}

}  // namespace
}  // namespace gpop::synthetic
