#include "service/engine/operation_table.h"

#include <gtest/gtest.h>

namespace gpop::engine {
namespace {

std::unique_ptr<Op> MakeOp(const std::string& id, const std::string& request_id = "") {
  auto op = std::make_unique<Op>();
  op->rec.id = id;
  op->rec.principal = "alice";
  op->rec.request_id = request_id;
  return op;
}

TEST(OperationTableTest, AddFindAndCreationOrder) {
  OperationTable table;
  Op* a = table.Add(MakeOp("op-a"));
  Op* b = table.Add(MakeOp("op-b"));
  EXPECT_EQ(table.Find("op-a"), a);
  EXPECT_EQ(table.Find("op-missing"), nullptr);
  EXPECT_LT(a->create_index, b->create_index);
  ASSERT_EQ(table.by_creation().size(), 2u);
  EXPECT_EQ(table.by_creation().rbegin()->second, b);
}

TEST(OperationTableTest, RequestIdsArePerPrincipal) {
  OperationTable table;
  Op* a = table.Add(MakeOp("op-a", "req-1"));
  EXPECT_EQ(table.FindByRequest("alice", "req-1"), a);
  EXPECT_EQ(table.FindByRequest("bob", "req-1"), nullptr);
  table.Forget("op-a");
  EXPECT_EQ(table.FindByRequest("alice", "req-1"), nullptr);
  EXPECT_FALSE(table.IsRemoving("op-a"));  // forgotten, never visible: not expired
}

TEST(OperationTableTest, RetentionOrderCoversResidentAndStoredOperations) {
  OperationTable table;
  table.MarkFinishedId("op-0");  // in the store only (recovery)
  for (const char* id : {"op-1", "op-2", "op-3"}) {
    table.MarkFinished(table.Add(MakeOp(id, std::string("r") + id)));
  }
  EXPECT_EQ(table.finished_count(), 4u);
  EXPECT_EQ(table.retained(), 4u);
  EXPECT_EQ(table.OldestFinished(2), (std::vector<std::string>{"op-0", "op-1"}));
  uint64_t removals = table.removals();
  ASSERT_TRUE(table.BeginRemove("op-0", Removal::kDeleted));
  ASSERT_TRUE(table.BeginRemove("op-2", Removal::kExpired));
  EXPECT_FALSE(table.BeginRemove("op-2", Removal::kDeleted));  // one removal at a time
  // Being removed: still retained and readable until the store deleted it.
  EXPECT_TRUE(table.IsRemoving("op-0"));
  EXPECT_NE(table.Find("op-2"), nullptr);
  EXPECT_EQ(table.RemovalOf("op-0"), std::nullopt);
  EXPECT_EQ(table.removals(), removals);
  EXPECT_EQ(table.finished_count(), 4u);
  table.EndRemove("op-0", /*deleted=*/true);
  table.EndRemove("op-2", /*deleted=*/true);
  EXPECT_EQ(table.removals(), removals + 2);
  EXPECT_FALSE(table.IsRemoving("op-0"));
  EXPECT_EQ(table.Find("op-2"), nullptr);
  EXPECT_EQ(table.RemovalOf("op-0"), Removal::kDeleted);  // remembered for late cursors
  EXPECT_EQ(table.RemovalOf("op-2"), Removal::kExpired);
  EXPECT_EQ(table.OldestFinished(2), (std::vector<std::string>{"op-1", "op-3"}));
  EXPECT_EQ(table.RemovalOf("op-1"), std::nullopt);
  EXPECT_FALSE(table.BeginRemove("op-live-unknown", Removal::kDeleted));  // not finished
  EXPECT_FALSE(table.IsRemoving("op-live-unknown"));
  EXPECT_EQ(table.RemovalOf("op-live-unknown"), std::nullopt);
  EXPECT_EQ(table.size(), 2u);
  EXPECT_EQ(table.retained(), 2u);
}

// Age retention reads the finished order from the oldest while their end time is old enough;
// removed ones leave no trace in it.
TEST(OperationTableTest, FinishedByStopsAtTheFirstThatEndedLater) {
  OperationTable table;
  const Time t0 = Time() + std::chrono::hours(1);
  EXPECT_EQ(table.OldestFinishedEnd(), std::nullopt);
  table.MarkFinishedId("op-0", t0);  // in the store only (recovery)
  for (int i = 1; i <= 4; ++i) {
    auto op = MakeOp("op-" + std::to_string(i));
    op->rec.end_time = t0 + std::chrono::minutes(i);
    table.MarkFinished(table.Add(std::move(op)));
  }
  EXPECT_EQ(table.OldestFinishedEnd(), t0);
  EXPECT_EQ(table.FinishedBy(t0 + std::chrono::minutes(2), 10),
            (std::vector<std::string>{"op-0", "op-1", "op-2"}));
  EXPECT_EQ(table.FinishedBy(t0 + std::chrono::minutes(2), 2),
            (std::vector<std::string>{"op-0", "op-1"}));
  EXPECT_TRUE(table.FinishedBy(t0 - std::chrono::minutes(1), 10).empty());
  // Removed from the middle (Delete) and from the front (retention).
  ASSERT_TRUE(table.BeginRemove("op-2", Removal::kDeleted));
  table.EndRemove("op-2", /*deleted=*/true);
  EXPECT_EQ(table.FinishedBy(t0 + std::chrono::minutes(3), 10),
            (std::vector<std::string>{"op-0", "op-1", "op-3"}));
  for (const char* id : {"op-0", "op-1"}) {
    ASSERT_TRUE(table.BeginRemove(id, Removal::kExpired));
    table.EndRemove(id, /*deleted=*/true);
  }
  EXPECT_EQ(table.OldestFinishedEnd(), t0 + std::chrono::minutes(3));
  EXPECT_EQ(table.OldestFinished(5), (std::vector<std::string>{"op-3", "op-4"}));
  EXPECT_EQ(table.finished_count(), 2u);
  EXPECT_EQ(table.retained(), 2u);
  EXPECT_FALSE(table.IsFinished("op-1"));  // removed: no longer retained
}

TEST(OperationTableTest, ARemovalTheStoreRefusedLeavesTheOperationInItsPlace) {
  OperationTable table;
  for (const char* id : {"op-1", "op-2"}) table.MarkFinished(table.Add(MakeOp(id)));
  uint64_t removals = table.removals();
  ASSERT_TRUE(table.BeginRemove("op-1", Removal::kExpired));
  table.EndRemove("op-1", /*deleted=*/false);
  EXPECT_FALSE(table.IsRemoving("op-1"));
  EXPECT_NE(table.Find("op-1"), nullptr);
  EXPECT_EQ(table.RemovalOf("op-1"), std::nullopt);
  EXPECT_EQ(table.removals(), removals);
  EXPECT_EQ(table.OldestFinished(1), (std::vector<std::string>{"op-1"}));  // still the oldest
  EXPECT_TRUE(table.BeginRemove("op-1", Removal::kExpired));  // may be tried again
}

TEST(OperationTableTest, TheCacheKeepsTheNewestFinishedAndEveryLiveAndPinnedOne) {
  OperationTable table(/*max_cached_finished=*/2);
  Op* live = table.Add(MakeOp("op-live", "r-live"));
  std::vector<Op*> done;
  for (const char* id : {"op-1", "op-2", "op-3", "op-4"}) {
    Op* op = table.Add(MakeOp(id, std::string("r") + id));
    table.MarkFinished(op);
    done.push_back(op);
  }
  table.Pin(done[0]);
  uint64_t evictions = table.evictions();
  for (Op* op : done) table.Cache(op);
  // op-1 is pinned; of op-2..4 the newest two stay.
  EXPECT_EQ(table.evictions(), evictions + 1);
  EXPECT_EQ(table.Find("op-2"), nullptr);
  EXPECT_EQ(table.FindByRequest("alice", "rop-2"), nullptr);
  EXPECT_NE(table.Find("op-1"), nullptr);
  EXPECT_NE(table.Find("op-3"), nullptr);
  EXPECT_NE(table.Find("op-4"), nullptr);
  EXPECT_EQ(table.Find("op-live"), live);
  EXPECT_TRUE(table.IsFinished("op-2"));  // still retained, in the store
  EXPECT_EQ(table.retained(), 5u);
  table.Unpin("op-1");  // back in the cache as the newest: op-3 leaves
  EXPECT_NE(table.Find("op-1"), nullptr);
  EXPECT_EQ(table.Find("op-3"), nullptr);
  EXPECT_EQ(table.size(), 3u);
  // Read back from the store: keeps its place in retention's order.
  Op* again = table.Add(MakeOp("op-2"));
  EXPECT_NE(again->finish_index, 0u);
  EXPECT_EQ(table.OldestFinished(1), (std::vector<std::string>{"op-1"}));
  EXPECT_EQ(table.retained(), 5u);
}

}  // namespace
}  // namespace gpop::engine
