// The metrics-only listener (--metrics_listen) over a real socket: GET /metrics answers the
// scrape function's current text, other paths and methods are refused, a non-loopback address
// binds, a bad address or a taken port is a clear error.

#include "service/metrics/metrics_listener.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <string>

namespace gpop::metrics {
namespace {

// Sends `request` to 127.0.0.1:`port` and reads the whole answer (the listener closes after it,
// as the request asks).
std::string Exchange(int port, const std::string& request) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  EXPECT_GE(fd, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    close(fd);
    ADD_FAILURE() << "connect to port " << port;
    return "";
  }
  EXPECT_EQ(write(fd, request.data(), request.size()), static_cast<ssize_t>(request.size()));
  std::string answer;
  char buffer[4096];
  ssize_t n;
  while ((n = read(fd, buffer, sizeof(buffer))) > 0) answer.append(buffer, n);
  close(fd);
  return answer;
}

std::string Get(int port, const std::string& path) {
  return Exchange(port, "GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
}

TEST(MetricsListenerTest, ServesTheCurrentScrape) {
  std::atomic<int> scrapes{0};
  absl::StatusOr<std::unique_ptr<MetricsListener>> listener = MetricsListener::Start(
      "127.0.0.1:0",
      [&scrapes] { return "gpop_test_scrapes_total " + std::to_string(++scrapes) + "\n"; });
  ASSERT_TRUE(listener.ok()) << listener.status();
  const int port = (*listener)->port();
  ASSERT_GT(port, 0);

  std::string first = Get(port, "/metrics");
  EXPECT_EQ(first.rfind("HTTP/1.1 200", 0), 0u) << first;
  EXPECT_NE(first.find("Content-Type: text/plain; version=0.0.4"), std::string::npos) << first;
  EXPECT_NE(first.find("\r\n\r\ngpop_test_scrapes_total 1\n"), std::string::npos) << first;
  // Each scrape is computed afresh.
  EXPECT_NE(Get(port, "/metrics").find("gpop_test_scrapes_total 2\n"), std::string::npos);
}

TEST(MetricsListenerTest, OnlyGetMetrics) {
  absl::StatusOr<std::unique_ptr<MetricsListener>> listener =
      MetricsListener::Start("127.0.0.1:0", [] { return std::string("m 1\n"); });
  ASSERT_TRUE(listener.ok()) << listener.status();
  const int port = (*listener)->port();
  for (const char* path : {"/", "/v1/operations", "/metrics/x", "/metricsx"}) {
    EXPECT_EQ(Get(port, path).rfind("HTTP/1.1 404", 0), 0u) << path;
  }
  std::string post = Exchange(
      port,
      "POST /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 3\r\n\r\nabc");
  EXPECT_EQ(post.rfind("HTTP/1.1 405", 0), 0u) << post;
  EXPECT_NE(post.find("Allow: GET, HEAD"), std::string::npos) << post;
}

TEST(MetricsListenerTest, BindsEveryAddressAndReportsErrors) {
  // Not loopback: allowed, since only metrics are served (reached here through 127.0.0.1).
  absl::StatusOr<std::unique_ptr<MetricsListener>> any =
      MetricsListener::Start("0.0.0.0:0", [] { return std::string("m 1\n"); });
  ASSERT_TRUE(any.ok()) << any.status();
  EXPECT_EQ(Get((*any)->port(), "/metrics").rfind("HTTP/1.1 200", 0), 0u);

  absl::StatusOr<std::unique_ptr<MetricsListener>> taken = MetricsListener::Start(
      "0.0.0.0:" + std::to_string((*any)->port()), [] { return std::string(); });
  EXPECT_EQ(taken.status().code(), absl::StatusCode::kUnavailable) << taken.status();

  absl::StatusOr<std::unique_ptr<MetricsListener>> bad =
      MetricsListener::Start("metrics.example:9090", [] { return std::string(); });
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("--metrics_listen"), absl::string_view::npos);
}

}  // namespace
}  // namespace gpop::metrics
