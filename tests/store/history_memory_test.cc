// Memory does not grow with history: a finished operation's large result (a report's content)
// lives once, in the store, not in the engine's records, events or cursors. The engine runs
// many multi-megabyte reports on the durable store; the process's RSS (VmRSS of
// /proc/self/status) after them is compared with the bytes they produced. A ratio of bytes, no
// timing.

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "service/backends/synthetic/synthetic_backend.h"
#include "service/engine/engine.h"
#include "service/store/sqlite_store.h"
#include "tests/engine/cursor_testing.h"
#include "tests/testing/fixtures.h"

namespace gpop::store {
namespace {

using engine::Cursor;
using engine::Event;
using engine::StreamItem;

constexpr int kReportBytes = 2 << 20;

int64_t RssKib() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoll(line.substr(6));
  }
  return -1;
}

const core::ReportInfo* ReportOf(const core::OperationResult& result) {
  return std::get_if<core::ReportInfo>(&result);
}

class HistoryMemoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = SqliteStore::Open(path_);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    engine_ =
        std::make_unique<engine::Engine>(engine::EngineOptions{}, &backend_, store_.get(), &clock_);
    ASSERT_TRUE(engine_->Recover().ok());
  }

  // Runs one report to its end, reading its whole status stream; returns its id.
  std::string RunReport() {
    engine::StartRequest request;
    request.principal = "alice";
    core::ReportSpec spec;
    spec.subject = core::GpoRef{"", "Workstations"};
    request.spec = spec;
    request.labels = {{"synthetic.steps", "1"},
                      {"synthetic.step_ms", "0"},
                      {"synthetic.report_bytes", std::to_string(kReportBytes)}};
    auto op = engine_->Start(request);
    EXPECT_TRUE(op.ok()) << op.status();
    if (!op.ok()) return "";
    auto cursor = engine_->OpenStatusStream("alice", op->id, 0);
    EXPECT_TRUE(cursor.ok()) << cursor.status();
    if (!cursor.ok()) return "";
    for (;;) {
      Cursor::Next next = gpop::testing::NextBlocking(cursor->get());
      if (auto* end = std::get_if<Cursor::End>(&next)) {
        EXPECT_TRUE(end->status.ok()) << end->status;
        break;
      }
      const auto& item = std::get<StreamItem>(next);
      if (const auto* ev = std::get_if<Event>(&item)) {
        // Events reference the result; they never carry its bytes.
        if (const core::ReportInfo* report = ReportOf(ev->result)) {
          EXPECT_TRUE(report->content.empty()) << "event " << ev->sequence;
        }
      }
    }
    return op->id;
  }

  size_t ContentSize(const std::string& id) {
    auto rec = engine_->Get("tester", id);
    EXPECT_TRUE(rec.ok()) << rec.status();
    if (!rec.ok()) return 0;
    const core::ReportInfo* report = ReportOf(rec->result);
    return report == nullptr ? 0 : report->content.size();
  }

  std::string path_ = (gpop::testing::TempDir("gpop-history") / "operations.db").string();
  synthetic::SyntheticBackend backend_;
  engine::FakeClock clock_;
  std::unique_ptr<SqliteStore> store_;
  std::unique_ptr<engine::Engine> engine_;
};

TEST_F(HistoryMemoryTest, FinishedReportsLeaveRssFlat) {
  constexpr int kWarmup = 8;
  constexpr int kMeasured = 32;
  std::vector<std::string> ids;
  for (int i = 0; i < kWarmup; ++i) {
    ids.push_back(RunReport());
    ASSERT_EQ(ContentSize(ids.back()), static_cast<size_t>(kReportBytes));
  }
  int64_t before = RssKib();
  for (int i = 0; i < kMeasured; ++i) {
    ids.push_back(RunReport());
    ASSERT_EQ(ContentSize(ids.back()), static_cast<size_t>(kReportBytes));
  }
  int64_t after = RssKib();
  ASSERT_GT(before, 0);
  const double produced = static_cast<double>(kMeasured) * kReportBytes;
  const double held = static_cast<double>(after - before) * 1024.0 / produced;
  std::printf(
      "RSS %lld KiB after %d reports, %lld KiB after %d more of %d MiB: %.3f of their "
      "bytes held\n",
      static_cast<long long>(before), kWarmup, static_cast<long long>(after), kMeasured,
      kReportBytes >> 20, held);
  // Before results moved to the store, each report was held about five times (held ~ 5).
  EXPECT_LT(held, 0.25);
  // Every report is still there, from the store.
  EXPECT_EQ(ContentSize(ids.front()), static_cast<size_t>(kReportBytes));
  EXPECT_EQ(engine_->stats().retained_operations, kWarmup + kMeasured);
}

TEST_F(HistoryMemoryTest, ReportContentComesBackFromGetOnlyAndAfterARestart) {
  std::string id = RunReport();
  auto page = engine_->List({});
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->operations.size(), 1u);
  ASSERT_NE(ReportOf(page->operations[0].result), nullptr);
  EXPECT_TRUE(ReportOf(page->operations[0].result)->content.empty());
  EXPECT_EQ(ContentSize(id), static_cast<size_t>(kReportBytes));
  engine_->Shutdown(engine::Duration::zero());
  engine_.reset();
  store_.reset();
  SetUp();
  EXPECT_EQ(ContentSize(id), static_cast<size_t>(kReportBytes));
  auto snap = store_->Load();
  ASSERT_TRUE(snap.ok());
  ASSERT_EQ(snap->operations.size(), 1u);
  EXPECT_TRUE(ReportOf(snap->operations[0].result)->content.empty());
}

}  // namespace
}  // namespace gpop::store
