// The committer's hold (EngineOptions::end_commit_hold): with a store whose commits block, a
// run's end that nobody waits for waits for the next commit something awaited asks for (a
// Start's) and rides in it: one store commit for both. The hold ends at its bound on the
// engine's clock, never begins while a status stream of the operation or a client's watch is
// open (gpopd's own followers do not count), ends when one opens, and shutdown commits it.

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "service/core/mutex.h"
#include "service/engine/engine.h"
#include "service/store/memory_store.h"
#include "tests/engine/cursor_testing.h"
#include "tests/engine/parts_testing.h"
#include "tests/store/forwarding_store.h"

namespace gpop::engine {
namespace {

using core::OperationState;
using gpop::testing::BackupRequest;
using gpop::testing::PartsHarness;

constexpr Duration kHold = std::chrono::milliseconds(5);

EngineOptions HoldOptions() {
  EngineOptions o;
  o.end_commit_hold = kHold;
  return o;
}

// A memory store whose commits block (as SQLite's fsync does: the engine then commits on its
// flusher thread) and which records every batch it commits: (operation id, event state).
class CountingStore final : public gpop::testing::ForwardingStore {
 public:
  using Batch = std::vector<std::pair<std::string, OperationState>>;
  CountingStore() : ForwardingStore(&inner_) {}
  bool CommitBlocks() const override { return true; }
  absl::Status Commit(const std::vector<Change>& batch) override {
    absl::Status s = ForwardingStore::Commit(batch);
    Batch seen;
    for (const Change& change : batch) {
      if (change.event) seen.emplace_back(change.record.id, change.event->state);
    }
    core::MutexLock lock(&mu_);
    batches_.push_back(std::move(seen));
    cv_.SignalAll();
    return s;
  }
  // Waits until `n` commits were made; returns the batches.
  std::vector<Batch> AwaitCommits(size_t n) {
    core::MutexLock lock(&mu_);
    while (batches_.size() < n) cv_.Wait(&mu_);
    return batches_;
  }
  size_t commits() {
    core::MutexLock lock(&mu_);
    return batches_.size();
  }

