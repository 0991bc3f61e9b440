// Removals: DeleteOperation refuses unfinished operations and removes finished ones (then
// OPERATION_DELETED); retention removes by age and by count (then OPERATION_EXPIRED).

#include "service/engine/removals.h"

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <utility>
#include <variant>

#include "service/engine/reads.h"
#include "tests/engine/parts_testing.h"
#include "tests/store/forwarding_store.h"

namespace gpop::engine {
namespace {

using gpop::testing::BackupRequest;
using gpop::testing::PartsHarness;
using gpop::testing::ReasonOf;

std::string RunOne(PartsHarness& h, int n) {
  auto rec = h.parts().admission.Start(BackupRequest(n));
  EXPECT_TRUE(rec.ok()) << rec.status();
  if (!rec.ok()) return "";
  h.backend().Open(rec->id);
  h.RunToEnd(rec->id);
  return rec->id;
}

// Runs operation n to its end while a count-retention pass on the maintenance thread may remove
// it: its stream ends after the terminal event, or with OPERATION_EXPIRED if the pass was first.
std::string RunOneRetentionMayRemove(PartsHarness& h, int n) {
  auto rec = h.parts().admission.Start(BackupRequest(n));
  EXPECT_TRUE(rec.ok()) << rec.status();
  if (!rec.ok()) return "";
  auto cursor = h.parts().streams.OpenStatusStream("alice", rec->id, 0);  // before it can finish
  EXPECT_TRUE(cursor.ok()) << cursor.status();
  if (!cursor.ok()) return "";
  h.backend().Open(rec->id);
  for (;;) {
    Cursor::Next next = gpop::testing::NextBlocking(cursor->get());
    if (std::holds_alternative<StreamItem>(next)) continue;
    const absl::Status& end = std::get<Cursor::End>(next).status;
    EXPECT_TRUE(end.ok() || ReasonOf(end) == core::reason::kOperationExpired) << end;
    return rec->id;
  }
}

TEST(RemovalsTest, DeleteRefusesUnfinishedAndRemovesFinished) {
  PartsHarness h;
  auto live = h.parts().admission.Start(BackupRequest(1));
  ASSERT_TRUE(live.ok());
  absl::Status refused = h.parts().removals.Delete(live->id);
  EXPECT_TRUE(absl::IsFailedPrecondition(refused)) << refused;
  EXPECT_EQ(ReasonOf(refused), core::reason::kOperationNotFinished);
  h.backend().Open(live->id);
  h.RunToEnd(live->id);
  ASSERT_TRUE(h.parts().removals.Delete(live->id).ok());
  auto got = h.parts().reads.Get(live->id);
  EXPECT_EQ(ReasonOf(got.status()), core::reason::kOperationDeleted);
  EXPECT_TRUE(absl::IsNotFound(h.store().ReadOperation(live->id).status()));
  EXPECT_EQ(ReasonOf(h.parts().removals.Delete(live->id)), core::reason::kOperationDeleted);
}

TEST(RemovalsTest, RetentionByCountRemovesTheOldest) {
  EngineOptions o;
  o.retained_operations = 2;
  PartsHarness h(o);
  std::vector<std::string> ids;
  for (int i = 1; i <= 4; ++i) ids.push_back(RunOne(h, i));
  h.core().maintenance.Drain();
  EXPECT_EQ(ReasonOf(h.parts().reads.Get(ids[0]).status()), core::reason::kOperationExpired);
  EXPECT_EQ(ReasonOf(h.parts().reads.Get(ids[1]).status()), core::reason::kOperationExpired);
  EXPECT_TRUE(h.parts().reads.Get(ids[2]).ok());
  EXPECT_TRUE(h.parts().reads.Get(ids[3]).ok());
}

TEST(RemovalsTest, RetentionByAgeRemovesOnceItsTimePassed) {
  EngineOptions o;
  o.retention = std::chrono::minutes(10);
  PartsHarness h(o);
  std::string id = RunOne(h, 1);
  h.clock().Advance(std::chrono::minutes(9));
  h.core().maintenance.Drain();
  EXPECT_TRUE(h.parts().reads.Get(id).ok());
  h.clock().Advance(std::chrono::minutes(2));
  h.core().maintenance.Drain();
  EXPECT_EQ(ReasonOf(h.parts().reads.Get(id).status()), core::reason::kOperationExpired);
}

// Age retention keeps no timer per finished operation: one, for the oldest, whatever the number
// finished; its pass removes every one that is due, in finish order, and sets itself for the
// next. (The engine kept a timer, with its closures, per retained operation: about 400 bytes
// each, 100,000 entries in the clock's map at 100,000 retained.)
TEST(RemovalsTest, RetentionByAgeKeepsOneTimerWhateverTheNumberFinished) {
  EngineOptions o;
  o.retention = std::chrono::minutes(10);
  PartsHarness h(o);
  std::vector<std::string> ids;
  for (int i = 1; i <= 6; ++i) {
    ids.push_back(RunOne(h, i));
    h.clock().Advance(std::chrono::minutes(1));  // operation i ended at minute i - 1
  }
  h.core().maintenance.Drain();
  // The age timer, and perhaps some operations' deadline timers: the thread that flushed an
  // operation's end cancels its deadline timer after the end became visible, so some may still
  // be pending here (2 of them were once, under TSan). A timer per finished operation would make
  // 6 age timers, and as many deadline timers besides.
  EXPECT_LT(h.core().timers.pending(), 6u);
  // A pass runs on the maintenance thread at the clock's time then, which may be below the
  // advance's target (the fake clock fires its timers one by one); the timer it sets for the
  // next due operation may then be due already: a zero advance fires it, and its pass runs at
  // the target.
  auto settle = [&] {
    h.core().maintenance.Drain();
    h.clock().Advance(Duration::zero());
    h.core().maintenance.Drain();
  };
  // Minute 12: the first three (ended at 0, 1, 2) are due, the others not yet.
  h.clock().Advance(std::chrono::minutes(6));
  settle();
  for (int i = 0; i < 6; ++i) {
    auto got = h.parts().reads.Get(ids[i]);
    if (i < 3) {
      EXPECT_EQ(ReasonOf(got.status()), core::reason::kOperationExpired) << i;
    } else {
      EXPECT_TRUE(got.ok()) << i << " " << got.status();
    }
  }
  EXPECT_LT(h.core().timers.pending(), 6u);  // set again, for the fourth
  h.clock().Advance(std::chrono::minutes(3));
  settle();
  for (const std::string& id : ids) {
    EXPECT_EQ(ReasonOf(h.parts().reads.Get(id).status()), core::reason::kOperationExpired);
  }
  // Nothing finished is left; a deadline timer or two may still wait for their cancel.
  EXPECT_LT(h.core().timers.pending(), 6u);
}

// A memory store whose deletes fail while `fail` is set, counting the attempts.
class FailingDeleteStore final : public gpop::testing::ForwardingStore {
 public:
  FailingDeleteStore() : ForwardingStore(&inner_) {}
  absl::Status Delete(const std::string& id, Removal why) override {
    ++attempts;
    if (fail) return absl::InternalError("disk I/O error");
    return ForwardingStore::Delete(id, why);
  }
  std::atomic<bool> fail{false};
  std::atomic<int> attempts{0};

