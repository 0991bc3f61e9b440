#include "service/engine/recovery.h"

#include <gtest/gtest.h>

#include "tests/engine/gate_backend.h"

namespace gpop::engine {
namespace {

using core::OperationState;

OperationRecord Rec(const std::string& id, OperationState state, int minute,
                    uint64_t last_sequence = 0) {
  OperationRecord rec;
  rec.id = id;
  rec.last_sequence = last_sequence;
  rec.state = state;
  rec.principal = "alice";
  rec.request_id = "req-" + id;
  rec.create_time = Time() + std::chrono::minutes(minute);
  return rec;
}

Event Ev(const std::string& id, uint64_t sequence, uint64_t revision) {
  Event ev;
  ev.operation_id = id;
  ev.sequence = sequence;
  ev.revision = revision;
  return ev;
}

TEST(RecoveryTest, RestoresOperationsInCreationOrderByState) {
  Store::Snapshot snap;
  snap.operations = {Rec("op-run", OperationState::kRunning, 2, 2),
                     Rec("op-done", OperationState::kSucceeded, 1, 1),
                     Rec("op-queued", OperationState::kQueued, 3, 1),
                     Rec("op-cancelling", OperationState::kCancelling, 4)};
  snap.events = {Ev("op-done", 1, 1), Ev("op-run", 1, 2), Ev("op-gone", 1, 3),
                 Ev("op-queued", 1, 4), Ev("op-run", 2, 5)};
  snap.revision = 9;
  snap.finished = {{"op-stored", Time() + std::chrono::minutes(9)}};
  testing::GateBackend backend;
  OperationTable ops;
  EventLog log(100);
  absl::StatusOr<Recovered> r = RestoreSnapshot(snap, backend, &ops, &log);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->finished.size(), 2u);
  EXPECT_EQ(r->finished[0].id, "op-done");    // resident (a snapshot with history)
  EXPECT_EQ(r->finished[1].id, "op-stored");  // in the store only
  EXPECT_TRUE(ops.IsFinished("op-stored"));
  EXPECT_EQ(ops.Find("op-stored"), nullptr);
  EXPECT_EQ(ops.retained(), 5u);
  EXPECT_EQ(r->running, (std::vector<std::string>{"op-run"}));
  EXPECT_EQ(r->cancelling, (std::vector<std::string>{"op-cancelling"}));
  ASSERT_EQ(r->queued.size(), 1u);
  EXPECT_EQ(ops.Find("op-run")->visible_sequence, 2u);
  // Its history stays in the store: streams read it from there.
  EXPECT_EQ(ops.Find("op-run")->events_base, 2u);
  EXPECT_TRUE(ops.Find("op-run")->events.empty());
  EXPECT_EQ(ops.by_creation().begin()->second->rec.id, "op-done");
  EXPECT_EQ(ops.FindByRequest("alice", "req-op-queued"), r->queued[0]);
  EXPECT_EQ(log.window().size(), 5u);  // events of removed operations still feed watches
  EXPECT_EQ(log.visible_revision(), 9u);
  // op-stored's end time goes into retention's order (age retention reads it from there).
  ASSERT_TRUE(ops.BeginRemove("op-done", Removal::kExpired));
  ops.EndRemove("op-done", /*deleted=*/true);
  EXPECT_EQ(ops.OldestFinishedEnd(), Time() + std::chrono::minutes(9));
}

TEST(RecoveryTest, WindowEventsOfStoredOperationsKeepTheirLabels) {
  Store::Snapshot snap;
  snap.events = {Ev("op-stored", 1, 1), Ev("op-gone", 1, 2)};
  snap.finished = {{"op-stored", Time()}};
  auto labels = std::make_shared<const std::map<std::string, std::string>>(
      std::map<std::string, std::string>{{"team", "a"}});
  testing::GateBackend backend;
  OperationTable ops;
  EventLog log(100);
  absl::StatusOr<Recovered> r = RestoreSnapshot(snap, backend, &ops, &log, {{"op-stored", labels}});
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(log.window().size(), 2u);
  EXPECT_EQ(log.window()[0].labels->at("team"), "a");
  EXPECT_TRUE(log.window()[1].labels->empty());
}

TEST(RecoveryTest, AnEventPastItsRecordIsDataLoss) {
  Store::Snapshot snap;
  snap.operations = {Rec("op-a", OperationState::kRunning, 1)};
  snap.operations[0].last_sequence = 2;
  snap.events = {Ev("op-a", 1, 1), Ev("op-a", 3, 2)};
  testing::GateBackend backend;
  OperationTable ops;
  EventLog log(100);
  EXPECT_EQ(RestoreSnapshot(snap, backend, &ops, &log).status().code(),
            absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace gpop::engine
