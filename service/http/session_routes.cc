// /v1/session: signing the dashboard in and out, and telling the page who it is (routes.h,
// session.h). The answers are google.protobuf.Struct in canonical JSON:
//   {"principal": "vera", "role": "viewer", "grants": [{"role": "viewer", "kinds": [...],
//    "gpos": [...], "labels": {...}}], "authenticatedBy": "session" | "token" | "none",
//    "expireTime": RFC 3339 (sessions), "csrfToken": "..." (sessions)}
// `role` is the caller's highest role in any grant (empty: none), for the page to decide which
// buttons to show; the server decides every call by the grants themselves (api/auth/policy.h).

#include <chrono>

#include "absl/time/time.h"
#include "google/protobuf/struct.pb.h"
#include "service/core/error.h"
#include "service/engine/status_convert.h"
#include "service/http/json.h"
#include "service/http/routes.h"

namespace gpop::http {
namespace {

const char* ViaName(HttpIdentity::Via via) {
  switch (via) {
    case HttpIdentity::Via::kToken:
      return "token";
    case HttpIdentity::Via::kSession:
      return "session";
    case HttpIdentity::Via::kNone:
      break;
  }
  return "none";
}

void SetString(google::protobuf::Struct* s, const std::string& key, const std::string& value) {
  (*s->mutable_fields())[key].set_string_value(value);
}

google::protobuf::ListValue* SetList(google::protobuf::Struct* s, const std::string& key) {
  return (*s->mutable_fields())[key].mutable_list_value();
}

std::string IdentityJson(const HttpIdentity& identity, const SessionSealer& sealer) {
  google::protobuf::Struct body;
  SetString(&body, "principal", identity.principal.name);
  SetString(&body, "authenticatedBy", ViaName(identity.via));
  int best = 0;
  google::protobuf::ListValue* grants = SetList(&body, "grants");
  for (const api::Grant& grant : identity.principal.grants) {
    best = std::max(best, static_cast<int>(grant.role));
    google::protobuf::Struct* g = grants->add_values()->mutable_struct_value();
    SetString(g, "role", api::RoleName(grant.role));
    google::protobuf::ListValue* kinds = SetList(g, "kinds");
    for (core::OperationKind kind : grant.kinds)
      kinds->add_values()->set_string_value(core::KindName(kind));
    google::protobuf::ListValue* gpos = SetList(g, "gpos");
    for (const std::string& gpo : grant.gpos) gpos->add_values()->set_string_value(gpo);
    google::protobuf::Struct* labels = (*g->mutable_fields())["labels"].mutable_struct_value();
    for (const auto& [key, value] : grant.labels) SetString(labels, key, value);
  }
  SetString(&body, "role", best == 0 ? "" : api::RoleName(static_cast<api::Role>(best)));
  if (identity.via == HttpIdentity::Via::kSession) {
    SetString(&body, "expireTime",
              absl::FormatTime(absl::RFC3339_sec, absl::FromChrono(identity.session_expires),
                               absl::UTCTimeZone()));
    SetString(&body, "csrfToken", sealer.CsrfToken(identity.session_cookie));
  }
  return ToJson(body);
}

}  // namespace

engine::Time Routes::Now() const {
  return sessions_.clock != nullptr ? sessions_.clock->Now() : std::chrono::system_clock::now();
}

Reply Routes::SignIn(const Request& request) const {
  if (absl::Status s = CheckSameOrigin(request); !s.ok()) return ErrorReply(s);
  auto authorization = request.headers.find("authorization");
  if (authorization == request.headers.end()) {
    return ErrorReply(engine::MakeStatus(
        core::Code::kUnauthenticated, api::reason::kUnauthenticated,
        "sign in by sending the bearer token as \"Authorization: Bearer <token>\""));
  }
  absl::StatusOr<std::string> token = BearerToken(authorization->second);
  if (!token.ok()) return ErrorReply(token.status());
  // A session is only ever made from a token the authenticator accepts now.
  absl::StatusOr<HttpIdentity> identity = HttpCaller(
      authorization->second, nullptr, *sessions_.sealer, Now(), *authenticator_, request.transport);
  if (!identity.ok()) return ErrorReply(identity.status());
  const auto ttl = std::chrono::duration_cast<std::chrono::seconds>(sessions_.ttl);
  identity->via = HttpIdentity::Via::kSession;
  identity->session_expires = std::chrono::time_point_cast<std::chrono::seconds>(Now()) + ttl;
  identity->session_cookie = sessions_.sealer->Seal(*token, identity->session_expires);
  Reply reply;
  reply.body = IdentityJson(*identity, *sessions_.sealer);
  reply.headers.emplace_back(
      "Set-Cookie", SessionCookieHeader(identity->session_cookie, ttl.count(), sessions_.secure));
  return reply;
}

Reply Routes::SessionReply(const Request& request, const HttpIdentity& identity) const {
  Reply reply;
  if (request.method == "GET" || request.method == "HEAD") {
    reply.body = IdentityJson(identity, *sessions_.sealer);
    return reply;
  }
  if (request.method == "DELETE") {
    reply.body = "{}";
    reply.headers.emplace_back("Set-Cookie", SessionCookieHeader("", 0, sessions_.secure));
    return reply;
  }
  return ErrorReply(engine::MakeStatus(core::Code::kUnimplemented, "METHOD_NOT_ALLOWED",
                                       request.method + " is not supported on /v1/session",
                                       {{"method", request.method}}));
}

}  // namespace gpop::http
