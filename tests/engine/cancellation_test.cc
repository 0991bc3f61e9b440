// Cancellation: a queued operation ends CANCELLED at once; a running one goes CANCELLING and
// ends CANCELLED when its backend stops; past the commit point the record shows the request;
// a deadline ends a queued operation DEADLINE_EXCEEDED (on the maintenance thread); shutdown's
// cancel says SHUTTING_DOWN; with cancel_commit_wait, CANCELLING rides in the run's terminal
// commit, or is committed alone once the wait is over.

#include "service/engine/cancellation.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

#include "tests/engine/parts_testing.h"
#include "tests/store/forwarding_store.h"

namespace gpop::engine {
namespace {

using core::OperationState;
using gpop::testing::BackupRequest;
using gpop::testing::PartsHarness;

TEST(CancellationTest, AQueuedOperationEndsCancelledAtOnce) {
  EngineOptions o;
  o.executor_threads = 1;
  PartsHarness h(o);
  auto running = h.parts().admission.Start(BackupRequest(1));
  auto queued = h.parts().admission.Start(BackupRequest(2));
  ASSERT_TRUE(running.ok() && queued.ok());
  auto cancelled = h.parts().cancellation.Cancel("bob", queued->id);
  ASSERT_TRUE(cancelled.ok()) << cancelled.status();
  EXPECT_EQ(cancelled->state, OperationState::kCancelled);
  EXPECT_EQ(cancelled->cancelled_by, "bob");
  EXPECT_TRUE(cancelled->cancel_requested);
  EXPECT_FALSE(h.backend().started(queued->id));
  h.backend().Open(running->id);
  h.RunToEnd(running->id);
}

TEST(CancellationTest, ARunningOperationGoesCancellingThenCancelled) {
  PartsHarness h;
  auto rec = h.parts().admission.Start(BackupRequest(1));
  ASSERT_TRUE(rec.ok());
  h.backend().WaitStarted(rec->id);
  auto cancelling = h.parts().cancellation.Cancel("alice", rec->id);
  ASSERT_TRUE(cancelling.ok());
  // The gate backend stops on cancel: the answer is CANCELLING, or already CANCELLED.
  EXPECT_TRUE(cancelling->state == OperationState::kCancelling ||
              cancelling->state == OperationState::kCancelled);
  Event last = h.RunToEnd(rec->id);
  EXPECT_EQ(last.state, OperationState::kCancelled);
  auto again = h.parts().cancellation.Cancel("bob", rec->id);  // finished: as it is
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->cancelled_by, "alice");
}

TEST(CancellationTest, PastTheCommitPointTheRecordShowsTheRequest) {
  PartsHarness h;
  h.backend().set_commit_at_start(true);
  h.backend().set_stop_on_cancel(false);
  auto rec = h.parts().admission.Start(BackupRequest(1));
  ASSERT_TRUE(rec.ok());
  h.backend().WaitStarted(rec->id);
  auto asked = h.parts().cancellation.Cancel("alice", rec->id);
  ASSERT_TRUE(asked.ok());
  EXPECT_EQ(asked->state, OperationState::kRunning);
  EXPECT_TRUE(asked->cancel_requested);
  EXPECT_EQ(asked->cancelled_by, "alice");
  h.backend().Open(rec->id);
  EXPECT_EQ(h.RunToEnd(rec->id).state, OperationState::kSucceeded);
}

TEST(CancellationTest, ADeadlineEndsAQueuedOperation) {
  EngineOptions o;
  o.executor_threads = 1;
  PartsHarness h(o);
  auto running = h.parts().admission.Start(BackupRequest(1));
  StartRequest r = BackupRequest(2);
  r.timeout = std::chrono::seconds(10);
  auto queued = h.parts().admission.Start(r);
  ASSERT_TRUE(running.ok() && queued.ok());
  h.clock().Advance(std::chrono::seconds(11));
  h.core().maintenance.Drain();
  Event last = h.RunToEnd(queued->id);
  EXPECT_EQ(last.state, OperationState::kFailed);
  ASSERT_NE(last.error, std::nullopt);
  EXPECT_EQ(last.error->reason, core::reason::kDeadlineExceeded);
  h.backend().Open(running->id);
  h.RunToEnd(running->id);
}

// Records which events every committed batch held. Its commits do not block (a memory store's):
// every flush runs on the thread that asks for it, so no flush of the run's start can still be
// pending, to take CANCELLING alone, when Cancel comes.
class BatchRecorder final : public gpop::testing::ForwardingStore {
 public:
  explicit BatchRecorder(Store* inner) : ForwardingStore(inner) {}
  absl::Status Commit(const std::vector<Change>& batch) override {
    std::vector<OperationState> states;
    for (const Change& c : batch) {
      if (c.event) states.push_back(c.event->state);
    }
    {
      core::MutexLock lock(&mu_);
      batches_.push_back(states);
    }
    return ForwardingStore::Commit(batch);
  }
  // The events of the batch that committed `state` (empty when none did).
  std::vector<OperationState> BatchWith(OperationState state) {
    core::MutexLock lock(&mu_);
    for (const auto& b : batches_) {
      if (std::find(b.begin(), b.end(), state) != b.end()) return b;
    }
    return {};
  }

