// Timers hand blocking work to the engine's maintenance thread: the clock's thread never writes
// the store (deadline cancels, retention deletes), and count-based retention removes the oldest.

#include <gtest/gtest.h>

#include "service/engine/engine.h"
#include "service/engine/status_convert.h"
#include "service/store/memory_store.h"
#include "tests/engine/cursor_testing.h"
#include "tests/engine/gate_backend.h"
#include "tests/store/forwarding_store.h"

namespace gpop::engine {
namespace {

using core::OperationState;

thread_local bool on_clock_thread = false;

// A memory store that counts the calls made from inside FakeClock::Advance.
class ClockWatchingStore final : public gpop::testing::ForwardingStore {
 public:
  ClockWatchingStore() : ForwardingStore(&inner_) {}
  absl::Status Commit(const std::vector<Change>& batch) override {
    Count();
    return ForwardingStore::Commit(batch);
  }
  absl::Status Delete(const std::string& id, engine::Removal why) override {
    Count();
    return ForwardingStore::Delete(id, why);
  }
  int calls_on_clock() {
    core::MutexLock lock(&mu_);
    return calls_on_clock_;
  }

 private:
  void Count() {
    core::MutexLock lock(&mu_);
    if (on_clock_thread) ++calls_on_clock_;
  }
  store::MemoryStore inner_;
  core::Mutex mu_;
  int calls_on_clock_ GPOP_GUARDED_BY(mu_) = 0;
};

core::OperationSpec BackupOf(const std::string& guid) {
  core::BackupSpec b;
  b.gpo.guid = guid;
  return b;
}

void DrainToEnd(Cursor* cursor) {
  while (!std::holds_alternative<Cursor::End>(gpop::testing::NextBlocking(cursor))) {
  }
}

TEST(MaintenanceTest, TimersNeverWriteTheStoreOnTheClockThread) {
  FakeClock clock;
  gpop::testing::GateBackend backend;
  backend.set_stop_on_cancel(true);
  ClockWatchingStore store;
  EngineOptions o;
  o.executor_threads = 1;
  o.retention = std::chrono::minutes(30);
  Engine engine(o, &backend, &store, &clock);
  ASSERT_TRUE(engine.Recover().ok());

  StartRequest r;
  r.principal = "alice";
  r.spec = BackupOf("{AAAAAAAA-0000-0000-0000-000000000001}");
  auto finished = engine.Start(r);
  ASSERT_TRUE(finished.ok());
  backend.Open(finished->id);
  DrainToEnd(engine.OpenStatusStream("alice", finished->id, 0)->get());

  r.timeout = std::chrono::seconds(10);
  auto running = engine.Start(r);
  ASSERT_TRUE(running.ok());
  backend.WaitStarted(running->id);
  r.spec = BackupOf("{BBBBBBBB-0000-0000-0000-000000000002}");
  r.timeout = std::chrono::seconds(5);  // due first: it never gets the running one's slot
  auto queued = engine.Start(r);        // one executor thread: stays queued
  ASSERT_TRUE(queued.ok());

  on_clock_thread = true;
  clock.Advance(std::chrono::minutes(20));  // both deadlines
  on_clock_thread = false;
  engine.AwaitMaintenance();
  DrainToEnd(engine.OpenStatusStream("alice", running->id, 0)->get());
  auto timed_out = engine.Get("tester", running->id);
  ASSERT_TRUE(timed_out.ok());
  ASSERT_TRUE(timed_out->error.has_value());
  EXPECT_EQ(timed_out->error->code, core::Code::kDeadlineExceeded);
  auto never_ran = engine.Get("tester", queued->id);
  ASSERT_TRUE(never_ran.ok());
  EXPECT_EQ(never_ran->state, OperationState::kFailed);
  ASSERT_TRUE(never_ran->error.has_value());
  EXPECT_EQ(never_ran->error->code, core::Code::kDeadlineExceeded);

  on_clock_thread = true;
  clock.Advance(std::chrono::minutes(20));  // retention of the finished one
  on_clock_thread = false;
  engine.AwaitMaintenance();
  EXPECT_EQ(ToError(engine.Get("tester", finished->id).status()).reason,
            core::reason::kOperationExpired);
  EXPECT_EQ(store.calls_on_clock(), 0);
  engine.Shutdown(Duration::zero());
}

TEST(MaintenanceTest, CountRetentionRemovesTheOldestFinished) {
  FakeClock clock;
  gpop::testing::GateBackend backend;
  store::MemoryStore store;
  EngineOptions o;
  o.retained_operations = 2;
  Engine engine(o, &backend, &store, &clock);
  ASSERT_TRUE(engine.Recover().ok());
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    StartRequest r;
    r.principal = "alice";
    r.spec = BackupOf("{AAAAAAAA-0000-0000-0000-000000000001}");
    auto rec = engine.Start(r);
    ASSERT_TRUE(rec.ok());
    backend.Open(rec->id);
    DrainToEnd(engine.OpenStatusStream("alice", rec->id, 0)->get());
    ids.push_back(rec->id);
    engine.AwaitMaintenance();
  }
  EXPECT_EQ(engine.stats().retained_operations, 2);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(ToError(engine.Get("tester", ids[i]).status()).reason,
              core::reason::kOperationExpired)
        << i;
  }
  EXPECT_TRUE(engine.Get("tester", ids[3]).ok());
  EXPECT_TRUE(engine.Get("tester", ids[4]).ok());
  auto snap = store.Load();
  ASSERT_TRUE(snap.ok());
  EXPECT_EQ(snap->operations.size(), 2u);  // removed from the store too
  engine.Shutdown(Duration::zero());
}

}  // namespace
}  // namespace gpop::engine
