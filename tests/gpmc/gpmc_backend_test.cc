// Tests of GpmcBackend against the fake GPMC (tests/gpmc/fake_gpmc.h), under Wine: one test per
// behaviour of GPMC's asynchronous model the adapter must handle (shared/reference/
// gpmc-async.md), plus name resolution, results and listings. Every test ends with the fake COM
// objects and the adapter's progress objects all released.

#include "service/backends/gpmc/gpmc_backend.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <future>
#include <memory>
#include <optional>
#include <string>

#include "tests/gpmc/fake_gpmc.h"
#include "tests/gpmc/fake_watchdog_clock.h"
#include "tests/gpmc/recording_sink.h"

namespace gpop::gpmc {
namespace {

using testing::AsyncScript;
using testing::FakeMessage;
using testing::FakeWatchdogClock;
using testing::FakeWorld;
using testing::RecordingSink;

constexpr char kDefaultGpo[] = "{31B2F340-016D-11D2-945F-00C04FB984F9}";
constexpr char kBaselineGpo[] = "{6AC1786C-016F-11D2-945F-00C04FB984F9}";
constexpr char kBackup[] = "{11111111-2222-4333-8444-555555555555}";
constexpr char kBackupDir[] = "C:\\gpo-backups";

class GpmcBackendTest : public ::testing::Test {
 protected:
  GpmcBackendTest() {
    world_.AddGpo(kDefaultGpo, "Default Domain Policy");
    world_.AddGpo(kBaselineGpo, "Baseline");
    world_.AddBackupDir(kBackupDir);
    world_.AddBackup(kBackupDir, kBackup, kDefaultGpo, "Default Domain Policy");
    config_.domain = "corp.example.com";
    config_.backup_locations = {{"", kBackupDir}, {"archive", "D:\\archive"}};
    config_.migration_table_dir = "C:\\tables";
    // The watchdogs run on clock_, which moves only when a test advances it.
    config_.watchdog_timeout = kWatchdog;
    config_.cancel_watchdog_timeout = kCancelWatchdog;
  }

  static constexpr std::chrono::minutes kWatchdog{10};
  static constexpr std::chrono::seconds kCancelWatchdog{30};

  void TearDown() override {
    world_.JoinThreads();
    EXPECT_EQ(world_.live(), 0) << "fake GPMC objects leaked";
    if (backend_) {
      EXPECT_EQ(backend_->live_progress_objects(), 0) << "progress objects leaked";
    }
  }

  GpmcBackend& backend(HRESULT factory_hr = S_OK) {
    backend_ = std::make_unique<GpmcBackend>(config_, world_.Factory(factory_hr), &clock_);
    return *backend_;
  }

  core::Outcome Run(core::OperationSpec spec, HRESULT factory_hr = S_OK) {
    core::RunRequest request;
    request.operation_id = "op-1";
    request.spec = std::move(spec);
    return backend(factory_hr).Run(request, sink_, token_);
  }

  // Another run on the same backend (made by an earlier Run), with a token of its own.
  core::Outcome RunAgain(core::OperationSpec spec, const std::string& operation_id) {
    core::RunRequest request;
    request.operation_id = operation_id;
    request.spec = std::move(spec);
    core::CancelToken token;
    RecordingSink sink;
    return backend_->Run(request, sink, token);
  }

  // Runs `spec` on a thread of its own: a run that waits for its watchdog blocks until the test
  // advances the clock.
  std::future<core::Outcome> RunInBackground(core::OperationSpec spec) {
    return std::async(std::launch::async, [this, spec] { return Run(spec); });
  }

  // Resolves when the sink has seen the first progress report (the run has started).
  std::future<void> FirstProgress() {
    auto seen = std::make_shared<std::promise<void>>();
    auto once = std::make_shared<std::once_flag>();
    auto previous = sink_.on_progress;
    sink_.on_progress = [seen, once, previous](int64_t n, int64_t d) {
      if (previous) previous(n, d);
      std::call_once(*once, [&] { seen->set_value(); });
    };
    return seen->get_future();
  }

  // Requests the cancel from inside the first progress report: a known point, no sleeping.
  void CancelOnFirstProgress() {
    sink_.on_progress = [this](int64_t, int64_t) { token_.RequestCancel(); };
  }

  static core::BackupSpec BackupOf(const std::string& guid, std::string comment = "nightly") {
    core::BackupSpec spec;
    spec.gpo.guid = guid;
    spec.comment = std::move(comment);
    return spec;
  }

  static core::RestoreSpec Restore() {
    core::RestoreSpec spec;
    spec.backup.backup_id = kBackup;
    return spec;
  }

  static core::ImportSpec CreateIfNeeded(const std::string& name) {
    core::ImportSpec spec;
    spec.backup.backup_id = kBackup;
    spec.target.display_name = name;
    spec.create_if_needed = true;
    return spec;
  }

  bool Called(const std::string& call) const {
    for (const std::string& c : world_.calls()) {
      if (c == call) return true;
    }
    return false;
  }

