// The HTTP authentication seam (see caller.h).

#include "service/http/caller.h"

namespace gpop::http {

absl::StatusOr<api::Principal> HttpCaller(const std::string& /*authorization*/) {
  // As api::CallerPrincipal for gRPC: no tokens are configured yet, so loopback callers act as
  // the implicit admin. The security work's Authenticator will check the bearer token here.
  return api::Principal::LocalAdmin();
}

}  // namespace gpop::http
