// The authentication seam (see principal.h).

#include "service/api/principal.h"

namespace gpop::api {

Principal CallerPrincipal(const grpc::CallbackServerContext* /*context*/) {
  // No credentials are configured yet: loopback (or --insecure) callers act as the implicit
  // admin. Token, mTLS and peer-credential authentication will read `context` here.
  return Principal{kLocalPrincipal};
}

}  // namespace gpop::api