  std::string Calls() const {
    std::string all;
    for (const std::string& c : world_.calls()) all += c + "\n";
    return all;
  }

  FakeWatchdogClock clock_;
  FakeWorld world_;
  GpmcConfig config_;
  RecordingSink sink_;
  core::CancelToken token_;
  std::unique_ptr<GpmcBackend> backend_;
};

// --- GPMC's documented behaviour and the undocumented cases ------------------------------------

TEST_F(GpmcBackendTest, StatusFromAnotherThread) {
  AsyncScript script;
  script.delivery = AsyncScript::Delivery::kOtherThread;
  script.progress_steps = 3;
  world_.SetScript(script);

  core::Outcome outcome = Run(BackupOf(kDefaultGpo));

  ASSERT_FALSE(outcome.error) << outcome.error->message;
  EXPECT_EQ(outcome.effects, core::Effects::kApplied);
  EXPECT_EQ(outcome.hresult, 0u);
  const auto* backup = std::get_if<core::BackupInfo>(&outcome.result);
  ASSERT_NE(backup, nullptr);
  EXPECT_EQ(backup->backup_id.rfind("{0000BAC0-", 0), 0u) << backup->backup_id;
  EXPECT_EQ(backup->location, "");
  EXPECT_EQ(backup->gpo_guid, kDefaultGpo);
  EXPECT_EQ(backup->gpo_display_name, "Default Domain Policy");
  EXPECT_EQ(backup->comment, "nightly");
  EXPECT_EQ(backup->domain, "corp.example.com");
  EXPECT_NE(backup->time, std::chrono::system_clock::time_point());
  EXPECT_TRUE(Called("GetDomain(corp.example.com,,0)")) << Calls();
  EXPECT_TRUE(Called(std::string("Backup(") + kDefaultGpo + ",C:\\gpo-backups,nightly)"))
      << Calls();
  const auto progress = sink_.progress();
  ASSERT_EQ(progress.size(), 4u);
  EXPECT_EQ(progress.front(), std::make_pair(int64_t{1}, int64_t{4}));
  EXPECT_EQ(progress.back(), std::make_pair(int64_t{4}, int64_t{4}));
  EXPECT_EQ(world_.CountCalls("Cancel"), 0);
}

TEST_F(GpmcBackendTest, StatusBeforeTheStartingMethodReturns) {
  AsyncScript script;
  script.delivery = AsyncScript::Delivery::kBeforeReturn;
  script.progress_steps = 2;
  world_.SetScript(script);

  core::Outcome outcome = Run(Restore());

  ASSERT_FALSE(outcome.error) << outcome.error->message;
  EXPECT_TRUE(Called("Status before return")) << Calls();
  EXPECT_TRUE(Called(std::string("RestoreGPO(") + kBackup + ",flags=0)")) << Calls();
  EXPECT_EQ(outcome.effects, core::Effects::kApplied);
  const auto* gpo = std::get_if<core::GpoInfo>(&outcome.result);
  ASSERT_NE(gpo, nullptr);
  EXPECT_EQ(gpo->guid, kDefaultGpo);
  EXPECT_EQ(gpo->display_name, "Default Domain Policy");
  EXPECT_EQ(gpo->domain, "corp.example.com");
  EXPECT_EQ(gpo->version, (3u << 16) | 7u);
  EXPECT_EQ(gpo->flags, 2u);  // computer settings disabled
  EXPECT_EQ(sink_.progress().size(), 3u);
}

TEST_F(GpmcBackendTest, ManyProgressCallsThenTheResult) {
  AsyncScript script;
  script.progress_steps = 500;
  world_.SetScript(script);
  core::ReportSpec spec;
  spec.subject = core::GpoRef{kBaselineGpo, ""};
  spec.format = core::ReportFormat::kXml;

  core::Outcome outcome = Run(spec);

  ASSERT_FALSE(outcome.error) << outcome.error->message;
  EXPECT_EQ(outcome.effects, core::Effects::kNone);  // a report changes nothing
  const auto* report = std::get_if<core::ReportInfo>(&outcome.result);
  ASSERT_NE(report, nullptr);
  EXPECT_EQ(report->format, core::ReportFormat::kXml);
  EXPECT_EQ(report->content, std::string("<report gpo=\"") + kBaselineGpo + "\" type=\"0\"/>");
  const auto progress = sink_.progress();
  ASSERT_EQ(progress.size(), 501u);
  for (size_t i = 0; i < progress.size(); ++i) {
    EXPECT_EQ(progress[i].first, static_cast<int64_t>(i + 1));
    EXPECT_EQ(progress[i].second, 501);
  }
}

TEST_F(GpmcBackendTest, FinalFailureWithWarningsAndErrors) {
  AsyncScript script;
  script.progress_steps = 2;
  script.progress_messages = {{"cn={X},cn=policies", static_cast<HRESULT>(0x80070002), "Registry",
                               "Software\\Policies", 7, "a file is missing"}};
  script.final_hr = E_ACCESSDENIED;
  script.final_messages = {
      {"\\\\corp\\sysvol\\x", E_ACCESSDENIED, "Scripts", "", 9, "cannot write the GPT"}};
  world_.SetScript(script);

  core::Outcome outcome = Run(BackupOf(kDefaultGpo));

  ASSERT_TRUE(outcome.error);
  EXPECT_EQ(outcome.error->code, core::Code::kPermissionDenied);
  EXPECT_EQ(outcome.error->reason, core::reason::kAccessDenied);
  EXPECT_EQ(outcome.error->hresult, 0x80070005u);
  EXPECT_EQ(outcome.hresult, 0x80070005u);
  EXPECT_EQ(outcome.error->metadata.count("cancel_requested"), 0u);
  EXPECT_EQ(outcome.effects, core::Effects::kUnknown);  // GPMC promises no rollback
  const auto messages = sink_.messages();
  ASSERT_EQ(messages.size(), 2u);
  ASSERT_EQ(messages[0].messages.size(), 1u);
  EXPECT_EQ(messages[0].messages[0].severity, core::Severity::kWarning);
  EXPECT_EQ(messages[0].messages[0].extension_name, "Registry");
  EXPECT_EQ(messages[0].messages[0].operation_code, 7u);
  EXPECT_EQ(messages[0].hresult, 0u);
  ASSERT_EQ(messages[1].messages.size(), 1u);
  EXPECT_EQ(messages[1].messages[0].severity, core::Severity::kError);
  EXPECT_EQ(messages[1].messages[0].message, "cannot write the GPT");
  EXPECT_EQ(messages[1].messages[0].error_code, 0x80070005u);
  EXPECT_EQ(messages[1].hresult, 0x80070005u);
}

TEST_F(GpmcBackendTest, SynchronousFailureReturn) {
  AsyncScript script;
  script.start_hr = E_ACCESSDENIED;
  world_.SetScript(script);

  core::Outcome outcome = Run(BackupOf(kDefaultGpo));

  ASSERT_TRUE(outcome.error);
  EXPECT_EQ(outcome.error->code, core::Code::kPermissionDenied);
  EXPECT_EQ(outcome.hresult, 0x80070005u);
  EXPECT_EQ(outcome.effects, core::Effects::kNone);  // GPMC refused before doing anything
  EXPECT_NE(outcome.error->message.find("0x80070005"), std::string::npos);
  EXPECT_TRUE(sink_.progress().empty());
}

TEST_F(GpmcBackendTest, CancelThenFinalAbort) {
  AsyncScript script;
  script.wait_for_cancel = true;
  script.final_hr = E_ABORT;
  world_.SetScript(script);
  CancelOnFirstProgress();

  core::Outcome outcome = Run(BackupOf(kDefaultGpo));

  ASSERT_TRUE(outcome.error);
  EXPECT_EQ(outcome.error->code, core::Code::kCancelled);
  EXPECT_EQ(outcome.error->reason, core::reason::kCancelled);
  EXPECT_EQ(outcome.hresult, 0x80004004u);
  EXPECT_EQ(outcome.error->hresult, 0x80004004u);
  EXPECT_EQ(outcome.effects, core::Effects::kUnknown);
  EXPECT_EQ(world_.CountCalls("Cancel"), 1) << Calls();
}

TEST_F(GpmcBackendTest, CancelThenFinalErrorCancelled) {
  AsyncScript script;
  script.wait_for_cancel = true;
  script.final_hr = HRESULT_FROM_WIN32(ERROR_CANCELLED);
  world_.SetScript(script);
  CancelOnFirstProgress();

  core::Outcome outcome = Run(Restore());

  ASSERT_TRUE(outcome.error);
  EXPECT_EQ(outcome.error->code, core::Code::kCancelled);
  EXPECT_EQ(outcome.hresult, 0x800704C7u);
  EXPECT_EQ(outcome.effects, core::Effects::kUnknown);
  EXPECT_EQ(world_.CountCalls("Cancel"), 1);
}

TEST_F(GpmcBackendTest, AbortWithoutACancelRequestIsAFailure) {
  AsyncScript script;
  script.final_hr = E_ABORT;
  world_.SetScript(script);

  core::Outcome outcome = Run(Restore());

  ASSERT_TRUE(outcome.error);
  EXPECT_NE(outcome.error->code, core::Code::kCancelled);
  EXPECT_EQ(outcome.error->code, core::Code::kAborted);
  EXPECT_EQ(outcome.hresult, 0x80004004u);
  EXPECT_EQ(world_.CountCalls("Cancel"), 0);
}

TEST_F(GpmcBackendTest, CancelRacingCompletion) {
  // GPMC finishes the work while the cancel is on its way: the final S_OK arrives from inside
  // Cancel, on the adapter's own thread. The cancel had taken effect (the token refuses the
  // commit), so the operation is CANCELLED, not SUCCEEDED, with the effects GPMC really had.
  AsyncScript script;
  script.wait_for_cancel = true;
  script.final_inside_cancel = true;
  script.final_hr = S_OK;
  world_.SetScript(script);
  CancelOnFirstProgress();

  core::Outcome outcome = Run(BackupOf(kDefaultGpo));

  ASSERT_TRUE(outcome.error);
  EXPECT_EQ(outcome.error->code, core::Code::kCancelled);
  EXPECT_EQ(outcome.error->metadata.at("completed_before_cancel"), "true");
  EXPECT_EQ(outcome.effects, core::Effects::kApplied);  // no rollback claimed
  EXPECT_EQ(world_.CountCalls("Cancel"), 1);
  EXPECT_TRUE(token_.cancel_requested());
  EXPECT_FALSE(token_.committed());
}

TEST_F(GpmcBackendTest, ReportCompletingAfterAnAcceptedCancelChangedNothing) {
  AsyncScript script;
  script.wait_for_cancel = true;
  script.final_inside_cancel = true;
  world_.SetScript(script);
  CancelOnFirstProgress();
  core::ReportSpec spec;
  spec.subject = core::GpoRef{kDefaultGpo, ""};

  core::Outcome outcome = Run(spec);

  ASSERT_TRUE(outcome.error);
  EXPECT_EQ(outcome.error->code, core::Code::kCancelled);
  EXPECT_EQ(outcome.effects, core::Effects::kNone);
}

TEST_F(GpmcBackendTest, RefusedCancelIsReportedAndTheRunGoesOn) {
  // Cancel fails (the fake's cancel_hr): GPMC goes on and completes. The refusal is a warning
  // event with its HRESULT; the accepted token still makes the end CANCELLED, effects APPLIED.
  AsyncScript script;
  script.wait_for_cancel = true;
  script.cancel_hr = E_FAIL;
  script.final_hr = S_OK;
  world_.SetScript(script);
  CancelOnFirstProgress();

  core::Outcome outcome = Run(BackupOf(kDefaultGpo));

  ASSERT_TRUE(outcome.error);
  EXPECT_EQ(outcome.error->code, core::Code::kCancelled);
  EXPECT_EQ(outcome.error->metadata.at("cancel_hresult"), "0x80004005");
  EXPECT_EQ(outcome.effects, core::Effects::kApplied);
  EXPECT_EQ(world_.CountCalls("Cancel"), 1);
  auto calls = sink_.messages();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].hresult, 0x80004005u);
  ASSERT_EQ(calls[0].messages.size(), 1u);
  EXPECT_EQ(calls[0].messages[0].severity, core::Severity::kWarning);
  EXPECT_EQ(calls[0].messages[0].error_code, 0x80004005u);
  EXPECT_NE(calls[0].messages[0].message.find("refused the cancel"), std::string::npos);
}

