// Removals: DeleteOperation refuses unfinished operations and removes finished ones (then
// OPERATION_DELETED); retention removes by age and by count (then OPERATION_EXPIRED).

#include "service/engine/removals.h"

#include <gtest/gtest.h>

#include "service/engine/reads.h"
#include "tests/engine/parts_testing.h"

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

}  // namespace
}  // namespace gpop::engine
