#include "service/engine/page_token.h"

#include <gtest/gtest.h>

namespace gpop::engine {
namespace {

TEST(PageTokenTest, RoundTrips) {
  std::string text = EncodePageToken({42, 7}, "state = RUNNING");
  std::optional<PageToken> token = DecodePageToken(text, "state = RUNNING");
  ASSERT_TRUE(token.has_value());
  EXPECT_EQ(token->before_index, 42u);
  EXPECT_EQ(token->revision, 7u);
}

TEST(PageTokenTest, RefusesAnotherFilterAndGarbage) {
  std::string text = EncodePageToken({42, 7}, "state = RUNNING");
  EXPECT_FALSE(DecodePageToken(text, "").has_value());
  EXPECT_FALSE(DecodePageToken("not base64!", "").has_value());
  EXPECT_FALSE(DecodePageToken(EncodePageToken({1, 1}, "") + "AAAA", "").has_value());
  EXPECT_FALSE(DecodePageToken("djJ8MXwxfA", "").has_value());  // "v2|1|1|"
}

}  // namespace
}  // namespace gpop::engine