TEST_F(GpmcBackendTest, RefusedCancelKeepsTheFullWatchdog) {
  AsyncScript script;
  script.wait_for_cancel = true;
  script.cancel_hr = E_FAIL;
  script.hold_until_let_go = true;  // GPMC goes on, silently
  world_.SetScript(script);
  CancelOnFirstProgress();
  auto refused = std::make_shared<std::promise<void>>();
  sink_.on_messages = [refused] { refused->set_value(); };
  const auto start = clock_.Now();

  std::future<core::Outcome> run = RunInBackground(BackupOf(kDefaultGpo));
  refused->get_future().wait();
  clock_.WaitForTimerDueBy(start + kWatchdog);
  EXPECT_EQ(clock_.NextDue(), start + kWatchdog);  // not start + kCancelWatchdog
  clock_.Advance(kWatchdog);
  core::Outcome outcome = run.get();

  ASSERT_TRUE(outcome.error);
  EXPECT_EQ(outcome.error->reason, core::reason::kNoFinalStatus);
  EXPECT_EQ(outcome.error->metadata.at("watchdog_ms"), "600000");
  EXPECT_EQ(outcome.error->metadata.at("cancel_hresult"), "0x80004005");
  EXPECT_EQ(world_.CountCalls("Cancel"), 1);
  world_.LetGo();
}

