// The dashboard's session: a browser signs in once with a bearer token (POST /v1/session) and
// then authenticates by cookie, because EventSource cannot send an Authorization header.
//
// The cookie is stateless and survives a gpopd restart: it is the bearer token and the
// session's expiry, sealed with AES-256-GCM under a key derived from gpopd's page-token key
// (kept in --state_dir). Every request re-authenticates the token inside it through the same
// Authenticator as gRPC, so revoking or expiring the token ends its sessions at once. The
// cookie is HttpOnly (page scripts never see it) and SameSite=Strict (other sites' requests do
// not carry it); requests that change state must also carry the session's CSRF token (a MAC of
// the cookie) in the X-Gpop-Csrf header, which another site can neither read nor send without
// a CORS preflight that gpopd never grants.

#ifndef GPOP_SERVICE_HTTP_SESSION_H_
#define GPOP_SERVICE_HTTP_SESSION_H_

#include <string>

#include "absl/status/statusor.h"
#include "service/engine/types.h"

namespace gpop::http {

// The cookie's name and the CSRF header's (lower-case, as Request::headers has it).
inline constexpr char kSessionCookie[] = "gpop_session";
inline constexpr char kCsrfHeader[] = "x-gpop-csrf";

// SessionSealer
//
// Seals and opens session cookies. Immutable after construction; thread-safe.
class SessionSealer {
 public:
  // `secret` (any length; empty: a random one for this process) is never used directly: the
  // sealing and CSRF keys are derived from it.
  explicit SessionSealer(const std::string& secret);

  // A cookie value holding `bearer_token` until `expires`.
  std::string Seal(const std::string& bearer_token, engine::Time expires) const;

  struct Opened {
    std::string bearer_token;
    engine::Time expires;
  };
  // The token inside `cookie`. UNAUTHENTICATED (reason SESSION_INVALID) when the cookie was not
  // sealed by this key or is malformed, (reason SESSION_EXPIRED) when it has expired at `now`.
  // The message never contains the token.
  absl::StatusOr<Opened> Open(const std::string& cookie, engine::Time now) const;

  // The CSRF token of the session in `cookie`, and whether `presented` is it (constant time).
  std::string CsrfToken(const std::string& cookie) const;
  bool CsrfMatches(const std::string& cookie, const std::string& presented) const;

 private:
  std::string seal_key_;  // 32 bytes, AES-256-GCM
  std::string csrf_key_;  // 32 bytes, HMAC-SHA-256
};

// SessionCookieHeader
//
// The Set-Cookie value that stores `value` for `max_age_seconds` (0: deletes the cookie);
// `secure` (the listener serves TLS) adds the Secure attribute.
std::string SessionCookieHeader(const std::string& value, int64_t max_age_seconds, bool secure);

}  // namespace gpop::http

#endif  // GPOP_SERVICE_HTTP_SESSION_H_
