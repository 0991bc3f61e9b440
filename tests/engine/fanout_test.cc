// Wake fan-out: a watch cursor is woken only by events its filter can match.

#include <gtest/gtest.h>

#include "service/engine/engine.h"
#include "service/store/memory_store.h"
#include "tests/engine/gate_backend.h"

namespace gpop::engine {
namespace {

TEST(FanOutTest, AWatchIsWokenOnlyByEventsItsFilterMatches) {
  FakeClock clock;
  gpop::testing::GateBackend backend;
  store::MemoryStore store;
  Engine engine(EngineOptions{}, &backend, &store, &clock);
  ASSERT_TRUE(engine.Recover().ok());
  auto all = engine.OpenWatch("alice", 0, "");
  auto restores = engine.OpenWatch("alice", 0, "kind=restore");
  ASSERT_TRUE(all.ok() && restores.ok());
  core::Mutex mu;
  core::CondVar cv;
  int all_woken = 0, restores_woken = 0;
  ASSERT_TRUE((*all)->Arm([&] {
    core::MutexLock lock(&mu);
    ++all_woken;
    cv.SignalAll();
  }));
  ASSERT_TRUE((*restores)->Arm([&] {
    core::MutexLock lock(&mu);
    ++restores_woken;
  }));
  StartRequest r;
  r.principal = "alice";
  core::BackupSpec b;
  b.gpo.guid = "{AAAAAAAA-0000-0000-0000-000000000001}";
  r.spec = b;
  ASSERT_TRUE(engine.Start(r).ok());  // a backup: matches "" only
  {
    core::MutexLock lock(&mu);
    while (all_woken == 0) cv.Wait(&mu);
  }
  restores->reset();  // waits for a wake in flight: after it, the count is final
  core::MutexLock lock(&mu);
  EXPECT_EQ(restores_woken, 0);
  EXPECT_EQ(all_woken, 1);
}

}  // namespace
}  // namespace gpop::engine
