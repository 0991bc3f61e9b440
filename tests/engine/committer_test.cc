// Committer: changes are invisible until the store made them durable; a failed commit is
// fail-stop; timers handed over are cancelled after the batch.

#include "service/engine/committer.h"

#include <gtest/gtest.h>

#include <atomic>

#include "tests/engine/parts_testing.h"
#include "tests/store/forwarding_store.h"

namespace gpop::engine {
namespace {

using gpop::testing::PartsHarness;

// A memory store whose commits fail while `fail` is set.
class FailingCommitStore final : public gpop::testing::ForwardingStore {
 public:
  FailingCommitStore() : ForwardingStore(&inner_) {}
  absl::Status Commit(const std::vector<Change>& batch) override {
    if (fail) return absl::ResourceExhaustedError("disk full");
    return ForwardingStore::Commit(batch);
  }
  std::atomic<bool> fail{false};

 private:
  store::MemoryStore inner_;
};

// Appends the QUEUED event of a new operation `id` (not queued for running).
Op* AppendNew(EngineCore& core, const std::string& id) {
  core::MutexLock lock(&core.s.mu);
  auto owned = std::make_unique<Op>();
  owned->rec.id = id;
  owned->rec.principal = "alice";
  owned->rec.spec = gpop::testing::BackupSpec(1);
  owned->rec.kind = core::KindOf(owned->rec.spec);
  Op* op = core.s.ops.Add(std::move(owned));
  core.s.log.Append(op, Event{}, core.clock->Now());
  return op;
}

TEST(CommitterTest, ChangesBecomeVisibleOnlyOnceCommitted) {
  PartsHarness h;
  Op* op = AppendNew(h.core(), "op-1");
  {
    core::MutexLock lock(&h.core().s.mu);
    EXPECT_EQ(h.core().s.log.visible_revision(), 0u);
    EXPECT_EQ(op->visible_sequence, 0u);
  }
  EXPECT_TRUE(absl::IsNotFound(h.store().ReadOperation("op-1").status()));
  h.parts().committer.Flush();
  EXPECT_TRUE(h.parts().committer.WaitDurable(1).ok());
  core::MutexLock lock(&h.core().s.mu);
  EXPECT_EQ(h.core().s.log.visible_revision(), 1u);
  EXPECT_EQ(op->visible_sequence, 1u);
  EXPECT_EQ(op->visible.state, core::OperationState::kQueued);
  EXPECT_TRUE(h.store().ReadOperation("op-1").ok());
}

TEST(CommitterTest, AFailedCommitIsFailStop) {
  FailingCommitStore store;
  PartsHarness h({}, &store);
  bool observed_down = false;
  {
    core::MutexLock lock(&h.core().s.mu);
    h.core().serving_observer = [&](bool serving) { observed_down = !serving; };
  }
  store.fail = true;
  Op* op = AppendNew(h.core(), "op-1");
  h.parts().committer.Flush();
  absl::Status waited = h.parts().committer.WaitDurable(1);
  EXPECT_TRUE(absl::IsUnavailable(waited)) << waited;
  EXPECT_TRUE(observed_down);
  store.fail = false;  // healthy again: still nothing more is committed until a restart
  AppendNew(h.core(), "op-2");
  h.parts().committer.Flush();
  EXPECT_TRUE(absl::IsNotFound(store.ReadOperation("op-2").status()));
  core::MutexLock lock(&h.core().s.mu);
  EXPECT_TRUE(h.core().s.log.failed());
  EXPECT_EQ(op->visible_sequence, 0u);  // never shown
}

TEST(CommitterTest, ForgetUndurableDropsAnOperationNeverShown) {
  FailingCommitStore store;
  PartsHarness h({}, &store);
  store.fail = true;
  AppendNew(h.core(), "op-1");
  h.parts().committer.Flush();
  h.parts().committer.ForgetUndurable("op-1");
  core::MutexLock lock(&h.core().s.mu);
  EXPECT_EQ(h.core().s.ops.Find("op-1"), nullptr);
}

TEST(CommitterTest, TimersHandedOverAreCancelledAfterTheBatch) {
  PartsHarness h;
  bool fired = false;
  Clock::TimerId timer = h.core().timers.Schedule(h.clock().Now() + std::chrono::seconds(5),
                                                  [&] { fired = true; });
  AppendNew(h.core(), "op-1");
  {
    core::MutexLock lock(&h.core().s.mu);
    h.parts().committer.CancelTimerLaterLocked(timer);
  }
  h.parts().committer.Flush();
  h.clock().Advance(std::chrono::seconds(10));
  EXPECT_FALSE(fired);
  EXPECT_EQ(h.core().timers.pending(), 0u);
}

}  // namespace
}  // namespace gpop::engine
