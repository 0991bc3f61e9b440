// The HTTP authentication seam (see caller.h).

#include "service/http/caller.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "service/core/error.h"
#include "service/engine/status_convert.h"

namespace gpop::http {

absl::StatusOr<api::Principal> HttpCaller(const std::string& authorization,
                                          const api::Authenticator& authenticator,
                                          bool peer_is_local) {
  api::Credentials credentials;
  credentials.peer_is_local = peer_is_local;
  credentials.peer = "http";
  if (!authorization.empty()) {
    constexpr char kBearer[] = "bearer ";
    if (!absl::StartsWithIgnoreCase(authorization, kBearer) ||
        authorization.size() == sizeof(kBearer) - 1) {
      return engine::MakeStatus(core::Code::kUnauthenticated, api::reason::kUnauthenticated,
                                "the Authorization header must be \"Bearer <token>\"");
    }
    credentials.bearer_token =
        std::string(absl::StripAsciiWhitespace(authorization.substr(sizeof(kBearer) - 1)));
  }
  return authenticator.Authenticate(credentials);
}

}  // namespace gpop::http
