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
  EXPECT_FALSE(table.IsExpired("op-a"));  // forgotten, never visible: not expired
}

TEST(OperationTableTest, RemovedIdsAreExpiredWithinTheBound) {
  OperationTable table(/*max_expired=*/2);
  for (const char* id : {"op-1", "op-2", "op-3"}) {
    table.MarkFinished(table.Add(MakeOp(id, std::string("r") + id)));
  }
  EXPECT_EQ(table.finished_count(), 3u);
  EXPECT_EQ(table.OldestFinished(2), (std::vector<std::string>{"op-1", "op-2"}));
  table.Remove("op-2");
  EXPECT_EQ(table.OldestFinished(2), (std::vector<std::string>{"op-1", "op-3"}));
  table.Remove("op-1");
  table.Remove("op-3");
  EXPECT_EQ(table.size(), 0u);
  EXPECT_EQ(table.finished_count(), 0u);
  EXPECT_FALSE(table.IsExpired("op-2"));  // the oldest expired id was forgotten
  EXPECT_TRUE(table.IsExpired("op-1"));
  EXPECT_TRUE(table.IsExpired("op-3"));
  EXPECT_EQ(table.FindByRequest("alice", "rop-3"), nullptr);
}

TEST(OperationTableTest, AddExpiredIgnoresLiveIds) {
  OperationTable table;
  table.Add(MakeOp("op-live"));
  table.AddExpired("op-live");
  table.AddExpired("op-gone");
  EXPECT_FALSE(table.IsExpired("op-live"));
  EXPECT_TRUE(table.IsExpired("op-gone"));
}

}  // namespace
}  // namespace gpop::engine