TEST_F(GpmcBackendTest, FailureOtherThanCancelAfterACancelRequest) {
  AsyncScript script;
  script.wait_for_cancel = true;
  script.final_hr = HRESULT_FROM_WIN32(ERROR_DS_SERVER_DOWN);
  world_.SetScript(script);
  CancelOnFirstProgress();

  core::Outcome outcome = Run(BackupOf(kDefaultGpo));

  ASSERT_TRUE(outcome.error);
  EXPECT_EQ(outcome.error->code, core::Code::kUnavailable);  // FAILED, not CANCELLED
  EXPECT_EQ(outcome.error->metadata.at("cancel_requested"), "true");
  EXPECT_EQ(outcome.hresult, 0x8007203Au);
  EXPECT_EQ(outcome.effects, core::Effects::kUnknown);
  EXPECT_EQ(world_.CountCalls("Cancel"), 1);
}

TEST_F(GpmcBackendTest, NoFinalStatusEndsByTheWatchdog) {
  AsyncScript script;
  script.wait_for_cancel = true;  // and then say nothing more
  script.send_final = false;
  world_.SetScript(script);
  std::future<void> started = FirstProgress();
  const auto start = clock_.Now();

  std::future<core::Outcome> run = RunInBackground(BackupOf(kDefaultGpo));
  started.wait();
  clock_.WaitForTimerDueBy(start + kWatchdog);
  clock_.Advance(kWatchdog - std::chrono::seconds(1));
  EXPECT_EQ(world_.CountCalls("Cancel"), 0);  // not yet: the timer is still pending
  EXPECT_EQ(clock_.NextDue(), start + kWatchdog);
  clock_.Advance(std::chrono::seconds(1));
  core::Outcome outcome = run.get();

  ASSERT_TRUE(outcome.error);
  EXPECT_EQ(outcome.error->code, core::Code::kDeadlineExceeded);
  EXPECT_EQ(outcome.error->reason, core::reason::kNoFinalStatus);
  EXPECT_EQ(outcome.error->metadata.at("watchdog_ms"), "600000");
  EXPECT_EQ(outcome.effects, core::Effects::kUnknown);
  EXPECT_FALSE(outcome.hresult.has_value());
  // The adapter asked GPMC to stop what it may still be doing.
  EXPECT_EQ(world_.CountCalls("Cancel"), 1);
}

