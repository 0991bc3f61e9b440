// gpop.v1 over HTTP/JSON (see routes.h).

#include "service/http/routes.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <utility>
#include <variant>

#include "absl/strings/match.h"
#include "service/api/conversion.h"
#include "service/api/server.h"
#include "service/core/error.h"
#include "service/engine/status_convert.h"
#include "service/http/assets.h"
#include "service/http/caller.h"
#include "service/http/http_status.h"
#include "service/http/json.h"

namespace gpop::http {
namespace {

constexpr char kOperationsPrefix[] = "/v1/operations/";
// The dashboard's policy: scripts and styles only from gpopd itself, never inline; reports open
// in a sandboxed frame of the same origin; no plugin, no form posts, no framing by others.
constexpr char kPageCsp[] =
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; frame-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'";
// A report is someone's document: shown in a sandbox (a unique origin, no script, no forms),
// with its own inline styles.
constexpr char kReportCsp[] =
    "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "frame-ancestors 'self'";

template <typename Message>
Reply JsonReply(const absl::StatusOr<Message>& response) {
  if (!response.ok()) return ErrorReply(response.status());
  Reply reply;
  reply.body = ToJson(*response);
  return reply;
}

absl::Status NotFound(const Request& request) {
  return engine::MakeStatus(core::Code::kNotFound, "ROUTE_NOT_FOUND",
                            "no such resource: " + request.method + " " + request.path +
                                " (see GET /v1/operations, /v1/gpos, /v1/backups)",
                            {{"path", request.path}});
}

absl::Status MethodNotAllowed(const Request& request) {
  return engine::MakeStatus(core::Code::kUnimplemented, "METHOD_NOT_ALLOWED",
                            request.method + " is not supported on " + request.path,
                            {{"method", request.method}});
}

// One resume position's text as a number (0 when empty).
absl::Status ParsePosition(const std::string& text, const std::string& field, uint64_t* out) {
  *out = 0;
  if (text.empty()) return absl::OkStatus();
  errno = 0;
  char* end = nullptr;
  unsigned long long v = std::strtoull(text.c_str(), &end, 10);
  if (text[0] == '-' || errno != 0 || *end != '\0') {
    return engine::MakeStatus(core::Code::kInvalidArgument, core::reason::kInvalidField,
                              field + ": expected an unsigned integer", {{"field", field}});
  }
  *out = v;
  return absl::OkStatus();
}

// The resume position of a stream: the later of the query parameter and Last-Event-ID, either
// when only one is sent, else 0. EventSource reconnects to the same URL (its query parameter
// where the page first opened it) with Last-Event-ID set to the last id it received since:
// the later one is where the viewer really is.
absl::Status ResumePosition(const Request& request, const std::string& param, uint64_t* out) {
  uint64_t by_param = 0, by_header = 0;
  if (auto it = request.query.find(param); it != request.query.end()) {
    if (absl::Status s = ParsePosition(it->second, param, &by_param); !s.ok()) return s;
  }
  if (auto h = request.headers.find("last-event-id"); h != request.headers.end()) {
    if (absl::Status s = ParsePosition(h->second, "Last-Event-ID", &by_header); !s.ok()) return s;
  }
  *out = std::max(by_param, by_header);
  return absl::OkStatus();
}

std::map<std::string, std::string> Without(std::map<std::string, std::string> query,
                                           const std::string& key) {
  query.erase(key);
  return query;
}

// From the operation's record, not its proto: the proto carries a large report only by
// reference (gpop.v1.ReportInfo.content is empty past 1 MiB).
Reply ReportReply(const absl::StatusOr<engine::OperationRecord>& operation) {
  if (!operation.ok()) return ErrorReply(operation.status());
  const auto* report = std::get_if<core::ReportInfo>(&operation->result);
  if (report == nullptr) {
    return ErrorReply(engine::MakeStatus(
        core::Code::kFailedPrecondition, "NO_REPORT",
        "operation " + operation->id + " has no report (not a finished report operation)",
        {{"operation_id", operation->id}}));
  }
  Reply reply;
  // XML is shown as text: an XML document could carry a stylesheet that runs.
  reply.content_type = report->format == core::ReportFormat::kHtml ? "text/html; charset=utf-8"
                                                                   : "text/plain; charset=utf-8";
  reply.body = report->content;
  reply.headers.emplace_back("Content-Security-Policy", kReportCsp);
  reply.headers.emplace_back("X-Frame-Options", "SAMEORIGIN");
  return reply;
}

}  // namespace

Reply ErrorReply(const absl::Status& status) {
  Reply reply;
  reply.status = HttpStatusOf(status.code());
  reply.body = ErrorBody(status);
  return reply;
}

std::vector<std::pair<std::string, std::string>> Routes::CommonHeaders() {
  return {{"Content-Security-Policy", kPageCsp},
          {"X-Content-Type-Options", "nosniff"},
          {"X-Frame-Options", "DENY"},
          {"Referrer-Policy", "no-referrer"},
          {"Cache-Control", "no-store"}};
}

absl::Status CheckSameOrigin(const Request& request) {
  auto refuse = [](const std::string& why) {
    return engine::MakeStatus(core::Code::kPermissionDenied, "CROSS_SITE_REQUEST",
                              "refused a state-changing request: " + why, {});
  };
  auto header = [&](const char* name) -> std::string {
    auto it = request.headers.find(name);
    return it == request.headers.end() ? "" : it->second;
  };
  std::string type = header("content-type");
  if (!absl::StartsWithIgnoreCase(type, "application/json")) {
    return refuse("the body must be sent as Content-Type: application/json");
  }
  std::string site = header("sec-fetch-site");
  if (!site.empty() && site != "same-origin" && site != "none") {
    return refuse("Sec-Fetch-Site is " + site);
  }
  std::string origin = header("origin");
  std::string host = header("host");
  if (!origin.empty() && origin != "http://" + host && origin != "https://" + host) {
    return refuse("Origin " + origin + " is not this server");
  }
  return absl::OkStatus();
}

absl::Status CheckCsrf(const Request& request, const HttpIdentity& identity,
                       const SessionSealer& sealer) {
  if (identity.via != HttpIdentity::Via::kSession) return absl::OkStatus();
  auto it = request.headers.find(kCsrfHeader);
  if (it != request.headers.end() && sealer.CsrfMatches(identity.session_cookie, it->second)) {
    return absl::OkStatus();
  }
  return engine::MakeStatus(core::Code::kPermissionDenied, "CSRF_TOKEN_INVALID",
                            "refused a state-changing request: a request authenticated by the "
                            "session cookie must carry the session's X-Gpop-Csrf header (GET "
                            "/v1/session gives it)",
                            {});
}

absl::Status CheckLoopbackHost(const Request& request) {
  auto it = request.headers.find("host");
  std::string host = it == request.headers.end() ? "" : it->second;
  std::string name = host;
  if (!name.empty() && name[0] == '[') {
    name = name.substr(0, name.find(']') + 1);
  } else if (size_t colon = name.rfind(':'); colon != std::string::npos) {
    name = name.substr(0, colon);
  }
  // No Host at all is an HTTP/1.0 tool, never a browser (the rebinding threat).
  if (host.empty() || name == "localhost" || name == "[::1]" ||
      api::IsLoopbackAddress(name + ":0")) {
    return absl::OkStatus();
  }
  return engine::MakeStatus(core::Code::kPermissionDenied, "HOST_NOT_ALLOWED",
                            "gpopd listens on loopback only; Host \"" + host +
                                "\" is not a loopback name (use 127.0.0.1, [::1] or localhost)",
                            {{"host", host}});
}

Answer Routes::Handle(const Request& request) const {
  Answer answer;
  if (loopback_host_only_) {
    if (absl::Status s = CheckLoopbackHost(request); !s.ok()) {
      answer.reply = ErrorReply(s);
      return answer;
    }
  }
  // /metrics authenticates as /v1 does (with no credentials configured, loopback callers are
  // the implicit admin, so a local scraper needs no token).
  const bool metrics = metrics_ != nullptr && request.path == "/metrics";
  if (!metrics && !absl::StartsWith(request.path, "/v1/")) {
    const Asset* asset = FindAsset(request.path);
    if (asset == nullptr) {
      answer.reply = ErrorReply(NotFound(request));
    } else if (request.method != "GET" && request.method != "HEAD") {
      answer.reply = ErrorReply(MethodNotAllowed(request));
    } else {
      Reply reply;
      reply.content_type = asset->content_type;
      reply.body.assign(asset->data, asset->size);
      answer.reply = std::move(reply);
    }
    return answer;
  }
  const bool get = request.method == "GET" || request.method == "HEAD";
  if (request.path == "/v1/session" && request.method == "POST") {
    answer.reply = SignIn(request);
    return answer;
  }
  auto authorization = request.headers.find("authorization");
  auto cookie = request.cookies.find(kSessionCookie);
  absl::StatusOr<HttpIdentity> caller =
      HttpCaller(authorization == request.headers.end() ? std::string() : authorization->second,
                 cookie == request.cookies.end() ? nullptr : &cookie->second, *sessions_.sealer,
                 Now(), *authenticator_, request.transport);
  if (!caller.ok()) {
    // A stream's refusal is a failure event on a 200 stream: EventSource cannot read a body,
    // and the page must learn that it has to sign in again rather than retry.
    if (get &&
        (request.path == "/v1/operations:watch" || absl::EndsWith(request.path, "/events"))) {
      answer.stream = std::make_unique<SseStream>(caller.status(), streams_);
    } else {
      answer.reply = ErrorReply(caller.status());
    }
    return answer;
  }
  if (metrics) {
    if (!get) {
      answer.reply = ErrorReply(MethodNotAllowed(request));
      return answer;
    }
    Reply reply;
    reply.content_type = metrics::Metrics::kContentType;
    reply.body = metrics_->Scrape();
    answer.reply = std::move(reply);
    return answer;
  }
  // What changes state: every POST, and signing out. (Other methods are refused below.)
  if (request.method == "POST" || (!get && request.path == "/v1/session")) {
    absl::Status s = CheckSameOrigin(request);
    if (s.ok()) s = CheckCsrf(request, *caller, *sessions_.sealer);
    if (!s.ok()) {
      answer.reply = ErrorReply(s);
      return answer;
    }
  }
  if (request.path == "/v1/session") {
    answer.reply = SessionReply(request, *caller);
    return answer;
  }
  return HandleApi(request, caller->principal);
}

Answer Routes::HandleApi(const Request& request, const api::Principal& caller) const {
  Answer answer;
  const std::string& path = request.path;
  const bool get = request.method == "GET";
  const bool post = request.method == "POST";
  api::OperationsApi* api = api_;

  // Collections.
  if (path == "/v1/operations" || path == "/v1/gpos" || path == "/v1/backups" ||
      path == "/v1/operations:watch") {
    if (path == "/v1/operations" && post) {
      v1::StartOperationRequest start;
      if (absl::Status s = FromJson(request.body, &start); !s.ok()) {
        answer.reply = ErrorReply(s);
        return answer;
      }
      answer.blocking = [api, caller, start] {
        return JsonReply(api->StartOperation(caller, start));
      };
      return answer;
    }
    if (!get) {
      answer.reply = ErrorReply(MethodNotAllowed(request));
      return answer;
    }
    if (path == "/v1/operations") {
      v1::ListOperationsRequest list;
      absl::Status s = FromQuery(request.query, &list);
      answer.reply = s.ok() ? JsonReply(api->ListOperations(caller, list)) : ErrorReply(s);
      return answer;
    }
    if (path == "/v1/gpos") {
      v1::ListGposRequest list;
      absl::Status s = FromQuery(request.query, &list);
      if (!s.ok()) {
        answer.reply = ErrorReply(s);
        return answer;
      }
      answer.blocking = [api, caller, list] { return JsonReply(api->ListGpos(caller, list)); };
      return answer;
    }
    if (path == "/v1/backups") {
      v1::ListBackupsRequest list;
      absl::Status s = FromQuery(request.query, &list);
      if (!s.ok()) {
        answer.reply = ErrorReply(s);
        return answer;
      }
      answer.blocking = [api, caller, list] { return JsonReply(api->ListBackups(caller, list)); };
      return answer;
    }
    // Watch: list-then-watch, resumed from a revision.
    v1::WatchOperationsRequest watch;
    uint64_t after = 0;
    absl::Status s = ResumePosition(request, "after_revision", &after);
    if (s.ok()) s = FromQuery(Without(request.query, "after_revision"), &watch);
    watch.set_after_revision(after);
    absl::StatusOr<std::unique_ptr<engine::Cursor>> cursor =
        s.ok() ? api->OpenWatch(caller, watch) : absl::StatusOr<std::unique_ptr<engine::Cursor>>(s);
    answer.stream = cursor.ok() ? std::make_unique<SseStream>(SseStream::Kind::kWatch,
                                                              std::move(*cursor), streams_)
                                : std::make_unique<SseStream>(cursor.status(), streams_);
    return answer;
  }

  // One operation: /v1/operations/{id}[:cancel | /events | /report].
  if (!absl::StartsWith(path, kOperationsPrefix)) {
    answer.reply = ErrorReply(NotFound(request));
    return answer;
  }
  std::string rest = path.substr(sizeof(kOperationsPrefix) - 1);
  std::string id = rest, suffix;
  if (size_t cut = rest.find_first_of(":/"); cut != std::string::npos) {
    id = rest.substr(0, cut);
    suffix = rest.substr(cut);
  }
  if (suffix == ":cancel") {
    if (!post) {
      answer.reply = ErrorReply(MethodNotAllowed(request));
      return answer;
    }
    v1::CancelRequest cancel;
    cancel.set_operation_id(id);
    answer.blocking = [api, caller, cancel] { return JsonReply(api->Cancel(caller, cancel)); };
    return answer;
  }
  if (suffix != "" && suffix != "/events" && suffix != "/report") {
    answer.reply = ErrorReply(NotFound(request));
    return answer;
  }
  if (!get) {
    answer.reply = ErrorReply(MethodNotAllowed(request));
    return answer;
  }
  if (suffix == "/events") {
    v1::StreamStatusRequest stream;
    uint64_t after = 0;
    absl::Status s = ResumePosition(request, "after_sequence", &after);
    if (s.ok()) s = FromQuery(Without(request.query, "after_sequence"), &stream);
    stream.set_operation_id(id);
    stream.set_after_sequence(after);
    absl::StatusOr<std::unique_ptr<engine::Cursor>> cursor =
        s.ok() ? api->OpenStatusStream(caller, stream)
               : absl::StatusOr<std::unique_ptr<engine::Cursor>>(s);
    answer.stream = cursor.ok() ? std::make_unique<SseStream>(SseStream::Kind::kStatus,
                                                              std::move(*cursor), streams_)
                                : std::make_unique<SseStream>(cursor.status(), streams_);
    return answer;
  }
  v1::GetOperationRequest get_request;
  if (absl::Status s = FromQuery(request.query, &get_request); !s.ok()) {
    answer.reply = ErrorReply(s);
    return answer;
  }
  get_request.set_operation_id(id);
  if (suffix == "/report") {
    absl::Status valid = api::ValidateOperationId("operation_id", id);
    answer.reply = ReportReply(valid.ok() ? api->ViewOperation(caller, id)
                                          : absl::StatusOr<engine::OperationRecord>(valid));
    return answer;
  }
  absl::StatusOr<v1::Operation> operation = api->GetOperation(caller, get_request);
  answer.reply = JsonReply(operation);
  return answer;
}

}  // namespace gpop::http
