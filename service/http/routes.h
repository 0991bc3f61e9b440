// gpop.v1 over HTTP/JSON, mapped as google.api.http annotations would map it, plus the
// dashboard's assets. Transport-free: a Request in, what to answer out; http_server.cc carries
// it over libmicrohttpd.
//
//   GET  /v1/operations                  ListOperations    (?page_size=&page_token=&filter=)
//   POST /v1/operations                  StartOperation    (body: StartOperationRequest)
//   GET  /v1/operations/{id}             GetOperation
//   POST /v1/operations/{id}:cancel      Cancel            (body ignored)
//   GET  /v1/operations/{id}/events      StreamStatus as SSE (?after_sequence= or Last-Event-ID)
//   GET  /v1/operations:watch            WatchOperations as SSE (?after_revision=&filter= or
//                                        Last-Event-ID)
//   GET  /v1/gpos                        ListGpos
//   GET  /v1/backups                     ListBackups       (?location=&gpo.guid=&gpo.displayName=)
//   GET  /v1/operations/{id}/report      a report operation's document, sandboxed by CSP
//   GET  /v1/session                     who the caller is (principal, role, the session's CSRF
//   token) POST /v1/session                     sign in: a bearer token for a session cookie
//   (session.h) DELETE /v1/session                   sign out: the cookie is deleted GET  /metrics
//   Prometheus' text format (service/metrics), when enabled GET  /, /app.js, /app.css the dashboard
//   (assets.h)

#ifndef GPOP_SERVICE_HTTP_ROUTES_H_
#define GPOP_SERVICE_HTTP_ROUTES_H_

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "service/api/auth/authenticator.h"
#include "service/api/operations_api.h"
#include "service/engine/clock.h"
#include "service/http/caller.h"
#include "service/http/session.h"
#include "service/http/sse_stream.h"
#include "service/metrics/metrics.h"

namespace gpop::http {

// Request
//
// One HTTP request as the routes see it. Header names are lower-case.
struct Request {
  std::string method;
  std::string path;
  std::map<std::string, std::string> query;
  std::map<std::string, std::string> headers;
  std::map<std::string, std::string> cookies;
  std::string body;
  // What the listener knows of the peer: whether it is local (a loopback address), the
  // identities of a client certificate verified against --tls_client_ca. No bearer token here.
  api::Credentials transport;
};

// Reply
//
// A complete answer.
struct Reply {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  // Beyond the common security headers; one named here replaces the common one of that name.
  std::vector<std::pair<std::string, std::string>> headers;
};

// Answer
//
// What to do with a request: exactly one of `reply` (answer now), `blocking` (run it off the
// I/O threads and answer with its result) or `stream` (an SSE response body).
struct Answer {
  std::optional<Reply> reply;
  std::function<Reply()> blocking;
  std::unique_ptr<SseStream> stream;
};

// SessionConfig
//
// The dashboard's sessions: `sealer` seals the cookies, `clock` (null: the system clock) dates
// them, and a session lasts `ttl`. Both pointers must outlive the routes.
struct SessionConfig {
  const SessionSealer* sealer = nullptr;
  engine::Clock* clock = nullptr;
  engine::Duration ttl = std::chrono::hours(8);
  // The listener serves TLS: the cookie gets the Secure attribute.
  bool secure = false;
};

// Routes
//
// Thread-safe; `api` and `streams` must outlive it.
class Routes {
 public:
  // `loopback_host_only`: answer only requests whose Host names a loopback address (127.0.0.0/8,
  // [::1], localhost), so that a web page reaching gpopd through DNS rebinding is refused.
  // `authenticator` decides every request's principal and must outlive the routes. `metrics`
  // (optional) answers GET /metrics and must outlive the routes.
  Routes(api::OperationsApi* api, StreamRegistry* streams, const api::Authenticator* authenticator,
         SessionConfig sessions, bool loopback_host_only, metrics::Metrics* metrics = nullptr)
      : api_(api),
        streams_(streams),
        authenticator_(authenticator),
        sessions_(sessions),
        loopback_host_only_(loopback_host_only),
        metrics_(metrics) {}

  Answer Handle(const Request& request) const;

  // The headers every answer carries: the dashboard's Content-Security-Policy (no inline script,
  // nothing from elsewhere), nosniff, no framing, no referrer.
  static std::vector<std::pair<std::string, std::string>> CommonHeaders();

 private:
  Answer HandleApi(const Request& request, const api::Principal& caller) const;
  // /v1/session (session_routes.cc): `identity` is the caller's, already authenticated.
  Reply SignIn(const Request& request) const;
  Reply SessionReply(const Request& request, const HttpIdentity& identity) const;
  engine::Time Now() const;

  api::OperationsApi* const api_;
  StreamRegistry* const streams_;
  const api::Authenticator* const authenticator_;
  const SessionConfig sessions_;
  const bool loopback_host_only_;
  metrics::Metrics* const metrics_;
};

// ErrorReply
//
// `status` as an AIP-193 JSON error answer.
Reply ErrorReply(const absl::Status& status);

// CheckLoopbackHost
//
// PERMISSION_DENIED, reason HOST_NOT_ALLOWED, unless the request's Host header names a loopback
// address (with or without a port) or is absent (HTTP/1.0 tools; browsers always send one).
absl::Status CheckLoopbackHost(const Request& request);

// CheckSameOrigin
//
// Cross-site request protection for state-changing requests: the body must be declared
// application/json (an HTML form cannot send that without a CORS preflight, which gpopd never
// grants), and Origin and Sec-Fetch-Site, when the browser sends them, must say same-origin.
// PERMISSION_DENIED, reason CROSS_SITE_REQUEST, otherwise.
absl::Status CheckSameOrigin(const Request& request);

// CheckCsrf
//
// A state-changing request authenticated by the session cookie must carry that session's CSRF
// token in X-Gpop-Csrf (session.h). PERMISSION_DENIED, reason CSRF_TOKEN_INVALID, otherwise.
// Requests authenticated by an Authorization header need none (a browser never adds one).
absl::Status CheckCsrf(const Request& request, const HttpIdentity& identity,
                       const SessionSealer& sealer);

}  // namespace gpop::http

#endif  // GPOP_SERVICE_HTTP_ROUTES_H_