TEST_F(GpmcBackendTest, NoFinalStatusAfterACancelRequest) {
  // GPMC accepts the cancel and never reports again: the short post-cancel watchdog ends the
  // run, not the 10-minute one.
  AsyncScript script;
  script.wait_for_cancel = true;
  script.send_final = false;
  world_.SetScript(script);
  CancelOnFirstProgress();
  const auto start = clock_.Now();

  std::future<core::Outcome> run = RunInBackground(Restore());
  clock_.WaitForTimerDueBy(start + kCancelWatchdog);
  clock_.Advance(kCancelWatchdog);
  core::Outcome outcome = run.get();

  ASSERT_TRUE(outcome.error);
  EXPECT_EQ(outcome.error->reason, core::reason::kNoFinalStatus);
  EXPECT_EQ(outcome.error->metadata.at("cancel_watchdog_ms"), "30000");
  EXPECT_EQ(outcome.error->metadata.count("watchdog_ms"), 0u);
  EXPECT_EQ(outcome.error->metadata.at("cancel_requested"), "true");
  EXPECT_EQ(outcome.effects, core::Effects::kUnknown);
  EXPECT_EQ(world_.CountCalls("Cancel"), 1);  // once, not again by the watchdog
}

TEST_F(GpmcBackendTest, ResourcesStayHeldAfterNoFinalStatusUntilGpmcIsDone) {
  // A restore of the Default Domain Policy's backup ends by the watchdog while GPMC goes on
  // (it keeps the progress object). The engine frees its locks; the adapter does not.
  AsyncScript script;
  script.hold_until_let_go = true;
  script.late_final = true;
  script.late_final_hr = S_OK;
  world_.SetScript(script);
  std::future<void> started = FirstProgress();
  const auto start = clock_.Now();
  std::future<core::Outcome> run = RunInBackground(Restore());
  started.wait();
  clock_.WaitForTimerDueBy(start + kWatchdog);
  clock_.Advance(kWatchdog);
  core::Outcome first = run.get();
  ASSERT_TRUE(first.error);
  ASSERT_EQ(first.error->reason, core::reason::kNoFinalStatus);
  EXPECT_NE(first.error->metadata.at("held_resources").find(std::string("gpo:") + kDefaultGpo),
            std::string::npos);
  EXPECT_EQ(backend_->in_doubt_operations(), 1u);

  // Meanwhile: an import into that GPO, and a report on it, are refused before GPMC is touched.
  const int imports = world_.CountCalls("Import");
  core::ImportSpec import;
  import.backup.backup_id = kBackup;
  import.target.guid = kDefaultGpo;
  core::Outcome refused = RunAgain(import, "op-2");
  ASSERT_TRUE(refused.error);
  EXPECT_EQ(refused.error->code, core::Code::kFailedPrecondition);
  EXPECT_EQ(refused.error->reason, kGpmcStillWorking);
  EXPECT_EQ(refused.error->metadata.at("in_doubt_operation"), "op-1");
  EXPECT_EQ(refused.effects, core::Effects::kNone);
  EXPECT_EQ(world_.CountCalls("Import"), imports);
  core::ReportSpec report;
  report.subject = core::GpoRef{"", "Default Domain Policy"};  // by name: resolved, then held
  core::Outcome refused_report = RunAgain(report, "op-3");
  ASSERT_TRUE(refused_report.error);
  EXPECT_EQ(refused_report.error->reason, kGpmcStillWorking);

  // Another GPO is free.
  world_.SetScript(AsyncScript());
  core::ReportSpec other_report;
  other_report.subject = core::GpoRef{kBaselineGpo, ""};
  core::Outcome other = RunAgain(other_report, "op-4");
  EXPECT_FALSE(other.error) << other.error->message;

  // GPMC finishes late (and lets go of the progress object): the hold ends.
  world_.LetGo();
  world_.JoinThreads();
  EXPECT_EQ(backend_->in_doubt_operations(), 0u);
  core::Outcome after = RunAgain(import, "op-5");
  EXPECT_FALSE(after.error) << after.error->message;
}

