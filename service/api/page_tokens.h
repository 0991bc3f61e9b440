// Opaque, tamper-evident page tokens. The engine's page token says where the next page starts;
// at the API edge it is sealed with an HMAC-SHA256 over the token, the filter, the page size and
// the caller, so that a client can neither forge a position nor reuse a token with another
// filter, page size or principal (AIP-158: a changed request with a token is INVALID_ARGUMENT).

#ifndef GPOP_SERVICE_API_PAGE_TOKENS_H_
#define GPOP_SERVICE_API_PAGE_TOKENS_H_

#include <string>

#include "absl/status/statusor.h"

namespace gpop::api {

// PageTokenSealer
//
// Immutable; thread-safe.
class PageTokenSealer {
 public:
  // `key`: the HMAC key (at least 32 bytes). Empty: a random key (tokens then die with the
  // process).
  explicit PageTokenSealer(std::string key = "");

  // LoadOrCreateKey
  //
  // The key in `path`, or a new random one written there (0600) when the file does not exist.
  // Errors: INTERNAL (cannot read or write it), INVALID_ARGUMENT (shorter than 32 bytes).
  static absl::StatusOr<std::string> LoadOrCreateKey(const std::string& path);

  // The sealed form of `engine_token` (empty stays empty: the last page).
  std::string Seal(const std::string& engine_token, const std::string& filter, int page_size,
                   const std::string& principal) const;

  // The engine token inside `token` (empty stays empty). A token not sealed by this key for this
  // filter, page size and principal: INVALID_ARGUMENT, reason INVALID_FIELD, field "page_token".
  absl::StatusOr<std::string> Open(const std::string& token, const std::string& filter,
                                   int page_size, const std::string& principal) const;

 private:
  std::string Mac(const std::string& engine_token, const std::string& filter, int page_size,
                  const std::string& principal) const;

  std::string key_;
};

}  // namespace gpop::api

#endif  // GPOP_SERVICE_API_PAGE_TOKENS_H_