 private:
  store::MemoryStore inner_;
};

TEST(RemovalsTest, ADeleteTheStoreRefusesReturnsTheErrorAndLeavesTheOperation) {
  FailingDeleteStore store;
  PartsHarness h({}, &store);
  std::string id = RunOne(h, 1);
  store.fail = true;
  absl::Status refused = h.parts().removals.Delete(id);
  EXPECT_TRUE(absl::IsUnavailable(refused)) << refused;
  EXPECT_EQ(store.attempts, 1);
  auto got = h.parts().reads.Get(id);  // still there, as it was
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->state, core::OperationState::kSucceeded);
  EXPECT_TRUE(store.ReadOperation(id).ok());
  EXPECT_TRUE(h.parts().streams.OpenStatusStream("alice", id, 0).ok());
  store.fail = false;
  ASSERT_TRUE(h.parts().removals.Delete(id).ok());
  EXPECT_EQ(ReasonOf(h.parts().reads.Get(id).status()), core::reason::kOperationDeleted);
}

TEST(RemovalsTest, RetentionKeepsWhatTheStoreRefusedAndTriesAgainLater) {
  FailingDeleteStore store;
  EngineOptions o;
  o.retention = std::chrono::minutes(10);
  o.removal_retry = std::chrono::seconds(30);
  PartsHarness h(o, &store);
  std::string id = RunOne(h, 1);
  store.fail = true;
  // To the removal's time exactly: the retry it schedules (30 s on) cannot fall due while this
  // Advance still runs timers, however late the maintenance thread runs it.
  h.clock().Advance(std::chrono::minutes(10));
  h.core().maintenance.Drain();
  EXPECT_EQ(store.attempts, 1);
  EXPECT_TRUE(h.parts().reads.Get(id).ok());  // kept
  h.clock().Advance(std::chrono::seconds(29));  // before the retry: no attempt
  h.core().maintenance.Drain();
  EXPECT_EQ(store.attempts, 1);
  h.clock().Advance(std::chrono::seconds(2));  // the retry, refused again
  h.core().maintenance.Drain();
  EXPECT_EQ(store.attempts, 2);
  store.fail = false;
  h.clock().Advance(std::chrono::seconds(31));
  h.core().maintenance.Drain();
  EXPECT_EQ(store.attempts, 3);
  EXPECT_EQ(ReasonOf(h.parts().reads.Get(id).status()), core::reason::kOperationExpired);
}

TEST(RemovalsTest, CountRetentionPausesWhileTheStoreRefuses) {
  FailingDeleteStore store;
  EngineOptions o;
  o.retained_operations = 1;
  o.removal_retry = std::chrono::seconds(30);
  PartsHarness h(o, &store);
  store.fail = true;
  std::string first = RunOne(h, 1);
  std::string second = RunOne(h, 2);
  h.core().maintenance.Drain();
  EXPECT_EQ(store.attempts, 1);  // the oldest beyond the limit, refused
  std::string third = RunOne(h, 3);  // more commits: no new attempt while paused
  h.core().maintenance.Drain();
  EXPECT_EQ(store.attempts, 1);
  EXPECT_TRUE(h.parts().reads.Get(first).ok());
  store.fail = false;
  h.clock().Advance(std::chrono::seconds(31));
  h.core().maintenance.Drain();
  EXPECT_EQ(ReasonOf(h.parts().reads.Get(first).status()), core::reason::kOperationExpired);
  EXPECT_EQ(ReasonOf(h.parts().reads.Get(second).status()), core::reason::kOperationExpired);
  EXPECT_TRUE(h.parts().reads.Get(third).ok());
}

// A memory store that runs `during_delete` once, inside its first Delete, before deleting.
class HookedDeleteStore final : public gpop::testing::ForwardingStore {
 public:
  HookedDeleteStore() : ForwardingStore(&inner_) {}
  absl::Status Delete(const std::string& id, Removal why) override {
    if (std::function<void()> hook = std::exchange(during_delete, nullptr)) hook();
    return ForwardingStore::Delete(id, why);
  }
  std::function<void()> during_delete;  // set before the engine deletes anything

 private:
  store::MemoryStore inner_;
};

// An operation that finishes while a count-retention pass removes another finds the pass
// scheduled and schedules none; the pass must look again when it ends. (As many finished as it
// removed, so the finished count alone showed no change and the excess stayed.)
TEST(RemovalsTest, CountRetentionRemovesWhatFinishedDuringItsPass) {
  HookedDeleteStore store;
  EngineOptions o;
  o.retained_operations = 1;
  PartsHarness h(o, &store);
  std::string third;
  store.during_delete = [&] { third = RunOne(h, 3); };  // finishes while the first is removed
  std::string first = RunOne(h, 1);
  std::string second = RunOneRetentionMayRemove(h, 2);  // one beyond the limit: the pass starts
  h.core().maintenance.Drain();
  ASSERT_FALSE(third.empty());
  EXPECT_EQ(ReasonOf(h.parts().reads.Get(first).status()), core::reason::kOperationExpired);
  EXPECT_EQ(ReasonOf(h.parts().reads.Get(second).status()), core::reason::kOperationExpired);
  EXPECT_TRUE(h.parts().reads.Get(third).ok());
}

}  // namespace
}  // namespace gpop::engine
