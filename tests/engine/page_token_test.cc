#include "service/engine/page_token.h"

#include <gtest/gtest.h>

namespace gpop::engine {
namespace {

TEST(PageTokenTest, RoundTrips) {
  std::string text = EncodePageToken({42, 7}, "state = RUNNING | a");
  std::optional<PageToken> token = DecodePageToken(text, "state = RUNNING | a");
  ASSERT_TRUE(token.has_value());
  EXPECT_EQ(token->before_revision, 42u);
  EXPECT_EQ(token->revision, 7u);
}

TEST(PageTokenTest, RefusesAnotherFilterAndGarbage) {
  std::string text = EncodePageToken({42, 7}, "state = RUNNING");
  EXPECT_FALSE(DecodePageToken(text, "").has_value());
  EXPECT_FALSE(DecodePageToken("not base64!", "").has_value());
  EXPECT_FALSE(DecodePageToken(EncodePageToken({1, 1}, "") + "AAAA", "").has_value());
  EXPECT_FALSE(DecodePageToken("djF8MXwxfA", "").has_value());  // "v1|1|1|": before ids
}

}  // namespace
}  // namespace gpop::engine
