// List page tokens: opaque to clients, they carry the position to continue before, the revision
// the first page reflected and the filter they were issued for.

#ifndef GPOP_SERVICE_ENGINE_PAGE_TOKEN_H_
#define GPOP_SERVICE_ENGINE_PAGE_TOKEN_H_

#include <cstdint>
#include <optional>
#include <string>

namespace gpop::engine {

// PageToken
//
// The decoded content of a page token.
struct PageToken {
  // Continue with operations created before this one (the revision of its first change).
  uint64_t before_revision = 0;
  uint64_t revision = 0;  // the server revision of the first page
};

std::string EncodePageToken(const PageToken& token, const std::string& canonical_filter);

// nullopt when `text` is not a token this server issued, or was issued for another filter.
std::optional<PageToken> DecodePageToken(const std::string& text,
                                         const std::string& canonical_filter);

}  // namespace gpop::engine

#endif  // GPOP_SERVICE_ENGINE_PAGE_TOKEN_H_
