#include "service/engine/scheduler.h"

#include <gtest/gtest.h>

#include "service/engine/status_convert.h"

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

// Server-wide limits: `max_running` per principal, the rest large.
PrincipalLimits Running(int max_running) {
  return PrincipalLimits(PrincipalLimits::Limits{max_running, 200, 5000});
}

// Server-wide limits, and `own` for `principal` alone.
PrincipalLimits LimitsWith(int max_running, int max_queued, const std::string& principal,
                           LimitOverrides own) {
  return PrincipalLimits(PrincipalLimits::Limits{max_running, max_queued, 5000},
                         [principal, own](const std::string& who) {
                           return who == principal ? own : LimitOverrides{};
                         });
}

std::vector<std::string> Ids(const std::vector<Op*>& ops) {
  std::vector<std::string> out;
  for (Op* op : ops) out.push_back(op->rec.id);
  return out;
}

TEST(SchedulerTest, AdmitsInOrderUpToTheExecutorSlots) {
  Scheduler s(2, Running(10));
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
  Scheduler s(4, Running(1));
  auto a1 = MakeOp("a1", "alice", {}), a2 = MakeOp("a2", "alice", {}), b1 = MakeOp("b1", "bob", {});
  s.Enqueue(a1.get());
  s.Enqueue(a2.get());
  s.Enqueue(b1.get());
  EXPECT_EQ(Ids(s.Admit()), (std::vector<std::string>{"a1", "b1"}));
  EXPECT_EQ(s.running_of("alice"), 1);
  EXPECT_EQ(s.queued_of("alice"), 1);
}

TEST(SchedulerTest, ConflictingClaimsWaitAndKeepOrder) {
  Scheduler s(4, Running(10));
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

// An operation whose QUEUED event is not durable yet is admitted like any other (its RUNNING
// event then rides in the commit that creates it; the executor runs it only after that
// commit), and admission marks it until its run ends.
// Between passes the scheduler looks only at operations queued since (the others still wait):
// a newcomer still waits behind a queued operation that claims what it claims, even when no
// running operation holds that, and runs once the one ahead leaves the queue.
TEST(SchedulerTest, ANewcomerWaitsBehindTheClaimsOfEarlierWaiters) {
  Scheduler s(4, Running(10));
  auto a = MakeOp("a", "p", {{"x", Access::kWrite}});
  auto b = MakeOp("b", "p", {{"x", Access::kWrite}, {"y", Access::kWrite}});
  auto c = MakeOp("c", "p", {{"y", Access::kRead}});
  auto d = MakeOp("d", "p", {{"z", Access::kWrite}});
  auto e = MakeOp("e", "p", {{"y", Access::kRead}});
  s.Enqueue(a.get());
  EXPECT_EQ(Ids(s.Admit()), (std::vector<std::string>{"a"}));
  s.Enqueue(b.get());
  EXPECT_TRUE(s.Admit().empty());  // x is a's
  s.Enqueue(c.get());
  EXPECT_TRUE(s.Admit().empty());  // y is free, but b waits for it ahead of c
  s.Enqueue(d.get());
  EXPECT_EQ(Ids(s.Admit()), (std::vector<std::string>{"d"}));  // nothing ahead claims z
  s.Enqueue(e.get());
  EXPECT_TRUE(s.Admit().empty());  // still b ahead, and c is no reason to pass
  EXPECT_TRUE(s.Dequeue(b.get()));
  EXPECT_EQ(Ids(s.Admit()), (std::vector<std::string>{"c", "e"}));
  EXPECT_EQ(s.queued(), 0);
}

// A run's end lets the next waiting operation run, then newcomers behind it wait for it.
TEST(SchedulerTest, AfterARunEndsTheNextWaiterRunsAndNewcomersWaitBehindIt) {
  Scheduler s(4, Running(10));
  auto a = MakeOp("a", "p", {{"x", Access::kWrite}});
  auto b = MakeOp("b", "p", {{"x", Access::kWrite}});
  auto c = MakeOp("c", "p", {{"x", Access::kRead}});
  s.Enqueue(a.get());
  s.Enqueue(b.get());
  EXPECT_EQ(Ids(s.Admit()), (std::vector<std::string>{"a"}));
  s.EndRun(a.get());
  EXPECT_EQ(Ids(s.Admit()), (std::vector<std::string>{"b"}));
  s.Enqueue(c.get());
  EXPECT_TRUE(s.Admit().empty());
  s.EndRun(b.get());
  EXPECT_EQ(Ids(s.Admit()), (std::vector<std::string>{"c"}));
}

TEST(SchedulerTest, AnUndurableOperationIsAdmitted) {
  Scheduler s(4, Running(10));
  auto a = MakeOp("a", "p", {}, /*durable=*/false), b = MakeOp("b", "p", {});
  s.Enqueue(a.get());
  s.Enqueue(b.get());
  EXPECT_FALSE(a->admitted);
  EXPECT_EQ(Ids(s.Admit()), (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(a->admitted);
  s.EndRun(a.get());
  EXPECT_FALSE(a->admitted);
  EXPECT_EQ(s.running(), 1);
}

TEST(SchedulerTest, DequeueTakesAQueuedOperationOut) {
  Scheduler s(1, Running(10));
  auto a = MakeOp("a", "p", {});
  s.Enqueue(a.get());
  EXPECT_TRUE(s.Dequeue(a.get()));
  EXPECT_FALSE(s.Dequeue(a.get()));
  EXPECT_EQ(s.queued(), 0);
  EXPECT_EQ(s.queued_of("p"), 0);
  EXPECT_TRUE(s.Admit().empty());
}

TEST(SchedulerTest, APrincipalsOwnRunningLimitReplacesTheServersForIt) {
  LimitOverrides batch;
  batch.max_running = 3;
  Scheduler s(4, LimitsWith(/*max_running=*/1, /*max_queued=*/200, "batch", batch));
  std::vector<std::unique_ptr<Op>> ops;
  for (const char* id : {"b1", "b2", "b3", "b4", "a1", "a2"}) {
    ops.push_back(MakeOp(id, id[0] == 'b' ? "batch" : "alice", {}));
    s.Enqueue(ops.back().get());
  }
  EXPECT_EQ(Ids(s.Admit()), (std::vector<std::string>{"b1", "b2", "b3", "a1"}));
  EXPECT_EQ(s.running_of("batch"), 3);
  EXPECT_EQ(s.queued_of("alice"), 1);
}

TEST(SchedulerTest, RoomToQueueUsesThePrincipalsQueuedLimit) {
  LimitOverrides solo;
  solo.max_queued = 1;
  Scheduler s(1, LimitsWith(/*max_running=*/1, /*max_queued=*/2, "solo", solo));
  auto s1 = MakeOp("s1", "solo", {}), p1 = MakeOp("p1", "p", {}), p2 = MakeOp("p2", "p", {});
  EXPECT_TRUE(s.RoomToQueue("solo").ok());
  s.Enqueue(s1.get());
  absl::Status full = s.RoomToQueue("solo");
  EXPECT_EQ(full.code(), absl::StatusCode::kResourceExhausted);
  core::Error error = ToError(full);
  EXPECT_EQ(error.reason, core::reason::kQueueFull);
  EXPECT_EQ(error.metadata["scope"], "principal");
  EXPECT_EQ(error.metadata["limit"], "1");
  s.Enqueue(p1.get());
  EXPECT_TRUE(s.RoomToQueue("p").ok());
  s.Enqueue(p2.get());
  EXPECT_EQ(ToError(s.RoomToQueue("p")).metadata["limit"], "2");
}

}  // namespace
}  // namespace gpop::engine
