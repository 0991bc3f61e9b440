// Who is calling over HTTP: the one place where service/http decides the principal of a
// request, so that bearer tokens (the security work's transport-neutral Authenticator) plug in
// here without touching the routes.

#ifndef GPOP_SERVICE_HTTP_CALLER_H_
#define GPOP_SERVICE_HTTP_CALLER_H_

#include <string>

#include "absl/status/statusor.h"
#include "service/api/principal.h"

namespace gpop::http {

// HttpCaller
//
// The principal behind a request with this Authorization header (empty when absent). With no
// credentials configured (the only mode so far, as for gRPC) every caller is the implicit
// admin api::kLocalPrincipal; the listener is loopback-only unless --insecure. Thread-safe.
absl::StatusOr<api::Principal> HttpCaller(const std::string& authorization);

}  // namespace gpop::http

#endif  // GPOP_SERVICE_HTTP_CALLER_H_
