#include "service/engine/resource_locks.h"

#include <gtest/gtest.h>

namespace gpop::engine {
namespace {

using Access = core::ResourceClaim::Access;

std::vector<core::ResourceClaim> Read(const std::string& r) { return {{r, Access::kRead}}; }
std::vector<core::ResourceClaim> Write(const std::string& r) { return {{r, Access::kWrite}}; }

TEST(ResourceLocksTest, ReadersShareAWriterExcludes) {
  ResourceLocks locks;
  locks.Acquire(Read("gpo:a"));
  EXPECT_TRUE(locks.Available(Read("gpo:a")));
  EXPECT_FALSE(locks.Available(Write("gpo:a")));
  EXPECT_TRUE(locks.Available(Write("gpo:b")));
  locks.Acquire(Read("gpo:a"));
  locks.Release(Read("gpo:a"));
  EXPECT_FALSE(locks.Available(Write("gpo:a")));  // one reader left
  locks.Release(Read("gpo:a"));
  EXPECT_TRUE(locks.Available(Write("gpo:a")));
  EXPECT_EQ(locks.locked_resources(), 0u);

  locks.Acquire(Write("gpo:a"));
  EXPECT_FALSE(locks.Available(Read("gpo:a")));
  locks.Release(Write("gpo:a"));
  EXPECT_TRUE(locks.Available(Read("gpo:a")));
}

TEST(ResourceLocksTest, WaitingClaimsKeepQueueOrder) {
  WaitingClaims waiting;
  EXPECT_FALSE(waiting.Blocks(Write("gpo:a")));
  waiting.Add(Read("gpo:a"));
  EXPECT_FALSE(waiting.Blocks(Read("gpo:a")));  // readers behind a waiting reader may go
  EXPECT_TRUE(waiting.Blocks(Write("gpo:a")));
  waiting.Add(Write("gpo:a"));
  EXPECT_TRUE(waiting.Blocks(Read("gpo:a")));  // nobody overtakes a waiting writer
  EXPECT_FALSE(waiting.Blocks(Write("gpo:b")));
}

}  // namespace
}  // namespace gpop::engine
