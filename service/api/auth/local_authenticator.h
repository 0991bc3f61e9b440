// The authenticator of a gpopd with no credentials configured: callers on this host (loopback
// or the Unix socket) act as the implicit admin kLocalPrincipal; others are refused, unless the
// operator opened the listener to the network with --insecure.

#ifndef GPOP_SERVICE_API_AUTH_LOCAL_AUTHENTICATOR_H_
#define GPOP_SERVICE_API_AUTH_LOCAL_AUTHENTICATOR_H_

#include "service/api/auth/authenticator.h"

namespace gpop::api {

// LocalAuthenticator
//
// Thread-safe (immutable).
class LocalAuthenticator final : public Authenticator {
 public:
  explicit LocalAuthenticator(bool insecure_remote_admin = false)
      : insecure_remote_admin_(insecure_remote_admin) {}

  absl::StatusOr<Principal> Authenticate(const Credentials& credentials) const override;

 private:
  const bool insecure_remote_admin_;
};

}  // namespace gpop::api

#endif  // GPOP_SERVICE_API_AUTH_LOCAL_AUTHENTICATOR_H_