TEST_F(GpmcBackendTest, NoHoldWhenGpmcLetGoBeforeTheWatchdogEnded) {
  // GPMC released the progress object without a final Status: it cannot report any more, so
  // it is done with the operation and nothing stays held.
  AsyncScript script;
  script.send_final = false;
  world_.SetScript(script);
  std::future<void> started = FirstProgress();
  const auto start = clock_.Now();
  std::future<core::Outcome> run = RunInBackground(Restore());
  started.wait();
  clock_.WaitForTimerDueBy(start + kWatchdog);
  clock_.Advance(kWatchdog);
  core::Outcome outcome = run.get();
  ASSERT_TRUE(outcome.error);
  EXPECT_EQ(outcome.error->reason, core::reason::kNoFinalStatus);
  world_.JoinThreads();  // the fake's delivery thread has let go of its references
  EXPECT_EQ(backend_->in_doubt_operations(), 0u);
}

TEST_F(GpmcBackendTest, OverallStatusFailsWhileTheMethodSucceeded) {
  AsyncScript script;
  script.overall_hr = HRESULT_FROM_WIN32(ERROR_DISK_FULL);
  script.result_messages = {{"C:\\gpo-backups", HRESULT_FROM_WIN32(ERROR_DISK_FULL), "", "", 1,
                             "the backup folder is full"}};
  world_.SetScript(script);

  core::Outcome outcome = Run(BackupOf(kDefaultGpo));

  ASSERT_TRUE(outcome.error);
  EXPECT_EQ(outcome.error->code, core::Code::kResourceExhausted);
  EXPECT_EQ(outcome.hresult, 0x80070070u);
  EXPECT_EQ(outcome.effects, core::Effects::kUnknown);
  EXPECT_TRUE(std::holds_alternative<std::monostate>(outcome.result));
  const auto messages = sink_.messages();
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].hresult, 0x80070070u);
  ASSERT_EQ(messages[0].messages.size(), 1u);
  EXPECT_EQ(messages[0].messages[0].message, "the backup folder is full");
  EXPECT_EQ(messages[0].messages[0].severity, core::Severity::kError);
}

TEST_F(GpmcBackendTest, CreateIfNeededImportFailingAfterTheCreateDeletesTheGpo) {
  AsyncScript script;
  script.final_hr = E_INVALIDARG;
  world_.SetScript(script);
  const size_t gpos_before = world_.gpo_count();

  core::Outcome outcome = Run(CreateIfNeeded("Fresh Baseline"));

  ASSERT_TRUE(outcome.error);
  EXPECT_EQ(outcome.error->code, core::Code::kInvalidArgument);
  EXPECT_EQ(outcome.hresult, 0x80070057u);
  EXPECT_EQ(world_.CountCalls("CreateGPO("), 1) << Calls();
  EXPECT_EQ(world_.CountCalls("Import("), 1) << Calls();
  EXPECT_EQ(world_.CountCalls("Delete("), 1) << Calls();
  const std::string created = outcome.error->metadata.at("created_gpo_deleted");
  EXPECT_TRUE(Called("Delete(" + created + ")")) << Calls();
  EXPECT_EQ(world_.gpo_count(), gpos_before);
  EXPECT_EQ(outcome.effects, core::Effects::kNone);  // the only change was undone
}

TEST_F(GpmcBackendTest, CreateIfNeededImportSucceeds) {
  core::Outcome outcome = Run(CreateIfNeeded("Fresh Baseline"));

  ASSERT_FALSE(outcome.error) << outcome.error->message;
  EXPECT_EQ(outcome.effects, core::Effects::kApplied);
  const auto* gpo = std::get_if<core::GpoInfo>(&outcome.result);
  ASSERT_NE(gpo, nullptr);
  EXPECT_EQ(gpo->display_name, "Fresh Baseline");
  EXPECT_TRUE(Called("put_DisplayName(" + gpo->guid + ",Fresh Baseline)")) << Calls();
  EXPECT_TRUE(Called("Import(" + gpo->guid + ",backup=" + kBackup + ",flags=0,table=none)"))
      << Calls();
  EXPECT_EQ(world_.CountCalls("Delete("), 0);
}

