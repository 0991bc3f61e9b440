// Who is calling over HTTP: the one place where service/http decides the principal of a
// request, through the same transport-neutral Authenticator as gRPC (api/auth/authenticator.h).

#ifndef GPOP_SERVICE_HTTP_CALLER_H_
#define GPOP_SERVICE_HTTP_CALLER_H_

#include <string>

#include "absl/status/statusor.h"
#include "service/api/auth/authenticator.h"

namespace gpop::http {

// HttpCaller
//
// The principal behind a request with this Authorization header (empty when absent):
// "Bearer <token>" becomes the credential's bearer token; `peer_is_local` says whether the
// listener only accepts loopback peers. UNAUTHENTICATED as `authenticator` decides (a malformed
// Authorization header is UNAUTHENTICATED too). Thread-safe.
absl::StatusOr<api::Principal> HttpCaller(const std::string& authorization,
                                          const api::Authenticator& authenticator,
                                          bool peer_is_local);

}  // namespace gpop::http

#endif  // GPOP_SERVICE_HTTP_CALLER_H_
