// HTTP test support (see http_test_server.h).

#include "tests/http/http_test_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <utility>

#include "google/protobuf/struct.pb.h"
#include "gtest/gtest.h"
#include "service/api/operations_api.h"
#include "service/core/error.h"
#include "service/engine/status_convert.h"

namespace gpop::http_test {

absl::StatusOr<api::Principal> TestAuthenticator::Authenticate(
    const api::Credentials& credentials) const {
  static const std::map<std::string, std::pair<std::string, api::Role>> kTokens = {
      {"viewer-token", {"vera", api::Role::kViewer}},
      {"operator-token", {"otto", api::Role::kOperator}},
      {"admin-token", {"ada", api::Role::kAdmin}}};
  auto it = credentials.bearer_token ? kTokens.find(*credentials.bearer_token) : kTokens.end();
  bool revoked = false;
  if (it != kTokens.end()) {
    core::MutexLock lock(&mu_);
    revoked = revoked_.count(it->first) != 0;
  }
  if (it == kTokens.end() || revoked) {
    return engine::MakeStatus(core::Code::kUnauthenticated, api::reason::kUnauthenticated,
                              "the bearer token is not valid");
  }
  api::Principal principal;
  principal.name = it->second.first;
  api::Grant grant;  // unscoped
  grant.role = it->second.second;
  principal.grants.push_back(grant);
  return principal;
}

void TestAuthenticator::Revoke(const std::string& token) {
  core::MutexLock lock(&mu_);
  revoked_.insert(token);
}

HttpTestServer::HttpTestServer(engine::EngineOptions options,
                               const api::Authenticator* authenticator, bool with_metrics,
                               std::string session_secret) {
  auto registry = std::make_shared<prometheus::Registry>();
  if (with_metrics) {
    metered_store_ = std::make_unique<metrics::MeteredStore>(&store_, *registry, &clock_);
  }
  engine_ = std::make_unique<engine::Engine>(
      options, &backend_,
      metered_store_ ? static_cast<engine::Store*>(metered_store_.get()) : &store_, &clock_);
  EXPECT_TRUE(engine_->Recover().ok());
  if (with_metrics) metrics_ = std::make_unique<metrics::Metrics>(engine_.get(), registry);
  http::HttpOptions http_options;
  http_options.metrics = metrics_.get();
  http_options.listen = "127.0.0.1:0";
  http_options.authenticator = authenticator;
  http_options.session_secret = std::move(session_secret);
  auto server = http::HttpServer::Start(
      http_options,
      std::make_unique<api::OperationsApi>(engine_.get(), &backend_, api::ServiceOptions{}));
  EXPECT_TRUE(server.ok()) << server.status();
  http_ = std::move(*server);
}

HttpTestServer::~HttpTestServer() {
  engine_->Shutdown(engine::Duration::zero());
  http_->Shutdown();
  http_.reset();
  metrics_.reset();
  engine_.reset();
}

int Connect(int port, const std::string& request, int receive_buffer) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  if (receive_buffer > 0) {
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof(receive_buffer));
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    close(fd);
    return -1;
  }
  size_t sent = 0;
  while (sent < request.size()) {
    ssize_t n = send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) {
      close(fd);
      return -1;
    }
    sent += static_cast<size_t>(n);
  }
  return fd;
}

bool ReadSome(int fd, std::string* out, int timeout_ms) {
  pollfd p{fd, POLLIN, 0};
  if (poll(&p, 1, timeout_ms) <= 0) return true;  // nothing yet
  char buf[16384];
  ssize_t n = recv(fd, buf, sizeof(buf), 0);
  if (n <= 0) return false;
  out->append(buf, static_cast<size_t>(n));
  return true;
}

