// GET /metrics on a real HTTP listener: Prometheus' text format, values that move with the
// operations run, and the same authentication as /v1.

#include <chrono>
#include <string>

#include "google/protobuf/util/json_util.h"
#include "gpop/v1/operations.pb.h"
#include "gtest/gtest.h"
#include "service/engine/engine.h"
#include "tests/e2e/test_server.h"
#include "tests/http/http_test_server.h"

namespace gpop {
namespace {

using e2e::SyntheticBackup;
using http_test::HttpAnswer;
using http_test::HttpTestServer;
using http_test::Post;
using http_test::Request;

// The value of the sample line that starts with `series` ("name{labels}"); -1 when absent.
double Sample(const std::string& text, const std::string& series) {
  size_t at = 0;
  while ((at = text.find(series + " ", at)) != std::string::npos) {
    if (at == 0 || text[at - 1] == '\n') return std::stod(text.substr(at + series.size() + 1));
    at += series.size();
  }
  return -1;
}

std::string Scrape(int port) {
  HttpAnswer answer = Request(port, "GET", "/metrics");
  EXPECT_EQ(answer.status, 200) << answer.body;
  EXPECT_EQ(answer.headers["content-type"], "text/plain; version=0.0.4; charset=utf-8");
  return answer.body;
}

// Starts `request`, reads its SSE stream to the end (the operation has ended), then waits until
// the metrics have counted every event so far.
void RunToEnd(HttpTestServer& server, const v1::StartOperationRequest& request) {
  std::string json;
  ASSERT_TRUE(google::protobuf::util::MessageToJsonString(request, &json).ok());
  HttpAnswer started = Post(server.port(), "/v1/operations", json);
  ASSERT_EQ(started.status, 200) << started.body;
  v1::Operation op;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(started.body, &op).ok());
  HttpAnswer events = Request(server.port(), "GET", "/v1/operations/" + op.id() + "/events");
  ASSERT_EQ(events.status, 200);
  engine::ListRequest now;
  now.page_size = 1;
  absl::StatusOr<engine::ListResponse> page = server.engine().List(now);
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_TRUE(server.metrics()->WaitForRevision(
      page->revision, std::chrono::steady_clock::now() + std::chrono::seconds(20)));
}

TEST(HttpMetricsTest, CountersAndHistogramMoveWithOperations) {
  HttpTestServer server({}, nullptr, /*with_metrics=*/true);
  const std::string before = Scrape(server.port());
  EXPECT_EQ(Sample(before, "gpop_operations_queued"), 0);
  EXPECT_EQ(Sample(before, "gpop_operations_running"), 0);
  EXPECT_GE(Sample(before, "gpop_open_streams"), 1);  // the metrics' own watcher
  EXPECT_EQ(Sample(before, "gpop_operations_started_total{kind=\"backup\"}"), -1);

  RunToEnd(server, SyntheticBackup(2, 1));
  const std::string after = Scrape(server.port());
  EXPECT_NE(after.find("# TYPE gpop_operation_duration_seconds histogram"), std::string::npos)
      << after;
  EXPECT_EQ(Sample(after, "gpop_operations_started_total{kind=\"backup\"}"), 1) << after;
  EXPECT_EQ(Sample(after, "gpop_operations_finished_total{kind=\"backup\",state=\"SUCCEEDED\"}"), 1)
      << after;
  EXPECT_EQ(Sample(after, "gpop_operation_duration_seconds_count{kind=\"backup\"}"), 1) << after;
  EXPECT_GT(Sample(after, "gpop_operation_duration_seconds_sum{kind=\"backup\"}"), 0) << after;
  EXPECT_GT(Sample(after, "gpop_revision"), Sample(before, "gpop_revision"));

  RunToEnd(server, SyntheticBackup(3, 1, {{"synthetic.fail_at", "2"}}));
  const std::string failed = Scrape(server.port());
  EXPECT_EQ(Sample(failed, "gpop_operations_started_total{kind=\"backup\"}"), 2) << failed;
  EXPECT_EQ(Sample(failed, "gpop_operations_finished_total{kind=\"backup\",state=\"FAILED\"}"), 1)
      << failed;
  EXPECT_EQ(Sample(failed, "gpop_operation_errors_total{reason=\"BACKEND_FAILURE\"}"), 1) << failed;
  EXPECT_EQ(Sample(failed, "gpop_operation_duration_seconds_count{kind=\"backup\"}"), 2) << failed;
}

// Accepts one bearer token, as a viewer.
TEST(HttpMetricsTest, ConfiguredCredentialsAreRequired) {
  http_test::TestAuthenticator authenticator;
  HttpTestServer server({}, &authenticator, /*with_metrics=*/true);
  EXPECT_EQ(Request(server.port(), "GET", "/metrics").status, 401);
  HttpAnswer ok =
      Request(server.port(), "GET", "/metrics", "", {"Authorization: Bearer viewer-token"});
  EXPECT_EQ(ok.status, 200) << ok.body;
  EXPECT_NE(ok.body.find("gpop_operations_running"), std::string::npos);
  EXPECT_EQ(
      Request(server.port(), "POST", "/metrics", "", {"Authorization: Bearer viewer-token"}).status,
      501);
}

TEST(HttpMetricsTest, NotServedWithoutMetrics) {
  HttpTestServer server;
  EXPECT_EQ(Request(server.port(), "GET", "/metrics").status, 404);
}

}  // namespace
}  // namespace gpop
