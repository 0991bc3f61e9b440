// A backend whose Recover answers for every run (Backend::RecoversEveryRun) may begin a run
// taken from the queue before its RUNNING event is durable; recovery then asks it about QUEUED
// operations too, so that a run whose RUNNING event a crash took is resolved by the backend, not
// run twice. Nothing is visible before it is durable either way.

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "service/engine/engine.h"
#include "service/store/memory_store.h"
#include "tests/engine/cursor_testing.h"
#include "tests/engine/gate_backend.h"
#include "tests/engine/holding_store.h"
#include "tests/engine/parts_testing.h"

namespace gpop::engine {
namespace {

using core::OperationState;
using testing::NextBlocking;

using gpop::testing::BackupRequest;

// What a rolled-forward run published.
constexpr char kPublishedGpo[] = "{BBBBBBBB-0000-0000-0000-000000000002}";

// The states of the events of `id`'s status stream, to its end.
std::vector<OperationState> StatesToEnd(Engine& engine, const std::string& id) {
  auto cursor = engine.OpenStatusStream("alice", id, 0);
  EXPECT_TRUE(cursor.ok()) << cursor.status();
  std::vector<OperationState> states;
  if (!cursor.ok()) return states;
  for (;;) {
    Cursor::Next next = NextBlocking(cursor->get());
    if (std::holds_alternative<Cursor::End>(next)) return states;
    if (auto* ev = std::get_if<Event>(&std::get<StreamItem>(next))) states.push_back(ev->state);
  }
}

TEST(EarlyRunTest, ARunFromTheQueueBeginsWhileItsRunningCommitIsHeld) {
  FakeClock clock;
  gpop::testing::GateBackend backend;
  backend.set_recovers_every_run(true);
  HoldingStore store;
  EngineOptions o;
  o.executor_threads = 1;
  Engine engine(o, &backend, &store, &clock);
  ASSERT_TRUE(engine.Recover().ok());
  absl::StatusOr<OperationRecord> first = engine.Start(BackupRequest(1));
  ASSERT_TRUE(first.ok()) << first.status();
  backend.WaitStarted(first->id);
  absl::StatusOr<OperationRecord> second = engine.Start(BackupRequest(2));
  ASSERT_TRUE(second.ok()) << second.status();  // QUEUED and durable: the slot is taken

  store.Hold();
  backend.Open(first->id);
  // The first run's end and the second's RUNNING are in the held commit...
  EXPECT_EQ(store.AwaitHeld(),
            (std::vector<OperationState>{OperationState::kSucceeded, OperationState::kRunning}));
  // ...and the second run begins all the same (with a backend that does not answer for every
  // run, it would wait here for the commit).
  backend.WaitStarted(second->id);
  // Nothing of the held commit is visible.
  EXPECT_EQ(engine.Get("alice", second->id)->state, OperationState::kQueued);
  EXPECT_EQ(engine.Get("alice", first->id)->state, OperationState::kRunning);
  store.Release();
  backend.Open(second->id);
  EXPECT_EQ(StatesToEnd(engine, second->id),
            (std::vector<OperationState>{OperationState::kQueued, OperationState::kRunning,
                                         OperationState::kSucceeded}));
  engine.Shutdown(Duration::zero());
}

// What the store holds after a crash that took the RUNNING events of two runs from the queue:
// both operations are QUEUED in it.
struct Crashed {
  store::MemoryStore store;
  std::string applied;    // its run had published before the crash
  std::string untouched;  // its run had left no effects
};

void MakeCrashed(Crashed* crashed) {
  FakeClock clock;
  gpop::testing::GateBackend backend;
  EngineOptions o;
  o.executor_threads = 1;
  Engine engine(o, &backend, &crashed->store, &clock);
  ASSERT_TRUE(engine.Recover().ok());
  absl::StatusOr<OperationRecord> busy = engine.Start(BackupRequest(1));
  ASSERT_TRUE(busy.ok());
  backend.WaitStarted(busy->id);
  absl::StatusOr<OperationRecord> a = engine.Start(BackupRequest(2));
  absl::StatusOr<OperationRecord> b = engine.Start(BackupRequest(3));
  ASSERT_TRUE(a.ok() && b.ok());
  crashed->applied = a->id;
  crashed->untouched = b->id;
  // Shutdown keeps queued operations QUEUED in the store, as a crash before their RUNNING
  // commit leaves them; the busy run is cancelled.
  engine.Shutdown(Duration::zero());
}

TEST(EarlyRunTest, RecoveryAsksTheBackendAboutQueuedOperations) {
  Crashed crashed;
  MakeCrashed(&crashed);
  if (HasFatalFailure()) return;
  FakeClock clock;
  gpop::testing::GateBackend backend;
  backend.set_recovers_every_run(true);
  core::Outcome published;
  core::GpoInfo gpo;
  gpo.guid = kPublishedGpo;
  published.result = gpo;
  published.effects = core::Effects::kApplied;
  backend.SetRecovered(crashed.applied, published);
  Engine engine(EngineOptions{}, &backend, &crashed.store, &clock);
  ASSERT_TRUE(engine.Recover().ok());

  // Rolled forward by the backend: it ends as the crashed run did, and is not run again.
  EXPECT_EQ(StatesToEnd(engine, crashed.applied),
            (std::vector<OperationState>{OperationState::kQueued, OperationState::kRunning,
                                         OperationState::kSucceeded}));
  absl::StatusOr<OperationRecord> applied = engine.Get("alice", crashed.applied);
  ASSERT_TRUE(applied.ok());
  EXPECT_EQ(applied->effects, core::Effects::kApplied);
  EXPECT_EQ(std::get<core::GpoInfo>(applied->result).guid, kPublishedGpo);
  EXPECT_FALSE(backend.started(crashed.applied));

  // No effects: it runs again, as every QUEUED operation does.
  EXPECT_TRUE(backend.asked_to_recover(crashed.untouched));
  backend.WaitStarted(crashed.untouched);
  backend.Open(crashed.untouched);
  EXPECT_EQ(StatesToEnd(engine, crashed.untouched).back(), OperationState::kSucceeded);
  engine.Shutdown(Duration::zero());
}

TEST(EarlyRunTest, WithoutItQueuedOperationsAreNotAskedAbout) {
  Crashed crashed;
  MakeCrashed(&crashed);
  if (HasFatalFailure()) return;
  FakeClock clock;
  gpop::testing::GateBackend backend;
  Engine engine(EngineOptions{}, &backend, &crashed.store, &clock);
  ASSERT_TRUE(engine.Recover().ok());
  // Both run again, without the backend being asked about them.
  backend.Open(crashed.applied);
  backend.Open(crashed.untouched);
  EXPECT_EQ(StatesToEnd(engine, crashed.applied).back(), OperationState::kSucceeded);
  EXPECT_EQ(StatesToEnd(engine, crashed.untouched).back(), OperationState::kSucceeded);
  EXPECT_TRUE(backend.started(crashed.applied));
  EXPECT_TRUE(backend.started(crashed.untouched));
  EXPECT_FALSE(backend.asked_to_recover(crashed.applied));
  EXPECT_FALSE(backend.asked_to_recover(crashed.untouched));
  engine.Shutdown(Duration::zero());
}

}  // namespace
}  // namespace gpop::engine
