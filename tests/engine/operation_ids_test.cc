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

namespace gpop::engine {
namespace {

// The whole generator state comes from the entropy source: every one of its words counts, so
// ids are not determined by one 32-bit draw (2^32 possible sequences) as they once were.
TEST(OperationIdsTest, SeedsTheFullStateFromTheEntropySource) {
  int draws = 0;
  auto source = [&draws](uint32_t last) {
    return [&draws, last] {
      ++draws;
      return draws % OperationIdGenerator::kSeedWords == 0 ? last : 7u;
    };
  };
  OperationIdGenerator a(source(1));
  EXPECT_EQ(draws, OperationIdGenerator::kSeedWords);
  EXPECT_EQ(OperationIdGenerator::kSeedWords, 624);
  OperationIdGenerator b(source(2));  // differs from a's seed in the last word only
  OperationIdGenerator a_again(source(1));
  std::string first_a = a.Next();
  EXPECT_NE(first_a, b.Next());
  EXPECT_EQ(first_a, a_again.Next());  // same seed, same ids: the seed is all there is
}

}  // namespace
}  // namespace gpop::engine