HttpAnswer Request(int port, const std::string& method, const std::string& target,
                   const std::string& body, const std::vector<std::string>& headers) {
  std::string request = method + " " + target + " HTTP/1.0\r\n";
  bool has_host = false;
  for (const std::string& h : headers) {
    has_host |= h.compare(0, 5, "Host:") == 0;
    request += h + "\r\n";
  }
  if (!has_host) request += "Host: 127.0.0.1:" + std::to_string(port) + "\r\n";
  if (!body.empty() || method == "POST") {
    request += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  request += "\r\n" + body;
  HttpAnswer answer;
  int fd = Connect(port, request);
  if (fd < 0) {
    ADD_FAILURE() << "cannot connect to port " << port;
    return answer;
  }
  std::string raw;
  auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (ReadSome(fd, &raw, 100)) {
    if (std::chrono::steady_clock::now() > give_up) {
      ADD_FAILURE() << method << " " << target << ": no end after 20 s; got: " << raw;
      break;
    }
  }
  close(fd);
  size_t head_end = raw.find("\r\n\r\n");
  if (head_end == std::string::npos || raw.compare(0, 5, "HTTP/") != 0) {
    ADD_FAILURE() << "not an HTTP answer: " << raw;
    return answer;
  }
  answer.status = std::stoi(raw.substr(raw.find(' ') + 1, 3));
  size_t line = raw.find("\r\n") + 2;
  while (line < head_end) {
    size_t next = raw.find("\r\n", line);
    std::string header = raw.substr(line, next - line);
    size_t colon = header.find(':');
    if (colon != std::string::npos) {
      std::string name = header.substr(0, colon);
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      size_t value = header.find_first_not_of(' ', colon + 1);
      answer.headers[name] = value == std::string::npos ? "" : header.substr(value);
    }
    line = next + 2;
  }
  answer.body = raw.substr(head_end + 4);
  return answer;
}

HttpAnswer Post(int port, const std::string& target, const std::string& json) {
  return Request(
      port, "POST", target, json,
      {"Content-Type: application/json", "Origin: http://127.0.0.1:" + std::to_string(port),
       "Sec-Fetch-Site: same-origin"});
}

std::vector<SseEvent> ParseSse(const std::string& body) {
  std::vector<SseEvent> events;
  size_t start = 0;
  while (true) {
    size_t end = body.find("\n\n", start);
    if (end == std::string::npos) break;
    SseEvent event;
    size_t line = start;
    while (line < end) {
      size_t next = body.find('\n', line);
      if (next > end) next = end;
      std::string text = body.substr(line, next - line);
      auto field = [&](const char* name, std::string* out) {
        std::string prefix = std::string(name) + ": ";
        if (text.compare(0, prefix.size(), prefix) == 0) *out = text.substr(prefix.size());
      };
      field("id", &event.id);
      field("event", &event.event);
      field("data", &event.data);
      line = next + 1;
    }
    if (!event.event.empty()) events.push_back(event);
    start = end + 2;
  }
  return events;
}

std::string ToJson(const google::protobuf::Message& message) {
  std::string out;
  (void)google::protobuf::util::MessageToJsonString(message, &out);
  return out;
}

v1::Operation StartOk(int port, const v1::StartOperationRequest& request) {
  HttpAnswer answer = Post(port, "/v1/operations", ToJson(request));
  EXPECT_EQ(answer.status, 200) << answer.body;
  return Parse<v1::Operation>(answer.body);
}

std::string ReasonOf(const std::string& body) {
  google::protobuf::Struct parsed = Parse<google::protobuf::Struct>(body);
  if (!parsed.fields().count("error")) {
    ADD_FAILURE() << "not an error body: " << body;
    return "";
  }
  const auto& error = parsed.fields().at("error").struct_value().fields();
  const auto& details = error.at("details").list_value();
  EXPECT_EQ(details.values_size(), 1) << body;
  if (details.values_size() != 1) return "";
  const auto& info = details.values(0).struct_value().fields();
  EXPECT_EQ(info.at("@type").string_value(), "type.googleapis.com/google.rpc.ErrorInfo");
  EXPECT_EQ(info.at("domain").string_value(), "gpop.dev");
  return info.at("reason").string_value();
}

}  // namespace gpop::http_test
