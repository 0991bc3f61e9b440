// The HTTP authentication seam (see caller.h).

#include "service/http/caller.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "service/core/error.h"
#include "service/engine/status_convert.h"

namespace gpop::http {

absl::StatusOr<std::string> BearerToken(const std::string& authorization) {
  constexpr char kBearer[] = "bearer ";
  std::string token;
  if (absl::StartsWithIgnoreCase(authorization, kBearer)) {
    token = std::string(absl::StripAsciiWhitespace(authorization.substr(sizeof(kBearer) - 1)));
  }
  if (token.empty()) {
    return engine::MakeStatus(core::Code::kUnauthenticated, api::reason::kUnauthenticated,
                              "the Authorization header must be \"Bearer <token>\"");
  }
  return token;
}

absl::StatusOr<HttpIdentity> HttpCaller(const std::string& authorization,
                                        const std::string* session_cookie,
                                        const SessionSealer& sealer, engine::Time now,
                                        const api::Authenticator& authenticator,
                                        api::Credentials transport) {
  api::Credentials credentials = std::move(transport);
  if (credentials.peer.empty()) credentials.peer = "http";
  HttpIdentity identity;
  absl::Status session_problem;
  if (!authorization.empty()) {
    absl::StatusOr<std::string> token = BearerToken(authorization);
    if (!token.ok()) return token.status();
    credentials.bearer_token = *std::move(token);
    identity.via = HttpIdentity::Via::kToken;
  } else if (session_cookie != nullptr && !session_cookie->empty()) {
    absl::StatusOr<SessionSealer::Opened> opened = sealer.Open(*session_cookie, now);
    if (opened.ok()) {
      credentials.bearer_token = std::move(opened->bearer_token);
      identity.via = HttpIdentity::Via::kSession;
      identity.session_cookie = *session_cookie;
      identity.session_expires = opened->expires;
    } else {
      // A stale cookie is no credential; it only explains a refusal below.
      session_problem = opened.status();
    }
  }
  absl::StatusOr<api::Principal> principal = authenticator.Authenticate(credentials);
  if (!principal.ok()) {
    return session_problem.ok() ? principal.status() : session_problem;
  }
  identity.principal = *std::move(principal);
  return identity;
}

}  // namespace gpop::http