TEST_F(GpmcBackendTest, CreateIfNeededImportsIntoTheExistingGpo) {
  core::Outcome outcome = Run(CreateIfNeeded("Baseline"));

  ASSERT_FALSE(outcome.error) << outcome.error->message;
  EXPECT_EQ(world_.CountCalls("CreateGPO("), 0);
  EXPECT_TRUE(
      Called(std::string("Import(") + kBaselineGpo + ",backup=" + kBackup + ",flags=0,table=none)"))
      << Calls();
}

TEST_F(GpmcBackendTest, ImportFailureIntoAnExistingGpoDeletesNothing) {
  AsyncScript script;
  script.final_hr = E_INVALIDARG;
  world_.SetScript(script);

  core::Outcome outcome = Run(CreateIfNeeded("Baseline"));

  ASSERT_TRUE(outcome.error);
  EXPECT_EQ(world_.CountCalls("Delete("), 0);
  EXPECT_EQ(outcome.effects, core::Effects::kUnknown);
}

// --- Before GPMC starts
// ---------------------------------------------------------------------------

TEST_F(GpmcBackendTest, GpmcNotInstalled) {
  core::Outcome outcome = Run(BackupOf(kDefaultGpo), REGDB_E_CLASSNOTREG);

  ASSERT_TRUE(outcome.error);
  EXPECT_EQ(outcome.error->code, core::Code::kFailedPrecondition);
  EXPECT_EQ(outcome.error->reason, core::reason::kGpmcNotInstalled);
  EXPECT_NE(outcome.error->message.find("GPMC is not installed"), std::string::npos);
  EXPECT_EQ(outcome.hresult, 0x80040154u);
  EXPECT_EQ(outcome.effects, core::Effects::kNone);
}

TEST_F(GpmcBackendTest, CancelBeforeTheStart) {
  token_.RequestCancel();

  core::Outcome outcome = Run(BackupOf(kDefaultGpo));

  ASSERT_TRUE(outcome.error);
  EXPECT_EQ(outcome.error->code, core::Code::kCancelled);
  EXPECT_EQ(outcome.effects, core::Effects::kNone);
  EXPECT_EQ(world_.CountCalls("Backup("), 0) << Calls();
}

// A backup's result says how many bytes GPMC wrote into its folder (gpop_backup_bytes_total);
// where the folder cannot be read the size is unknown, not zero.
TEST_F(GpmcBackendTest, BackupCountsTheBytesOfItsFolder) {
  namespace fs = std::filesystem;
  const fs::path dir =
      fs::temp_directory_path() / ("gpop-gpmc-bytes-" + std::to_string(::GetCurrentProcessId()));
  fs::remove_all(dir);
  ASSERT_TRUE(fs::create_directories(dir));
  config_.backup_locations["real"] = dir.u8string();
  core::BackupSpec spec = BackupOf(kDefaultGpo);
  spec.location = "real";

  core::Outcome outcome = Run(spec);
  ASSERT_FALSE(outcome.error) << outcome.error->message;
  const auto* backup = std::get_if<core::BackupInfo>(&outcome.result);
  ASSERT_NE(backup, nullptr);
  ASSERT_TRUE(fs::is_directory(dir / fs::u8path(backup->backup_id))) << backup->backup_id;
  EXPECT_EQ(backup->bytes_written, std::optional<uint64_t>(testing::kFakeBackupBytes));

  core::Outcome nowhere = RunAgain(BackupOf(kDefaultGpo), "op-2");  // C:\gpo-backups: no folder
  ASSERT_FALSE(nowhere.error) << nowhere.error->message;
  EXPECT_FALSE(std::get<core::BackupInfo>(nowhere.result).bytes_written.has_value());
  fs::remove_all(dir);
}

TEST_F(GpmcBackendTest, GpoByDisplayName) {
  core::BackupSpec spec;
  spec.gpo.display_name = "Baseline";
  spec.location = "";

  core::Outcome outcome = Run(spec);

  ASSERT_FALSE(outcome.error) << outcome.error->message;
  EXPECT_TRUE(Called("SearchGPOs(Baseline)")) << Calls();
  EXPECT_EQ(world_.CountCalls(std::string("Backup(") + kBaselineGpo), 1) << Calls();
}

TEST_F(GpmcBackendTest, GpoNamesThatMatchNothingOrSeveral) {
  core::BackupSpec spec;
  spec.gpo.display_name = "Nobody";
  core::Outcome missing = Run(spec);
  ASSERT_TRUE(missing.error);
  EXPECT_EQ(missing.error->code, core::Code::kNotFound);
  EXPECT_EQ(missing.error->reason, core::reason::kGpoNotFound);

  world_.AddGpo("{7AC1786C-016F-11D2-945F-00C04FB984F9}", "Baseline");
  spec.gpo.display_name = "Baseline";
  core::Outcome ambiguous = Run(spec);
  ASSERT_TRUE(ambiguous.error);
  EXPECT_EQ(ambiguous.error->reason, core::reason::kGpoAmbiguous);
  EXPECT_EQ(world_.CountCalls("Backup("), 0);
}

