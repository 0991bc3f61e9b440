// HTTP test support: a real gpopd core (engine, in-memory store, synthetic backend, real clock)
// behind service/http's HttpServer on 127.0.0.1:0, and a small blocking HTTP/1.0 client that
// reads plain answers and Server-Sent Events off a real socket.

#ifndef GPOP_TESTS_HTTP_HTTP_TEST_SERVER_H_
#define GPOP_TESTS_HTTP_HTTP_TEST_SERVER_H_

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "google/protobuf/util/json_util.h"
#include "gpop/v1/operations.pb.h"
#include "gtest/gtest.h"
#include "service/api/auth/authenticator.h"
#include "service/backends/synthetic/synthetic_backend.h"
#include "service/core/mutex.h"
#include "service/engine/clock.h"
#include "service/engine/engine.h"
#include "service/http/http_server.h"
#include "service/metrics/metered_store.h"
#include "service/metrics/metrics.h"
#include "service/store/memory_store.h"

namespace gpop::http_test {

// HttpTestServer
//
// One in-process gpopd with only the HTTP listener. Destroying it shuts it down (no grace).
class HttpTestServer {
 public:
  // `authenticator` (null: loopback callers are the implicit admin) must outlive the server.
  // `with_metrics`: serve GET /metrics (service/metrics), the store's commits metered too.
  // `session_secret`: the secret session cookies are sealed with (empty: a random one, as
  // HttpOptions).
  explicit HttpTestServer(engine::EngineOptions options = {},
                          const api::Authenticator* authenticator = nullptr,
                          bool with_metrics = false, std::string session_secret = "");
  ~HttpTestServer();

  int port() const { return http_->port(); }
  engine::Engine& engine() { return *engine_; }
  core::Backend& backend() { return backend_; }
  engine::Clock& clock() { return clock_; }
  http::HttpServer& http() { return *http_; }
  metrics::Metrics* metrics() { return metrics_.get(); }  // null without `with_metrics`

 private:
  engine::RealClock clock_;
  store::MemoryStore store_;
  std::unique_ptr<metrics::MeteredStore> metered_store_;  // over store_, with metrics
  synthetic::SyntheticBackend backend_;
  std::unique_ptr<engine::Engine> engine_;
  std::unique_ptr<metrics::Metrics> metrics_;
  std::unique_ptr<http::HttpServer> http_;
};

// TestAuthenticator
//
// Three bearer tokens, each an unscoped grant: "viewer-token" is principal "vera", a viewer;
// "operator-token" is "otto", an operator; "admin-token" is "ada", an admin. Any other
// credential, a revoked token, or none, is UNAUTHENTICATED. Thread-safe.
class TestAuthenticator final : public api::Authenticator {
 public:
  absl::StatusOr<api::Principal> Authenticate(const api::Credentials& credentials) const override
      GPOP_EXCLUDES(mu_);
  // From now on `token` is refused, as a token removed from the tokens file is.
  void Revoke(const std::string& token) GPOP_EXCLUDES(mu_);

 private:
  mutable core::Mutex mu_;
  std::set<std::string> revoked_ GPOP_GUARDED_BY(mu_);
};

// HttpAnswer
//
// A status line's code, the headers (names lower-cased) and the body.
struct HttpAnswer {
  int status = 0;
  std::map<std::string, std::string> headers;
  std::string body;
};

// Request
//
// Sends one HTTP/1.0 request (`headers` as "Name: value" lines) and reads the answer to its end
// (the server closes the connection). A 20 s guard fails the test rather than hang.
HttpAnswer Request(int port, const std::string& method, const std::string& target,
                   const std::string& body = "", const std::vector<std::string>& headers = {});

// JSON POST with the headers a same-origin browser page sends.
HttpAnswer Post(int port, const std::string& target, const std::string& json);

// SseEvent
//
// One Server-Sent Event.
struct SseEvent {
  std::string id;
  std::string event;
  std::string data;
};

// ParseSse
//
// The complete events of an event-stream body (a trailing incomplete one is left out).
std::vector<SseEvent> ParseSse(const std::string& body);

// Connect
//
// A connected socket to 127.0.0.1:`port` with `request` written to it; -1 on failure. A
// `receive_buffer` > 0 sets SO_RCVBUF before connecting.
int Connect(int port, const std::string& request, int receive_buffer = 0);

// ReadSome
//
// Appends what `fd` has (waiting up to `timeout_ms` for the first byte); false on end of stream.
bool ReadSome(int fd, std::string* out, int timeout_ms);

// Parse / ToJson
//
// Canonical JSON to a message (a test failure when it does not parse) and back.
template <typename Message>
Message Parse(const std::string& json) {
  Message message;
  auto s = google::protobuf::util::JsonStringToMessage(json, &message);
  EXPECT_TRUE(s.ok()) << s.ToString() << " in " << json;
  return message;
}
std::string ToJson(const google::protobuf::Message& message);

// StartOk
//
// POST /v1/operations that must answer 200; the operation.
v1::Operation StartOk(int port, const v1::StartOperationRequest& request);

// ReasonOf
//
// The ErrorInfo reason of an AIP-193 error body (checking its type and domain).
std::string ReasonOf(const std::string& body);

}  // namespace gpop::http_test

#endif  // GPOP_TESTS_HTTP_HTTP_TEST_SERVER_H_
