// Cancellation: a queued operation ends CANCELLED at once; a running one goes CANCELLING and
// ends CANCELLED when its backend stops; past the commit point the record shows the request;
// a deadline ends a queued operation DEADLINE_EXCEEDED (on the maintenance thread); shutdown's
// cancel says SHUTTING_DOWN.

#include "service/engine/cancellation.h"

#include <gtest/gtest.h>

#include "tests/engine/parts_testing.h"

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
