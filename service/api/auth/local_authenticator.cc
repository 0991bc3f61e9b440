// The no-credentials authenticator (see local_authenticator.h).

#include "service/api/auth/local_authenticator.h"

#include "service/engine/status_convert.h"

namespace gpop::api {

absl::StatusOr<Principal> LocalAuthenticator::Authenticate(const Credentials& credentials) const {
  if (credentials.peer_is_local || insecure_remote_admin_) return Principal::LocalAdmin();
  return engine::MakeStatus(core::Code::kUnauthenticated, reason::kUnauthenticated,
                            "no credentials are configured on this server, and only local "
                            "callers may call it without them");
}

}  // namespace gpop::api
