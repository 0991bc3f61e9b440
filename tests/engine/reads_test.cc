// Reads: Get of a finished operation that left memory reads it back from the store (and caches
// it while pinned); unknown ids answer OPERATION_NOT_FOUND; List pages newest first from the
// store with the current progress of resident operations.

#include "service/engine/reads.h"

#include <gtest/gtest.h>

#include "tests/engine/parts_testing.h"

namespace gpop::engine {
namespace {

using core::OperationState;
using gpop::testing::BackupRequest;
using gpop::testing::PartsHarness;
using gpop::testing::ReasonOf;

TEST(ReadsTest, AFinishedOperationIsReadBackFromTheStore) {
  EngineOptions o;
  o.cached_finished_operations = 0;  // finished ones leave memory at once
  PartsHarness h(o);
  auto rec = h.parts().admission.Start(BackupRequest(1));
  ASSERT_TRUE(rec.ok());
  h.backend().Open(rec->id);
  h.RunToEnd(rec->id);
  {
    core::MutexLock lock(&h.core().s.mu);
    EXPECT_EQ(h.core().s.ops.Find(rec->id), nullptr);
  }
  {
    absl::StatusOr<Reads::Pin> pin = h.parts().reads.PinResident(rec->id);
    ASSERT_TRUE(pin.ok());
    core::MutexLock lock(&h.core().s.mu);
    EXPECT_NE(h.core().s.ops.Find(rec->id), nullptr);  // resident while pinned
    EXPECT_TRUE(h.parts().reads.FoundLocked(rec->id).ok());
  }
  {
    core::MutexLock lock(&h.core().s.mu);
    EXPECT_EQ(h.core().s.ops.Find(rec->id), nullptr);  // unpinned: evicted again
  }
  auto got = h.parts().reads.Get(rec->id);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->state, OperationState::kSucceeded);
  EXPECT_EQ(got->id, rec->id);
}

TEST(ReadsTest, UnknownIdsAreNotFound) {
  PartsHarness h;
  auto got = h.parts().reads.Get("op-unknown");
  EXPECT_TRUE(absl::IsNotFound(got.status()));
  EXPECT_EQ(ReasonOf(got.status()), core::reason::kOperationNotFound);
}

TEST(ReadsTest, ListPagesNewestFirstWithCurrentProgress) {
  PartsHarness h;
  std::vector<std::string> ids;
  for (int i = 1; i <= 3; ++i) {
    auto rec = h.parts().admission.Start(BackupRequest(i));
    ASSERT_TRUE(rec.ok());
    ids.push_back(rec->id);
  }
  for (const std::string& id : ids) h.backend().WaitStarted(id);
  {
    core::MutexLock lock(&h.core().s.mu);  // progress is a current value, not in the store
    Op* op = h.core().s.ops.Find(ids[2]);
    op->visible.progress = Progress{1, 4, op->rec.last_sequence};
  }
  ListRequest req;
  req.page_size = 2;
  auto first = h.parts().reads.List(req);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(first->operations.size(), 2u);
  EXPECT_EQ(first->operations[0].id, ids[2]);
  EXPECT_EQ(first->operations[1].id, ids[1]);
  EXPECT_EQ(first->operations[0].progress.numerator, 1);
  ASSERT_FALSE(first->next_page_token.empty());
  req.page_token = first->next_page_token;
  auto second = h.parts().reads.List(req);
  ASSERT_TRUE(second.ok());
  ASSERT_EQ(second->operations.size(), 1u);
  EXPECT_EQ(second->operations[0].id, ids[0]);
  EXPECT_EQ(second->revision, first->revision);  // the first page's revision carries on
  EXPECT_TRUE(second->next_page_token.empty());
  req.filter = "kind=restore";  // a token is bound to its filter
  EXPECT_TRUE(absl::IsInvalidArgument(h.parts().reads.List(req).status()));
  for (const std::string& id : ids) h.backend().Open(id);
  for (const std::string& id : ids) h.RunToEnd(id);
}

}  // namespace
}  // namespace gpop::engine
