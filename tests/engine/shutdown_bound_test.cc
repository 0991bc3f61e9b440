// Shutdown has an upper bound: a backend that ignores cancel no longer keeps the engine (and
// gpopd) up past grace + shutdown_cancel_bound. The operation stays CANCELLING in the store and
// the next start's Recover ends it.

#include <gtest/gtest.h>

#include <thread>

#include "service/engine/engine.h"
#include "service/store/memory_store.h"
#include "tests/engine/cursor_testing.h"
#include "tests/engine/gate_backend.h"

namespace gpop::engine {
namespace {

using core::OperationState;

TEST(ShutdownBoundTest, ABackendIgnoringCancelIsAbandonedAndRecoveredAtTheNextStart) {
  FakeClock clock;
  // Static: the abandoned run returns into it after the first engine is gone.
  static gpop::testing::GateBackend* backend = new gpop::testing::GateBackend();
  backend->set_stop_on_cancel(false);  // ignores cancel
  store::MemoryStore store;
  EngineOptions o;
  o.shutdown_cancel_bound = std::chrono::seconds(5);
  std::string id;
  {
    Engine engine(o, backend, &store, &clock);
    ASSERT_TRUE(engine.Recover().ok());
    StartRequest r;
    r.principal = "alice";
    core::BackupSpec b;
    b.gpo.guid = "{AAAAAAAA-0000-0000-0000-000000000001}";
    r.spec = b;
    auto rec = engine.Start(r);
    ASSERT_TRUE(rec.ok());
    id = rec->id;
    backend->WaitStarted(id);
    size_t timers_before = clock.pending_timers();
    bool returned = false;
    core::Mutex mu;
    std::thread stopper([&] {
      engine.Shutdown(std::chrono::seconds(30));
      core::MutexLock lock(&mu);
      returned = true;
    });
    // Grace and bound timers scheduled.
    while (clock.pending_timers() < timers_before + 2) std::this_thread::yield();
    clock.Advance(std::chrono::seconds(31));  // grace over: cancel requested, ignored
    engine.AwaitMaintenance();
    {
      core::MutexLock lock(&mu);
      EXPECT_FALSE(returned);  // within the bound, shutdown still waits
    }
    clock.Advance(std::chrono::seconds(5));  // the bound
    stopper.join();
    auto got = engine.Get("tester", id);
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(got->state, OperationState::kCancelling);
  }
  // The engine is gone; the abandoned run returns now, and must change nothing.
  backend->Open(id);
  backend->WaitFinished(id);
  auto snap = store.Load();
  ASSERT_TRUE(snap.ok());
  ASSERT_EQ(snap->operations.size(), 1u);
  EXPECT_EQ(snap->operations[0].state, OperationState::kCancelling);

  // The next start resolves it: CANCELLED, effects NONE.
  backend->set_stop_on_cancel(true);
  Engine again(o, backend, &store, &clock);
  ASSERT_TRUE(again.Recover().ok());
  auto got = again.Get("tester", id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->state, OperationState::kCancelled);
  EXPECT_EQ(got->effects, core::Effects::kNone);
  again.Shutdown(Duration::zero());
}

}  // namespace
}  // namespace gpop::engine
