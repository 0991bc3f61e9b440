// Sealed page tokens (service/api/page_tokens.h).

#include "service/api/page_tokens.h"

#include "absl/strings/escaping.h"
#include "gtest/gtest.h"
#include "service/engine/status_convert.h"

namespace gpop::api {
namespace {

TEST(PageTokensTest, OpensWhatItSealedForTheSameRequestOnly) {
  PageTokenSealer sealer(std::string(32, 'k'));
  std::string token = sealer.Seal("engine-position-42", "state=RUNNING", 10, "alice");
  EXPECT_EQ(token.find("engine-position-42"), std::string::npos);  // not readable as is
  absl::StatusOr<std::string> opened = sealer.Open(token, "state=RUNNING", 10, "alice");
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(*opened, "engine-position-42");
  for (absl::Status refused :
       {sealer.Open(token, "state=QUEUED", 10, "alice").status(),
        sealer.Open(token, "state=RUNNING", 11, "alice").status(),
        sealer.Open(token, "state=RUNNING", 10, "bob").status(),
        PageTokenSealer(std::string(32, 'x')).Open(token, "state=RUNNING", 10, "alice").status()}) {
    EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(engine::ToError(refused).metadata["field"], "page_token");
  }
}

TEST(PageTokensTest, ForgedAndGarbledTokensAreRefused) {
  PageTokenSealer sealer;
  std::string token = sealer.Seal("p", "", 0, "local");
  std::string raw;
  ASSERT_TRUE(absl::WebSafeBase64Unescape(token, &raw));
  raw.back() ^= 1;  // another position, same MAC
  EXPECT_FALSE(sealer.Open(absl::WebSafeBase64Escape(raw), "", 0, "local").ok());
  EXPECT_FALSE(sealer.Open("not base64 !!", "", 0, "local").ok());
  EXPECT_FALSE(sealer.Open("MQ", "", 0, "local").ok());
  EXPECT_EQ(sealer.Seal("", "", 0, "local"), "");  // the last page has no token
  absl::StatusOr<std::string> empty = sealer.Open("", "", 0, "local");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*empty, "");
}

}  // namespace
}  // namespace gpop::api