 private:
  store::MemoryStore inner_;
  core::Mutex mu_;
  core::CondVar cv_;
  std::vector<Batch> batches_ GPOP_GUARDED_BY(mu_);
};

// The state of `id` as callers see it (the durable record).
OperationState VisibleState(PartsHarness& h, const std::string& id) {
  absl::StatusOr<OperationRecord> rec = h.parts().reads.Get(id);
  EXPECT_TRUE(rec.ok()) << rec.status();
  return rec.ok() ? rec->state : OperationState::kQueued;
}

// Starts an operation (its QUEUED and RUNNING in one commit, answered once durable) and waits
// until its run is at the gate.
std::string StartRunning(PartsHarness& h, int n) {
  absl::StatusOr<OperationRecord> rec = h.parts().admission.Start(BackupRequest(n));
  EXPECT_TRUE(rec.ok()) << rec.status();
  if (!rec.ok()) return "";
  h.backend().WaitStarted(rec->id);
  return rec->id;
}

TEST(CommitHoldTest, AHeldEndRidesInTheNextStartsCommit) {
  CountingStore store;
  PartsHarness h(HoldOptions(), &store);
  const std::string a = StartRunning(h, 1);
  ASSERT_EQ(store.commits(), 1u);
  h.backend().Open(a);
  h.parts().committer.AwaitHolding();  // the executor appended the end and held it
  EXPECT_EQ(store.commits(), 1u);
  EXPECT_EQ(VisibleState(h, a), OperationState::kRunning);  // not visible before it is durable

  absl::StatusOr<OperationRecord> b = h.parts().admission.Start(BackupRequest(2));
  ASSERT_TRUE(b.ok()) << b.status();
  std::vector<CountingStore::Batch> batches = store.AwaitCommits(2);
  ASSERT_EQ(batches.size(), 2u);
  const CountingStore::Batch want = {{a, OperationState::kSucceeded},
                                     {b->id, OperationState::kQueued},
                                     {b->id, OperationState::kRunning}};
  EXPECT_EQ(batches[1], want);  // one commit for the end and the Start
  EXPECT_EQ(VisibleState(h, a), OperationState::kSucceeded);
  h.backend().WaitStarted(b->id);
  h.backend().Open(b->id);
  h.parts().committer.AwaitHolding();
  h.Stop();  // commits b's held end (TheEnginesDestructionCommitsTheHeldEnd)
  EXPECT_EQ(store.commits(), 3u);
}

TEST(CommitHoldTest, AHoldEndsAtItsBound) {
  CountingStore store;
  PartsHarness h(HoldOptions(), &store);
  const std::string a = StartRunning(h, 1);
  h.backend().Open(a);
  h.parts().committer.AwaitHolding();
  // Short of the bound the timer has not fired (the fake clock runs timers on this thread, so
  // nothing asked for the flush).
  h.clock().Advance(kHold - std::chrono::microseconds(1));
  EXPECT_TRUE(h.parts().committer.holding());
  EXPECT_EQ(store.commits(), 1u);
  h.clock().Advance(std::chrono::microseconds(1));
  std::vector<CountingStore::Batch> batches = store.AwaitCommits(2);
  const CountingStore::Batch want = {{a, OperationState::kSucceeded}};
  EXPECT_EQ(batches[1], want);
  EXPECT_FALSE(h.parts().committer.holding());
  // Visible once the flusher applied the commit: a status stream sees it without a hold.
  EXPECT_EQ(h.RunToEnd(a).state, OperationState::kSucceeded);
}

TEST(CommitHoldTest, WithoutTheOptionNothingIsHeld) {
  CountingStore store;
  PartsHarness h(EngineOptions{}, &store);
  const std::string a = StartRunning(h, 1);
  h.backend().Open(a);
  std::vector<CountingStore::Batch> batches = store.AwaitCommits(2);
  const CountingStore::Batch want = {{a, OperationState::kSucceeded}};
  EXPECT_EQ(batches[1], want);
}

TEST(CommitHoldTest, AnOpenStatusStreamKeepsItsOperationsEndFromBeingHeld) {
  CountingStore store;
  PartsHarness h(HoldOptions(), &store);
  const std::string a = StartRunning(h, 1);
  auto cursor = h.parts().streams.OpenStatusStream("alice", a, 0);
  ASSERT_TRUE(cursor.ok()) << cursor.status();
  h.backend().Open(a);
  // Committed without a Start and without the clock moving: the watcher gets it at once.
  std::vector<CountingStore::Batch> batches = store.AwaitCommits(2);
  const CountingStore::Batch want = {{a, OperationState::kSucceeded}};
  EXPECT_EQ(batches[1], want);
  EXPECT_FALSE(h.parts().committer.holding());
}

TEST(CommitHoldTest, AnOpenClientWatchKeepsEveryEndFromBeingHeld) {
  CountingStore store;
  PartsHarness h(HoldOptions(), &store);
  const std::string a = StartRunning(h, 1);
  auto watch = h.parts().streams.OpenWatch("alice", 0, "");
  ASSERT_TRUE(watch.ok()) << watch.status();
  h.backend().Open(a);
  std::vector<CountingStore::Batch> batches = store.AwaitCommits(2);
  const CountingStore::Batch want = {{a, OperationState::kSucceeded}};
  EXPECT_EQ(batches[1], want);
}

TEST(CommitHoldTest, AnOpenFollowerDoesNotKeepTheHoldFromBeginning) {
  CountingStore store;
  PartsHarness h(HoldOptions(), &store);
  const std::string a = StartRunning(h, 1);
  auto follower = h.parts().streams.OpenWatch("gpopd-log", 0, "", Engine::WatchFor::kFollower);
  ASSERT_TRUE(follower.ok()) << follower.status();
  h.backend().Open(a);
  h.parts().committer.AwaitHolding();
  EXPECT_EQ(store.commits(), 1u);
  h.clock().Advance(kHold);  // the bound: committed, and the follower sees it
  store.AwaitCommits(2);
  std::vector<OperationState> seen;
  while (seen.empty() || seen.back() != OperationState::kSucceeded) {
    Cursor::Next next = gpop::testing::NextBlocking(follower->get());
    ASSERT_TRUE(std::holds_alternative<StreamItem>(next));
    if (auto* ev = std::get_if<Event>(&std::get<StreamItem>(next))) seen.push_back(ev->state);
  }
  EXPECT_EQ(seen, (std::vector<OperationState>{OperationState::kQueued, OperationState::kRunning,
                                               OperationState::kSucceeded}));
}

TEST(CommitHoldTest, AStreamOpeningEndsTheHold) {
  CountingStore store;
  PartsHarness h(HoldOptions(), &store);
  const std::string a = StartRunning(h, 1);
  h.backend().Open(a);
  h.parts().committer.AwaitHolding();
  EXPECT_EQ(store.commits(), 1u);
  // The clock stays where it is: the stream's opening asks for the commit.
  EXPECT_EQ(h.RunToEnd(a).state, OperationState::kSucceeded);
  EXPECT_EQ(store.commits(), 2u);
}

TEST(CommitHoldTest, CancelOfAnOperationWhoseEndIsHeldEndsTheHold) {
  CountingStore store;
  PartsHarness h(HoldOptions(), &store);
  const std::string a = StartRunning(h, 1);
  h.backend().Open(a);
  h.parts().committer.AwaitHolding();
  absl::StatusOr<OperationRecord> cancelled = h.parts().cancellation.Cancel("alice", a);
  ASSERT_TRUE(cancelled.ok()) << cancelled.status();
  EXPECT_EQ(cancelled->state, OperationState::kRunning);  // what was durable when it asked
  std::vector<CountingStore::Batch> batches = store.AwaitCommits(2);
  const CountingStore::Batch want = {{a, OperationState::kSucceeded}};
  EXPECT_EQ(batches[1], want);
}

TEST(CommitHoldTest, AWaitDurableCallerEndsTheHold) {
  CountingStore store;
  PartsHarness h(HoldOptions(), &store);
  const std::string a = StartRunning(h, 1);
  h.backend().Open(a);
  h.parts().committer.AwaitHolding();
  uint64_t last;
  {
    core::MutexLock lock(&h.core().s.mu);
    last = h.core().s.log.last_revision();
  }
  EXPECT_TRUE(h.parts().committer.WaitDurable(last).ok());
  EXPECT_EQ(store.commits(), 2u);
}

TEST(CommitHoldTest, TheEnginesDestructionCommitsTheHeldEnd) {
  CountingStore store;
  std::string a;
  {
    PartsHarness h(HoldOptions(), &store);
    a = StartRunning(h, 1);
    h.backend().Open(a);
    h.parts().committer.AwaitHolding();
    EXPECT_EQ(store.commits(), 1u);
  }
  absl::StatusOr<OperationRecord> stored = store.ReadOperation(a);
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(stored->state, OperationState::kSucceeded);
  EXPECT_EQ(store.commits(), 2u);
}

// A fake clock that says when a timer due at a given time is scheduled: the committer's hold
// timer (due kHold after the end, far before any deadline) tells that the hold began, which the
// Engine's API does not show.
class ScheduleWatchingClock final : public Clock {
 public:
  Time Now() override { return fake_.Now(); }
  TimerId Schedule(Time when, std::function<void()> fn) override {
    TimerId id = fake_.Schedule(when, std::move(fn));
    core::MutexLock lock(&mu_);
    scheduled_.push_back(when);
    cv_.SignalAll();
    return id;
  }
  void Cancel(TimerId id) override { fake_.Cancel(id); }
  void AwaitScheduled(Time when) {
    core::MutexLock lock(&mu_);
    while (std::find(scheduled_.begin(), scheduled_.end(), when) == scheduled_.end()) {
      cv_.Wait(&mu_);
    }
  }

