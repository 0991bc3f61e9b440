// Admission: Start returns a durable QUEUED record, answers a retried request_id with the same
// operation, and refuses past the queue limits, after shutdown began, and on bad timeouts.

#include "service/engine/admission.h"

#include <gtest/gtest.h>

#include "tests/engine/parts_testing.h"

namespace gpop::engine {
namespace {

using gpop::testing::BackupRequest;
using gpop::testing::PartsHarness;
using gpop::testing::ReasonOf;

TEST(AdmissionTest, StartReturnsTheRecordOnceItIsDurable) {
  PartsHarness h;
  auto rec = h.parts().admission.Start(BackupRequest(1));
  ASSERT_TRUE(rec.ok()) << rec.status();
  EXPECT_EQ(rec->state, core::OperationState::kQueued);
  EXPECT_EQ(rec->last_sequence, 1u);
  auto stored = h.store().ReadOperation(rec->id);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->principal, "alice");
  h.backend().Open(rec->id);
  EXPECT_EQ(h.RunToEnd(rec->id).state, core::OperationState::kSucceeded);
}

TEST(AdmissionTest, ARetriedRequestIdReturnsTheSameOperation) {
  PartsHarness h;
  StartRequest r = BackupRequest(1);
  r.request_id = "req-1";
  r.fingerprint = "f1";
  auto first = h.parts().admission.Start(r);
  ASSERT_TRUE(first.ok());
  auto again = h.parts().admission.Start(r);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->id, first->id);
  StartRequest other = r;
  other.fingerprint = "f2";  // another request under the same request_id
  auto reused = h.parts().admission.Start(other);
  EXPECT_TRUE(absl::IsAlreadyExists(reused.status()));
  EXPECT_EQ(ReasonOf(reused.status()), core::reason::kRequestIdReused);
  StartRequest bob = r;
  bob.principal = "bob";  // request ids are per principal
  auto bobs = h.parts().admission.Start(bob);
  ASSERT_TRUE(bobs.ok());
  EXPECT_NE(bobs->id, first->id);
  h.backend().Open(first->id);
  h.backend().Open(bobs->id);
  h.RunToEnd(first->id);
  h.RunToEnd(bobs->id);
}

TEST(AdmissionTest, QueueLimitsRefuseWithQueueFull) {
  EngineOptions o;
  o.executor_threads = 1;
  o.max_queued = 2;
  o.max_queued_per_principal = 1;
  PartsHarness h(o);
  auto running = h.parts().admission.Start(BackupRequest(1));
  ASSERT_TRUE(running.ok());
  h.backend().WaitStarted(running->id);
  auto queued = h.parts().admission.Start(BackupRequest(2));
  ASSERT_TRUE(queued.ok());
  auto per_principal = h.parts().admission.Start(BackupRequest(3));
  EXPECT_TRUE(absl::IsResourceExhausted(per_principal.status()));
  EXPECT_EQ(ReasonOf(per_principal.status()), core::reason::kQueueFull);
  auto bobs = h.parts().admission.Start(BackupRequest(4, "bob"));
  ASSERT_TRUE(bobs.ok());
  auto server = h.parts().admission.Start(BackupRequest(5, "carol"));
  EXPECT_TRUE(absl::IsResourceExhausted(server.status()));
  {
    core::MutexLock lock(&h.core().s.mu);
    EXPECT_EQ(h.core().scheduler.queued(), 2);
  }
  for (const auto& rec : {*running, *queued, *bobs}) h.backend().Open(rec.id);
  for (const auto& rec : {*running, *queued, *bobs}) h.RunToEnd(rec.id);
}

TEST(AdmissionTest, RefusesBadTimeoutsAndStartsDuringShutdown) {
  PartsHarness h;
  StartRequest r = BackupRequest(1);
  r.timeout = Duration::zero();
  EXPECT_TRUE(absl::IsInvalidArgument(h.parts().admission.Start(r).status()));
  r.timeout = h.core().options.max_timeout + std::chrono::seconds(1);
  EXPECT_TRUE(absl::IsInvalidArgument(h.parts().admission.Start(r).status()));
  {
    core::MutexLock lock(&h.core().s.mu);
    h.core().shutting_down = true;
  }
  auto refused = h.parts().admission.Start(BackupRequest(1));
  EXPECT_TRUE(absl::IsUnavailable(refused.status()));
  EXPECT_EQ(ReasonOf(refused.status()), core::reason::kShuttingDown);
}

}  // namespace
}  // namespace gpop::engine
