// The two files that configure authentication, parsed. Both are line-oriented text; '#' starts a
// comment line; words are separated by blanks, and a word may be "double-quoted" to hold blanks.
//
// Tokens file (--tokens_file): one bearer token per line, stored hashed:
//   PRINCIPAL sha256:HEX EXPIRY
// HEX is the lower-case SHA-256 of the token (`printf %s "$TOKEN" | sha256sum`); EXPIRY is an
// RFC 3339 time ("2027-01-31T00:00:00Z") or "never". A token is revoked by removing its line
// (then SIGHUP).
//
// Policy file (--auth_policy): what principals may do, and who the other credentials are:
//   grant PRINCIPAL ROLE [kind=KIND]... [gpo=PATTERN]... [label=KEY=VALUE]...
//   cert IDENTITY PRINCIPAL     a verified client certificate whose CN or a SAN is IDENTITY
//   uid UID PRINCIPAL           a Unix-socket peer with that uid
//   limit PRINCIPAL KEY=N...    its own limits, replacing the server-wide ones for it:
//     starts_per_minute=N   StartOperation rate (0: unlimited; --start_rate_per_minute)
//     max_running=N         operations running at once (--max_running_per_principal)
//     max_queued=N          operations waiting to run (--max_queued_per_principal)
//     max_streams=N         open status and watch streams (--max_streams_per_principal)
// ROLE is viewer, operator or admin; KIND backup, restore, import, copy or report; PATTERN a
// "{GUID}" or a display-name pattern with '*' (see principal.h's Grant). Several grant lines for
// one principal add up; so do its limit lines (a key given twice: the later value).

#ifndef GPOP_SERVICE_API_AUTH_AUTH_FILES_H_
#define GPOP_SERVICE_API_AUTH_AUTH_FILES_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "service/api/auth/principal.h"
#include "service/engine/clock.h"
#include "service/engine/principal_limits.h"

namespace gpop::api {

// TokenEntry
//
// One line of the tokens file.
struct TokenEntry {
  std::string principal;
  std::optional<engine::Time> expires;  // none: never
};

// Token hash (lower-case hex SHA-256) -> entry.
using TokenTable = std::map<std::string, TokenEntry>;

// AuthPolicy
//
// The policy file.
struct AuthPolicy {
  std::map<std::string, std::vector<Grant>> grants;             // by principal
  std::map<std::string, std::string> certificates;              // identity -> principal
  std::map<uint32_t, std::string> uids;                         // uid -> principal
  std::map<std::string, double> starts_per_minute;              // by principal ("limit" lines)
  std::map<std::string, engine::LimitOverrides> engine_limits;  // by principal ("limit" lines)
};

// HashToken
//
// The lower-case hex SHA-256 of `token`, as the tokens file stores it.
std::string HashToken(const std::string& token);

// ParseTokensFile / ParsePolicyFile
//
// The file's text, parsed. Errors: INVALID_ARGUMENT naming `source` and the line.
absl::StatusOr<TokenTable> ParseTokensFile(const std::string& text, const std::string& source);
absl::StatusOr<AuthPolicy> ParsePolicyFile(const std::string& text, const std::string& source);

}  // namespace gpop::api

#endif  // GPOP_SERVICE_API_AUTH_AUTH_FILES_H_