 private:
  FakeClock fake_;
  core::Mutex mu_;
  core::CondVar cv_;
  std::vector<Time> scheduled_ GPOP_GUARDED_BY(mu_);
};

TEST(CommitHoldTest, ShutdownCommitsTheHeldEnd) {
  ScheduleWatchingClock clock;
  gpop::testing::GateBackend backend;
  CountingStore store;
  Engine engine(HoldOptions(), &backend, &store, &clock);
  ASSERT_TRUE(engine.Recover().ok());
  absl::StatusOr<OperationRecord> a = engine.Start(BackupRequest(1));
  ASSERT_TRUE(a.ok()) << a.status();
  backend.WaitStarted(a->id);
  const size_t before = store.commits();
  backend.Open(a->id);
  clock.AwaitScheduled(clock.Now() + kHold);  // held
  EXPECT_EQ(store.commits(), before);
  engine.Shutdown(std::chrono::seconds(1));
  EXPECT_EQ(store.commits(), before + 1);
  absl::StatusOr<OperationRecord> stored = store.ReadOperation(a->id);
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(stored->state, OperationState::kSucceeded);
  absl::StatusOr<OperationRecord> got = engine.Get("alice", a->id);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->state, OperationState::kSucceeded);
}

}  // namespace
}  // namespace gpop::engine
