#include "service/engine/page_token.h"

#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace gpop::engine {

std::string EncodePageToken(const PageToken& token, const std::string& canonical_filter) {
  return absl::WebSafeBase64Escape(
      absl::StrCat("v2|", token.before_revision, "|", token.revision, "|", canonical_filter));
}

std::optional<PageToken> DecodePageToken(const std::string& text,
                                         const std::string& canonical_filter) {
  std::string raw;
  if (!absl::WebSafeBase64Unescape(text, &raw)) return std::nullopt;
  // v1 carried an in-memory index: its positions mean nothing to the store.
  std::vector<std::string> parts = absl::StrSplit(raw, absl::MaxSplits('|', 3));
  if (parts.size() != 4 || parts[0] != "v2" || parts[3] != canonical_filter) return std::nullopt;
  PageToken token;
  if (!absl::SimpleAtoi(parts[1], &token.before_revision) ||
      !absl::SimpleAtoi(parts[2], &token.revision)) {
    return std::nullopt;
  }
  return token;
}

}  // namespace gpop::engine