 private:
  core::Mutex mu_;
  std::vector<std::vector<OperationState>> batches_ GPOP_GUARDED_BY(mu_);
};

TEST(CancellationTest, WithACommitWaitCancellingRidesWithTheTerminalEvent) {
  store::MemoryStore memory;
  BatchRecorder store(&memory);
  EngineOptions o;
  o.cancel_commit_wait = std::chrono::seconds(1);  // the fake clock never gets there
  PartsHarness h(o, &store);
  auto rec = h.parts().admission.Start(BackupRequest(1));
  ASSERT_TRUE(rec.ok());
  h.backend().WaitStarted(rec->id);
  // The gate backend stops at once: its run's end commits CANCELLING and CANCELLED together,
  // and Cancel answers once that commit is done.
  auto answer = h.parts().cancellation.Cancel("alice", rec->id);
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_TRUE(answer->state == OperationState::kCancelling ||
              answer->state == OperationState::kCancelled);
  EXPECT_EQ(h.RunToEnd(rec->id).state, OperationState::kCancelled);
  EXPECT_EQ(store.BatchWith(OperationState::kCancelling),
            (std::vector<OperationState>{OperationState::kCancelling, OperationState::kCancelled}));
}

TEST(CancellationTest, ABackendThatDoesNotStopGetsCancellingCommittedAfterTheWait) {
  EngineOptions o;
  o.cancel_commit_wait = std::chrono::milliseconds(5);
  PartsHarness h(o);
  h.backend().set_stop_on_cancel(false);
  auto rec = h.parts().admission.Start(BackupRequest(1));
  ASSERT_TRUE(rec.ok());
  h.backend().WaitStarted(rec->id);
  const size_t timers = h.clock().pending_timers();
  absl::StatusOr<OperationRecord> answer;
  std::atomic<bool> answered{false};
  std::thread cancel([&] {
    answer = h.parts().cancellation.Cancel("alice", rec->id);
    answered = true;
  });
  // The wait began (its timer is set), or Cancel answered without one.
  while (h.clock().pending_timers() == timers && !answered) std::this_thread::yield();
  EXPECT_FALSE(answered) << "Cancel answered before its wait was over";
  EXPECT_EQ(h.store().ReadOperation(rec->id)->state, OperationState::kRunning);  // not yet
  h.clock().Advance(std::chrono::milliseconds(5));
  cancel.join();
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(answer->state, OperationState::kCancelling);
  EXPECT_EQ(h.store().ReadOperation(rec->id)->state, OperationState::kCancelling);  // durable
  h.backend().Open(rec->id);
  h.RunToEnd(rec->id);
}

TEST(CancellationTest, ShutdownsCancelSaysShuttingDown) {
  PartsHarness h;
  auto rec = h.parts().admission.Start(BackupRequest(1));
  ASSERT_TRUE(rec.ok());
  h.backend().WaitStarted(rec->id);
  h.parts().cancellation.CancelAllRunning();
  Event last = h.RunToEnd(rec->id);
  ASSERT_NE(last.error, std::nullopt);
  EXPECT_EQ(last.error->reason, core::reason::kShuttingDown);
}

}  // namespace
}  // namespace gpop::engine
