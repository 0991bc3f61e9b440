// Who is calling over HTTP: the one place where service/http decides the principal of a
// request, through the same transport-neutral Authenticator as gRPC (api/auth/authenticator.h).
// A request presents an "Authorization: Bearer <token>" header (tools), or the dashboard's
// session cookie holding a sealed token (browsers: session.h), or nothing (the authenticator
// decides: with no credentials configured, a loopback caller is the implicit admin).

#ifndef GPOP_SERVICE_HTTP_CALLER_H_
#define GPOP_SERVICE_HTTP_CALLER_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "service/api/auth/authenticator.h"
#include "service/engine/types.h"
#include "service/http/session.h"

namespace gpop::http {

// HttpIdentity
//
// An authenticated caller and how it proved who it is.
struct HttpIdentity {
  enum class Via { kNone, kToken, kSession };
  api::Principal principal;
  Via via = Via::kNone;
  // kSession: the cookie's value and the session's expiry.
  std::string session_cookie;
  engine::Time session_expires{};
};

// BearerToken
//
// The token of an Authorization header ("Bearer <token>", case-insensitive scheme).
// UNAUTHENTICATED for any other form; the message never contains the header.
absl::StatusOr<std::string> BearerToken(const std::string& authorization);

// HttpCaller
//
// The principal behind a request with this Authorization header (empty when absent) and this
// session cookie (null when absent); the header wins when both are sent. `transport` is what the
// listener knows of the peer (whether it is local, a verified client certificate's identities).
// UNAUTHENTICATED as `authenticator` decides, or for a malformed header, or (when the authenticator
// refuses a caller with no credentials) for a session cookie that is invalid or expired at `now`.
// Thread-safe.
absl::StatusOr<HttpIdentity> HttpCaller(const std::string& authorization,
                                        const std::string* session_cookie,
                                        const SessionSealer& sealer, engine::Time now,
                                        const api::Authenticator& authenticator,
                                        api::Credentials transport);

}  // namespace gpop::http

#endif  // GPOP_SERVICE_HTTP_CALLER_H_
