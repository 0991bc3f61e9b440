#include "service/engine/operation_ids.h"

#include <gtest/gtest.h>

#include <set>

namespace gpop::engine {
namespace {

TEST(OperationIdsTest, IdsHaveThePrefixAndBase32Body) {
  OperationIdGenerator ids;
  std::string id = ids.Next();
  ASSERT_EQ(id.size(), 3u + 26u);
  EXPECT_EQ(id.substr(0, 3), "op-");
  for (char c : id.substr(3)) {
    EXPECT_TRUE((c >= 'a' && c <= 'z') || (c >= '2' && c <= '7')) << id;
  }
}

TEST(OperationIdsTest, IdsAreUniqueWithinAndAcrossGenerators) {
  std::set<std::string> seen;
  OperationIdGenerator a, b;
  for (int i = 0; i < 5000; ++i) {
    EXPECT_TRUE(seen.insert(a.Next()).second);
    EXPECT_TRUE(seen.insert(b.Next()).second);
  }
}

}  // namespace
}  // namespace gpop::engine
