#include "service/engine/event_log.h"

#include <gtest/gtest.h>

namespace gpop::engine {
namespace {

using core::OperationState;

Event WithState(OperationState s) {
  Event ev;
  ev.state = s;
  return ev;
}

class EventLogTest : public ::testing::Test {
 protected:
  EventLogTest() {
    op_.rec.id = "op-a";
    op_.labels = std::make_shared<const std::map<std::string, std::string>>();
  }
  Time now_ = Time() + std::chrono::hours(1);
  Op op_;
};

TEST_F(EventLogTest, NumbersEventsAndAppliesThemToTheRecord) {
  EventLog log(100);
  EventPtr first = log.Append(&op_, WithState(OperationState::kRunning), now_);
  EXPECT_EQ(first->state, OperationState::kQueued);  // the first event is always QUEUED
  EXPECT_EQ(first->sequence, 1u);
  EXPECT_EQ(first->revision, 1u);
  EventPtr second = log.Append(&op_, WithState(OperationState::kRunning), now_);
  EXPECT_EQ(second->sequence, 2u);
  EXPECT_EQ(op_.rec.state, OperationState::kRunning);
  EXPECT_EQ(op_.rec.last_sequence, 2u);
  EXPECT_EQ(op_.rec.revision, 2u);
  EXPECT_EQ(op_.events.size(), 2u);
  Event done = WithState(OperationState::kSucceeded);
  done.effects = core::Effects::kApplied;
  log.Append(&op_, done, now_);
  EXPECT_EQ(op_.rec.end_time, now_);
  EXPECT_EQ(op_.rec.effects, core::Effects::kApplied);
}

TEST_F(EventLogTest, NothingIsVisibleBeforeItsBatchCommitted) {
  EventLog log(100);
  log.Append(&op_, Event{}, now_);
  log.Append(&op_, WithState(OperationState::kRunning), now_);
  EXPECT_EQ(log.visible_revision(), 0u);
  std::vector<Store::Change> batch = log.TakeBatch();
  ASSERT_EQ(batch.size(), 2u);
  // One batch at a time: a second leader gets nothing while the first commits.
  log.Append(&op_, WithState(OperationState::kCancelling), now_);
  EXPECT_TRUE(log.TakeBatch().empty());
  EXPECT_EQ(log.visible_revision(), 0u);
  log.Committed(batch);
  EXPECT_EQ(log.visible_revision(), 2u);
  std::vector<Store::Change> next = log.TakeBatch();
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].event->revision, 3u);
}

TEST_F(EventLogTest, AFailedBatchStopsEverything) {
  EventLog log(100);
  log.Append(&op_, Event{}, now_);
  std::vector<Store::Change> batch = log.TakeBatch();
  log.Failed(absl::UnavailableError("disk full"));
  EXPECT_TRUE(log.failed());
  EXPECT_EQ(log.error().message(), "disk full");
  log.Append(&op_, WithState(OperationState::kRunning), now_);
  EXPECT_TRUE(log.TakeBatch().empty());
  EXPECT_EQ(log.visible_revision(), 0u);
}

TEST_F(EventLogTest, TrimKeepsTheRetainedWindowOfDurableEvents) {
  EventLog log(2);
  for (int i = 0; i < 4; ++i) log.Append(&op_, WithState(OperationState::kRunning), now_);
  EXPECT_FALSE(log.Trim());  // nothing durable yet: nothing may go
  log.Committed(log.TakeBatch());
  EXPECT_TRUE(log.Trim());
  ASSERT_EQ(log.window().size(), 2u);
  EXPECT_EQ(log.window().front().event->revision, 3u);
  EXPECT_EQ(log.floor(), 2u);
}

TEST_F(EventLogTest, RestoreContinuesNumberingAfterTheHighestRevision) {
  EventLog log(1);
  auto ev = std::make_shared<Event>();
  ev->revision = 5;
  log.Restore(ev, op_.labels);
  auto ev2 = std::make_shared<Event>();
  ev2->revision = 9;
  log.Restore(ev2, op_.labels);
  log.RestoreRevision(12);
  EXPECT_EQ(log.floor(), 5u);
  EXPECT_EQ(log.visible_revision(), 12u);
  EXPECT_EQ(log.Append(&op_, Event{}, now_)->revision, 13u);
}

}  // namespace
}  // namespace gpop::engine