TEST_F(GpmcBackendTest, GpoOrBackupNotFound) {
  core::Outcome gpo = Run(BackupOf("{00000000-0000-4000-8000-000000000001}"));
  ASSERT_TRUE(gpo.error);
  EXPECT_EQ(gpo.error->code, core::Code::kNotFound);
  EXPECT_EQ(gpo.error->reason, core::reason::kGpoNotFound);
  EXPECT_EQ(gpo.hresult, 0x80070002u);
  EXPECT_EQ(gpo.effects, core::Effects::kNone);

  core::RestoreSpec restore;
  restore.backup.backup_id = "{00000000-0000-4000-8000-000000000002}";
  core::Outcome backup = Run(restore);
  ASSERT_TRUE(backup.error);
  EXPECT_EQ(backup.error->reason, core::reason::kBackupNotFound);

  restore.backup.location = "nowhere";
  core::Outcome location = Run(restore);
  ASSERT_TRUE(location.error);
  EXPECT_EQ(location.error->reason, core::reason::kLocationNotFound);
  EXPECT_FALSE(backend().Validate(restore).ok());
}

TEST_F(GpmcBackendTest, CopyWithMigrationTableAndAcl) {
  core::CopySpec spec;
  spec.source.guid = kBaselineGpo;
  spec.new_display_name = "Baseline (copy)";
  spec.migration_table = "Prod";
  spec.migration_table_only = true;
  spec.copy_acl = true;

  core::Outcome outcome = Run(spec);

  ASSERT_FALSE(outcome.error) << outcome.error->message;
  EXPECT_TRUE(Called("GetMigrationTable(C:\\tables\\Prod.migtable)")) << Calls();
  EXPECT_TRUE(Called(std::string("CopyTo(") + kBaselineGpo +
                     ",name=Baseline (copy),flags=3,table=C:\\tables\\Prod.migtable)"))
      << Calls();
  const auto* gpo = std::get_if<core::GpoInfo>(&outcome.result);
  ASSERT_NE(gpo, nullptr);
  EXPECT_EQ(gpo->display_name, "Baseline (copy)");
  EXPECT_NE(gpo->guid, kBaselineGpo);
}

TEST_F(GpmcBackendTest, ImportByGuidWithMigrationTableOnly) {
  core::ImportSpec spec;
  spec.backup.backup_id = kBackup;
  spec.target.guid = kBaselineGpo;
  spec.migration_table = "Prod.migtable";
  spec.migration_table_only = true;

  core::Outcome outcome = Run(spec);

  ASSERT_FALSE(outcome.error) << outcome.error->message;
  EXPECT_TRUE(Called(std::string("Import(") + kBaselineGpo + ",backup=" + kBackup +
                     ",flags=1,table=C:\\tables\\Prod.migtable)"))
      << Calls();
}

TEST_F(GpmcBackendTest, HtmlReportOfABackup) {
  core::ReportSpec spec;
  spec.subject = core::BackupRef{"", kBackup};
  spec.format = core::ReportFormat::kHtml;

  core::Outcome outcome = Run(spec);

  ASSERT_FALSE(outcome.error) << outcome.error->message;
  const auto* report = std::get_if<core::ReportInfo>(&outcome.result);
  ASSERT_NE(report, nullptr);
  EXPECT_EQ(report->format, core::ReportFormat::kHtml);
  EXPECT_EQ(report->content, std::string("<report backup=\"") + kBackup + "\" type=\"1\"/>");
}

TEST_F(GpmcBackendTest, MigrationTableNeedsAConfiguredDirectory) {
  config_.migration_table_dir.clear();
  core::CopySpec spec;
  spec.source.guid = kBaselineGpo;
  spec.new_display_name = "x";
  spec.migration_table = "Prod";
  EXPECT_FALSE(backend().Validate(spec).ok());
  core::Outcome outcome = Run(spec);
  ASSERT_TRUE(outcome.error);
  EXPECT_EQ(outcome.error->code, core::Code::kFailedPrecondition);
  EXPECT_EQ(world_.CountCalls("CopyTo("), 0);
}

// --- Listings
// -------------------------------------------------------------------------------------

TEST_F(GpmcBackendTest, ListGposAndBackups) {
  auto gpos = backend().ListGpos();
  ASSERT_TRUE(gpos.ok()) << gpos.error().message;
  ASSERT_EQ(gpos->size(), 2u);
  EXPECT_EQ((*gpos)[0].guid, kDefaultGpo);
  EXPECT_EQ((*gpos)[1].display_name, "Baseline");

  core::Backend::BackupQuery query;
  auto all = backend().ListBackups(query);
  ASSERT_TRUE(all.ok()) << all.error().message;
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].backup_id, kBackup);
  EXPECT_EQ((*all)[0].gpo_guid, kDefaultGpo);

  query.gpo.guid = kBaselineGpo;
  auto none = backend().ListBackups(query);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());

  query.location = "nowhere";
  auto bad = backend().ListBackups(query);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().reason, core::reason::kLocationNotFound);
}

}  // namespace
}  // namespace gpop::gpmc
