#include "service/engine/scheduler.h"

#include <gtest/gtest.h>

namespace gpop::engine {
namespace {

using Access = core::ResourceClaim::Access;

std::unique_ptr<Op> MakeOp(const std::string& id, const std::string& principal,
                           std::vector<core::ResourceClaim> claims, bool durable = true) {
  auto op = std::make_unique<Op>();
  op->rec.id = id;
  op->rec.principal = principal;
  op->claims = std::move(claims);
  op->visible_sequence = durable ? 1 : 0;
  return op;
}

std::vector<std::string> Ids(const std::vector<Op*>& ops) {
  std::vector<std::string> out;
  for (Op* op : ops) out.push_back(op->rec.id);
  return out;
}

TEST(SchedulerTest, AdmitsInOrderUpToTheExecutorSlots) {
  Scheduler s(2, 10);
  auto a = MakeOp("a", "p", {}), b = MakeOp("b", "p", {}), c = MakeOp("c", "p", {});
  s.Enqueue(a.get());
  s.Enqueue(b.get());
  s.Enqueue(c.get());
  EXPECT_EQ(s.queued(), 3);
  EXPECT_EQ(Ids(s.Admit()), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(s.running(), 2);
  EXPECT_TRUE(s.Admit().empty());
  s.EndRun(a.get());
  EXPECT_EQ(Ids(s.Admit()), (std::vector<std::string>{"c"}));
  EXPECT_EQ(s.queued(), 0);
}

TEST(SchedulerTest, PerPrincipalLimitLetsOthersPass) {
  Scheduler s(4, 1);
  auto a1 = MakeOp("a1", "alice", {}), a2 = MakeOp("a2", "alice", {}), b1 = MakeOp("b1", "bob", {});
  s.Enqueue(a1.get());
  s.Enqueue(a2.get());
  s.Enqueue(b1.get());
  EXPECT_EQ(Ids(s.Admit()), (std::vector<std::string>{"a1", "b1"}));
  EXPECT_EQ(s.running_of("alice"), 1);
  EXPECT_EQ(s.queued_of("alice"), 1);
}

TEST(SchedulerTest, ConflictingClaimsWaitAndKeepOrder) {
  Scheduler s(4, 10);
  auto w1 = MakeOp("w1", "p", {{"gpo:a", Access::kWrite}});
  auto r1 = MakeOp("r1", "p", {{"gpo:a", Access::kRead}});
  auto other = MakeOp("other", "p", {{"gpo:b", Access::kWrite}});
  s.Enqueue(w1.get());
  s.Enqueue(r1.get());
  s.Enqueue(other.get());
  EXPECT_EQ(Ids(s.Admit()), (std::vector<std::string>{"w1", "other"}));
  s.EndRun(w1.get());
  EXPECT_EQ(Ids(s.Admit()), (std::vector<std::string>{"r1"}));
}

TEST(SchedulerTest, AnUndurableOperationStopsThePass) {
  Scheduler s(4, 10);
  auto a = MakeOp("a", "p", {}, /*durable=*/false), b = MakeOp("b", "p", {});
  s.Enqueue(a.get());
  s.Enqueue(b.get());
  EXPECT_TRUE(s.Admit().empty());
  a->visible_sequence = 1;
  EXPECT_EQ(Ids(s.Admit()), (std::vector<std::string>{"a", "b"}));
}

TEST(SchedulerTest, DequeueTakesAQueuedOperationOut) {
  Scheduler s(1, 10);
  auto a = MakeOp("a", "p", {});
  s.Enqueue(a.get());
  EXPECT_TRUE(s.Dequeue(a.get()));
  EXPECT_FALSE(s.Dequeue(a.get()));
  EXPECT_EQ(s.queued(), 0);
  EXPECT_EQ(s.queued_of("p"), 0);
  EXPECT_TRUE(s.Admit().empty());
}

}  // namespace
}  // namespace gpop::engine
