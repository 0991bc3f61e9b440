// GET /metrics on a real HTTP listener: Prometheus' text format, values that move with the
// operations run, and the same authentication as /v1.

#include <unistd.h>

#include <chrono>
#include <string>

#include "google/protobuf/util/json_util.h"
#include "gpop/v1/operations.pb.h"
#include "gtest/gtest.h"
#include "service/engine/engine.h"
#include "service/metrics/metrics.h"
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

// Bytes backed up, the store's group commits, and SSE streams that resume (Last-Event-ID).
TEST(HttpMetricsTest, BackupBytesStoreCommitsAndSseResumesMove) {
  HttpTestServer server({}, nullptr, /*with_metrics=*/true);
  const std::string before = Scrape(server.port());
  EXPECT_EQ(Sample(before, "gpop_backup_bytes_total"), 0) << before;
  EXPECT_EQ(Sample(before, "gpop_stream_resumes_total{stream=\"status\"}"), 0) << before;
  EXPECT_EQ(Sample(before, "gpop_stream_resumes_total{stream=\"watch\"}"), 0) << before;
  EXPECT_EQ(Sample(before, "gpop_open_watches"), 1) << before;  // the metrics' own
  const double commits_before = Sample(before, "gpop_store_commit_seconds_count");
  const double changes_before = Sample(before, "gpop_store_commit_batch_size_sum");
  ASSERT_GE(commits_before, 0) << before;

  RunToEnd(server, SyntheticBackup(2, 1, {{"synthetic.backup_bytes", "12345"}}));
  RunToEnd(server, SyntheticBackup(1, 1, {{"synthetic.backup_bytes", "55"}}));
  RunToEnd(server, SyntheticBackup(1, 1));  // counts no bytes
  const std::string after = Scrape(server.port());
  EXPECT_EQ(Sample(after, "gpop_backup_bytes_total"), 12345 + 55) << after;
  const double commits = Sample(after, "gpop_store_commit_seconds_count") - commits_before;
  EXPECT_GT(commits, 0) << after;
  EXPECT_EQ(Sample(after, "gpop_store_commit_batch_size_count") - commits_before, commits) << after;
  // Every event is one change of some batch (progress-only changes come on top).
  EXPECT_GE(Sample(after, "gpop_store_commit_batch_size_sum") - changes_before,
            Sample(after, "gpop_revision") - Sample(before, "gpop_revision"))
      << after;
  EXPECT_EQ(Sample(after, "gpop_store_commit_failures_total"), 0) << after;
  EXPECT_EQ(Sample(after, "gpop_stream_resumes_total{stream=\"status\"}"), 0) << after;

  // A status stream resumed after its first event, to the end.
  engine::ListRequest all;
  absl::StatusOr<engine::ListResponse> page = server.engine().List(all);
  ASSERT_TRUE(page.ok() && !page->operations.empty());
  const std::string id = page->operations.front().id;
  HttpAnswer resumed =
      Request(server.port(), "GET", "/v1/operations/" + id + "/events", "", {"Last-Event-ID: 1"});
  ASSERT_EQ(resumed.status, 200) << resumed.body;
  // A watch resumed after revision 1: it replays, so the first bytes prove it is open.
  int fd = http_test::Connect(server.port(),
                              "GET /v1/operations:watch HTTP/1.0\r\nLast-Event-ID: 1\r\n\r\n");
  ASSERT_GE(fd, 0);
  std::string head;
  while (head.find("\n\n") == std::string::npos && head.find("\r\n\r\n") == std::string::npos) {
    ASSERT_TRUE(http_test::ReadSome(fd, &head, 20000)) << head;
  }
  const std::string resumes = Scrape(server.port());
  EXPECT_EQ(Sample(resumes, "gpop_stream_resumes_total{stream=\"status\"}"), 1) << resumes;
  EXPECT_EQ(Sample(resumes, "gpop_stream_resumes_total{stream=\"watch\"}"), 1) << resumes;
  EXPECT_EQ(Sample(resumes, "gpop_open_watches"), 2) << resumes;
  close(fd);
}

// gRPC StreamStatus and WatchOperations resumed after a sequence / revision count the same way.
TEST(HttpMetricsTest, GrpcResumesMove) {
  e2e::TestServer server;
  metrics::Metrics metrics(&server.engine());
  v1::Operation op = e2e::Start(server.stub(), SyntheticBackup(2, 1));
  ASSERT_FALSE(op.id().empty());
  ASSERT_TRUE(e2e::ReadStream(server.stub(), op.id(), 0).status.ok());
  const std::string before = metrics.Scrape();
  EXPECT_EQ(Sample(before, "gpop_stream_resumes_total{stream=\"status\"}"), 0) << before;

  e2e::StreamResult resumed = e2e::ReadStream(server.stub(), op.id(), 2);
  ASSERT_TRUE(resumed.status.ok()) << resumed.status.error_message();
  grpc::ClientContext context;
  v1::WatchOperationsRequest watch;
  watch.set_after_revision(1);
  auto reader = server.stub().WatchOperations(&context, watch);
  v1::WatchOperationsResponse first;
  ASSERT_TRUE(reader->Read(&first));  // open: the replay has begun
  const std::string after = metrics.Scrape();
  EXPECT_EQ(Sample(after, "gpop_stream_resumes_total{stream=\"status\"}"), 1) << after;
  EXPECT_EQ(Sample(after, "gpop_stream_resumes_total{stream=\"watch\"}"), 1) << after;
  context.TryCancel();
  reader->Finish();
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
