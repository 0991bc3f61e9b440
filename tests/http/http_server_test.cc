// service/http against a real server on 127.0.0.1:0: JSON shapes and AIP-193 errors, cross-site
// refusals, SSE resume by Last-Event-ID and ?after_sequence=, expired and out-of-range cursors,
// 1,000 concurrent viewers on a fixed number of threads, a stalled viewer that holds up no one,
// and the planned shutdown ending every stream.

#include <dirent.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gpop/v1/operations.pb.h"
#include "gtest/gtest.h"
#include "tests/e2e/test_server.h"
#include "tests/http/http_test_server.h"

namespace gpop::http_test {
namespace {

using e2e::SyntheticBackup;

std::vector<uint64_t> Sequences(const std::vector<SseEvent>& events) {
  std::vector<uint64_t> out;
  for (const SseEvent& e : events) {
    if (e.event != "event") continue;
    v1::StatusUpdate update = Parse<v1::StatusUpdate>(e.data);
    EXPECT_EQ(e.id, std::to_string(update.event().sequence()));
    out.push_back(update.event().sequence());
  }
  return out;
}

size_t ThreadCount() {
  size_t n = 0;
  DIR* dir = opendir("/proc/self/task");
  while (dirent* entry = readdir(dir)) n += entry->d_name[0] != '.';
  closedir(dir);
  return n;
}

TEST(HttpApiTest, StartGetListCancelInCanonicalJson) {
  HttpTestServer server;
  v1::Operation started = StartOk(server.port(), SyntheticBackup(100, 50));
  EXPECT_EQ(started.state(), v1::QUEUED);
  EXPECT_EQ(started.principal(), "local");

  HttpAnswer got = Request(server.port(), "GET", "/v1/operations/" + started.id());
  EXPECT_EQ(got.status, 200);
  EXPECT_EQ(got.headers["content-type"], "application/json");
  EXPECT_EQ(Parse<v1::Operation>(got.body).id(), started.id());
  // Canonical JSON: lowerCamelCase names, 64-bit integers as strings, enums by name.
  EXPECT_NE(got.body.find("\"lastSequence\":\""), std::string::npos) << got.body;
  EXPECT_NE(got.body.find("\"kind\":\"BACKUP\""), std::string::npos) << got.body;

  HttpAnswer list = Request(server.port(), "GET", "/v1/operations?filter=kind%3DBACKUP&pageSize=5");
  EXPECT_EQ(list.status, 200) << list.body;
  v1::ListOperationsResponse listed = Parse<v1::ListOperationsResponse>(list.body);
  ASSERT_EQ(listed.operations_size(), 1);
  EXPECT_GE(listed.revision(), 1u);

  HttpAnswer cancelled = Post(server.port(), "/v1/operations/" + started.id() + ":cancel", "");
  EXPECT_EQ(cancelled.status, 200) << cancelled.body;
  EXPECT_TRUE(Parse<v1::Operation>(cancelled.body).cancel_requested());

  HttpAnswer gpos = Request(server.port(), "GET", "/v1/gpos");
  EXPECT_EQ(gpos.status, 200);
  EXPECT_GE(Parse<v1::ListGposResponse>(gpos.body).gpos_size(), 1);
}

TEST(HttpApiTest, BearerTokensAndRolesAreTheGrpcOnes) {
  TestAuthenticator authenticator;
  HttpTestServer server({}, &authenticator);
  const int port = server.port();
  EXPECT_EQ(Request(port, "GET", "/v1/operations").status, 401);
  EXPECT_EQ(Request(port, "GET", "/v1/operations", "", {"Authorization: Bearer wrong"}).status,
            401);
  EXPECT_EQ(Request(port, "GET", "/v1/operations", "", {"Authorization: Basic dmVyYQ=="}).status,
            401);
  EXPECT_EQ(
      Request(port, "GET", "/v1/operations", "", {"Authorization: Bearer viewer-token"}).status,
      200);
  // A viewer may look but not start: refused with PERMISSION_DENIED, nothing started.
  v1::StartOperationRequest request = SyntheticBackup(1, 0);
  HttpAnswer start =
      Request(port, "POST", "/v1/operations", ToJson(request),
              {"Content-Type: application/json", "Authorization: Bearer viewer-token"});
  EXPECT_EQ(start.status, 403) << start.body;
  EXPECT_EQ(server.engine().stats().retained_operations, 0);
}

TEST(HttpApiTest, ErrorsAreAip193WithTheMatchingHttpStatus) {
  HttpTestServer server;
  int port = server.port();
  HttpAnswer missing = Request(port, "GET", "/v1/operations/op-aaaaaaaaaaaaaaaaaaaaaaaaaa");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(ReasonOf(missing.body), "OPERATION_NOT_FOUND");
  EXPECT_NE(missing.body.find("\"status\":\"NOT_FOUND\""), std::string::npos);

  HttpAnswer bad_id = Request(port, "GET", "/v1/operations/not-an-id");
  EXPECT_EQ(bad_id.status, 400);
  EXPECT_EQ(ReasonOf(bad_id.body), "INVALID_FIELD");

  HttpAnswer bad_param = Request(port, "GET", "/v1/operations?colour=red");
  EXPECT_EQ(bad_param.status, 400);
  EXPECT_EQ(ReasonOf(bad_param.body), "INVALID_FIELD");

  HttpAnswer bad_filter = Request(port, "GET", "/v1/operations?filter=owner%3Dme");
  EXPECT_EQ(bad_filter.status, 400);

  HttpAnswer bad_json = Post(port, "/v1/operations", "{\"spec\": 3");
  EXPECT_EQ(bad_json.status, 400);
  EXPECT_EQ(ReasonOf(bad_json.body), "INVALID_FIELD");

  v1::StartOperationRequest long_comment = SyntheticBackup(1, 1);
  long_comment.mutable_spec()->mutable_backup()->set_comment(std::string(2048, 'x'));
  HttpAnswer too_long = Post(port, "/v1/operations", ToJson(long_comment));
  EXPECT_EQ(too_long.status, 400);
  EXPECT_NE(too_long.body.find("spec.backup.comment"), std::string::npos) << too_long.body;

  HttpAnswer route = Request(port, "GET", "/v1/nothing");
  EXPECT_EQ(route.status, 404);
  EXPECT_EQ(ReasonOf(route.body), "ROUTE_NOT_FOUND");
  HttpAnswer method = Request(port, "DELETE", "/v1/gpos");
  EXPECT_EQ(method.status, 501);
}

TEST(HttpApiTest, StateChangingRequestsFromOtherSitesAreRefused) {
  HttpTestServer server;
  int port = server.port();
  std::string body = ToJson(SyntheticBackup(1, 1));
  // A form post (no JSON content type), another origin, a cross-site fetch.
  HttpAnswer form = Request(port, "POST", "/v1/operations", body,
                            {"Content-Type: application/x-www-form-urlencoded"});
  HttpAnswer origin = Request(port, "POST", "/v1/operations", body,
                              {"Content-Type: application/json", "Origin: http://evil.test"});
  HttpAnswer site = Request(port, "POST", "/v1/operations", body,
                            {"Content-Type: application/json", "Sec-Fetch-Site: cross-site"});
  for (const HttpAnswer& answer : {form, origin, site}) {
    EXPECT_EQ(answer.status, 403) << answer.body;
    EXPECT_EQ(ReasonOf(answer.body), "CROSS_SITE_REQUEST");
  }
  HttpAnswer list = Request(port, "GET", "/v1/operations");
  EXPECT_EQ(Parse<v1::ListOperationsResponse>(list.body).operations_size(), 0);
}

TEST(HttpApiTest, OnlyLoopbackHostNamesAreAnswered) {
  HttpTestServer server;
  // A page of another site reaching gpopd through DNS rebinding sends its own host name.
  HttpAnswer rebound =
      Request(server.port(), "GET", "/v1/operations", "", {"Host: evil.test:8080"});
  EXPECT_EQ(rebound.status, 403);
  EXPECT_EQ(ReasonOf(rebound.body), "HOST_NOT_ALLOWED");
  for (const char* host : {"localhost:1", "127.0.0.1", "[::1]:8080"}) {
    EXPECT_EQ(
        Request(server.port(), "GET", "/v1/operations", "", {std::string("Host: ") + host}).status,
        200)
        << host;
  }
}

TEST(HttpSseTest, ResumesFromLastEventIdAndAfterSequenceExactlyAsGrpc) {
  HttpTestServer server;
  v1::Operation op = StartOk(server.port(), SyntheticBackup(3, 5, {{"synthetic.messages", "1"}}));
  std::string path = "/v1/operations/" + op.id() + "/events";
  HttpAnswer all = Request(server.port(), "GET", path);
  EXPECT_EQ(all.status, 200);
  EXPECT_EQ(all.headers["content-type"], "text/event-stream");
  std::vector<SseEvent> events = ParseSse(all.body);
  std::vector<uint64_t> seqs = Sequences(events);
  ASSERT_GE(seqs.size(), 4u);  // queued, running, messages..., terminal
  for (size_t i = 0; i < seqs.size(); ++i) EXPECT_EQ(seqs[i], i + 1);
  EXPECT_EQ(events.back().event, "end");

  HttpAnswer resumed = Request(server.port(), "GET", path, "", {"Last-Event-ID: 2"});
  std::vector<uint64_t> after2 = Sequences(ParseSse(resumed.body));
  ASSERT_EQ(after2.size(), seqs.size() - 2);
  EXPECT_EQ(after2.front(), 3u);

  HttpAnswer by_param = Request(server.port(), "GET", path + "?after_sequence=3");
  std::vector<uint64_t> after3 = Sequences(ParseSse(by_param.body));
  ASSERT_EQ(after3.size(), seqs.size() - 3);
  EXPECT_EQ(after3.front(), 4u);

  // EventSource's own reconnect: the page's first URL (?after_sequence=1) with the Last-Event-ID
  // it has seen since (3): resumed after 3, never replaying 2 and 3; and the other way round.
  for (const auto& [param, header] : {std::pair<int, int>{1, 3}, std::pair<int, int>{3, 1}}) {
    HttpAnswer both =
        Request(server.port(), "GET", path + "?after_sequence=" + std::to_string(param), "",
                {"Last-Event-ID: " + std::to_string(header)});
    std::vector<uint64_t> later = Sequences(ParseSse(both.body));
    ASSERT_EQ(later.size(), seqs.size() - 3) << param << "/" << header;
    EXPECT_EQ(later.front(), 4u);
  }

  HttpAnswer beyond = Request(server.port(), "GET", path + "?after_sequence=999");
  std::vector<SseEvent> failure = ParseSse(beyond.body);
  ASSERT_EQ(failure.size(), 1u);
  EXPECT_EQ(failure[0].event, "failure");
  EXPECT_EQ(ReasonOf(failure[0].data), "SEQUENCE_OUT_OF_RANGE");

  HttpAnswer unknown =
      Request(server.port(), "GET", "/v1/operations/op-aaaaaaaaaaaaaaaaaaaaaaaaaa/events");
  std::vector<SseEvent> not_found = ParseSse(unknown.body);
  ASSERT_EQ(not_found.size(), 1u);
  EXPECT_EQ(not_found[0].event, "failure");
  EXPECT_EQ(ReasonOf(not_found[0].data), "OPERATION_NOT_FOUND");
}

// The events of a watch's SSE body read so far (after the HTTP head).
std::vector<SseEvent> WatchEvents(const std::string& answer) {
  size_t head = answer.find("\r\n\r\n");
  std::vector<SseEvent> out;
  if (head == std::string::npos) return out;
  for (SseEvent& e : ParseSse(answer.substr(head + 4))) {
    if (e.event == "event") out.push_back(std::move(e));
  }
  return out;
}

TEST(HttpSseTest, AWatchFromBelowTheWindowGetsStoredThenLiveRevisions) {
  engine::EngineOptions options;
  options.retained_revisions = 2;
  options.history_page = {3, size_t{1} << 20};
  HttpTestServer server(options);
  std::vector<std::string> blue_ids;
  auto run = [&](const std::string& colour) {
    v1::Operation op = StartOk(server.port(), SyntheticBackup(1, 1, {{"colour", colour}}));
    Request(server.port(), "GET", "/v1/operations/" + op.id() + "/events");  // to its end
    if (colour == "blue") blue_ids.push_back(op.id());
  };
  for (const char* colour : {"blue", "red", "blue"}) run(colour);
  auto revision = [&] {
    return Parse<v1::ListOperationsResponse>(Request(server.port(), "GET", "/v1/operations").body)
        .revision();
  };
  uint64_t stored = revision();
  ASSERT_GT(stored, 2u * static_cast<uint64_t>(options.retained_revisions));

  int all = Connect(server.port(), "GET /v1/operations:watch HTTP/1.0\r\nLast-Event-ID: 0\r\n\r\n");
  int blue = Connect(server.port(),
                     "GET /v1/operations:watch?filter=labels.colour%3Dblue HTTP/1.0\r\n\r\n");
  ASSERT_GE(all, 0);
  ASSERT_GE(blue, 0);
  // Reads until `fd` sent `count` events; a guard of 60 polls of a second without a new event
  // turns a watch that stopped short into a failure instead of a hang.
  auto read_events = [](int fd, std::string* body, size_t count) {
    for (int idle = 0; WatchEvents(*body).size() < count && idle < 60; ++idle) {
      size_t before = WatchEvents(*body).size();
      if (!ReadSome(fd, body, 1000)) return;
      if (WatchEvents(*body).size() != before) idle = 0;  // heartbeats are not progress
    }
  };
  std::string all_body;
  read_events(all, &all_body, stored);
  ASSERT_EQ(WatchEvents(all_body).size(), stored) << all_body;
  run("red");
  run("blue");  // live now
  uint64_t last = revision();
  read_events(all, &all_body, last);
  close(all);
  std::vector<SseEvent> got = WatchEvents(all_body);
  ASSERT_EQ(got.size(), last);
  // A fresh server numbers without gaps: every revision once, in order.
  for (size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i].id, std::to_string(i + 1));

  // The filtered watch gets exactly the blue operations' events (three each), in order.
  std::string blue_body;
  read_events(blue, &blue_body, 3 * blue_ids.size());
  close(blue);
  std::vector<SseEvent> blue_got = WatchEvents(blue_body);
  ASSERT_EQ(blue_got.size(), 3 * blue_ids.size());
  for (size_t i = 0; i < blue_got.size(); ++i) {
    EXPECT_NE(blue_got[i].data.find(blue_ids[i / 3]), std::string::npos) << blue_got[i].data;
    if (i > 0) EXPECT_LT(std::stoull(blue_got[i - 1].id), std::stoull(blue_got[i].id));
  }
}

TEST(HttpSseTest, WatchIdsAreRevisionsAndResumeAfterThem) {
  HttpTestServer server;
  v1::Operation op = StartOk(server.port(), SyntheticBackup(1, 1));
  Request(server.port(), "GET", "/v1/operations/" + op.id() + "/events");  // to its end
  v1::ListOperationsResponse listed =
      Parse<v1::ListOperationsResponse>(Request(server.port(), "GET", "/v1/operations").body);
  // Watch from revision 1 with a stream cut after its first event, then resume from its id.
  int fd = Connect(server.port(), "GET /v1/operations:watch?after_revision=1 HTTP/1.0\r\n\r\n");
  ASSERT_GE(fd, 0);
  std::string body;
  while (
      ParseSse(body.substr(body.find("\r\n\r\n") == std::string::npos ? body.size()
                                                                      : body.find("\r\n\r\n") + 4))
          .empty()) {
    ASSERT_TRUE(ReadSome(fd, &body, 1000));
  }
  close(fd);
  std::vector<SseEvent> first = ParseSse(body.substr(body.find("\r\n\r\n") + 4));
  ASSERT_EQ(first[0].event, "event");
  EXPECT_EQ(first[0].id, "2");
  // Resuming from that id replays the rest up to the listed revision, none twice.
  int rest =
      Connect(server.port(),
              "GET /v1/operations:watch HTTP/1.0\r\nLast-Event-ID: " + first[0].id + "\r\n\r\n");
  std::string more;
  std::vector<uint64_t> revisions;
  while (revisions.empty() || revisions.back() < listed.revision()) {
    ASSERT_TRUE(ReadSome(rest, &more, 1000));
    revisions.clear();
    for (const SseEvent& e :
         ParseSse(more.substr(std::min(more.size(), more.find("\r\n\r\n") + 4)))) {
      if (e.event == "event") revisions.push_back(std::stoull(e.id));
    }
  }
  close(rest);
  for (size_t i = 0; i < revisions.size(); ++i) EXPECT_EQ(revisions[i], 3 + i);
}

TEST(HttpSseTest, AThousandViewersOnAFixedNumberOfThreads) {
  HttpTestServer server;
  v1::Operation op = StartOk(server.port(), SyntheticBackup(600, 100));
  size_t threads_before = ThreadCount();
  constexpr int kViewers = 1000;
  std::string request = "GET /v1/operations/" + op.id() + "/events HTTP/1.0\r\n\r\n";
  std::vector<int> fds;
  std::vector<std::string> bodies(kViewers);
  for (int i = 0; i < kViewers; ++i) {
    fds.push_back(Connect(server.port(), request));
    ASSERT_GE(fds.back(), 0) << "viewer " << i;
  }
  // Every viewer has its first event (QUEUED, sequence 1).
  for (int i = 0; i < kViewers; ++i) {
    while (bodies[i].find("id: 1\n") == std::string::npos) {
      ASSERT_TRUE(ReadSome(fds[i], &bodies[i], 5000)) << "viewer " << i;
    }
  }
  EXPECT_EQ(server.http().open_streams(), static_cast<size_t>(kViewers));
  EXPECT_LE(ThreadCount(), threads_before) << "viewers must not cost threads";
  // Cancel: every viewer gets the terminal event and the end.
  ASSERT_EQ(Post(server.port(), "/v1/operations/" + op.id() + ":cancel", "").status, 200);
  for (int i = 0; i < kViewers; ++i) {
    while (ReadSome(fds[i], &bodies[i], 5000)) {
    }
    close(fds[i]);
    std::vector<SseEvent> events = ParseSse(bodies[i].substr(bodies[i].find("\r\n\r\n") + 4));
    ASSERT_FALSE(events.empty());
    EXPECT_EQ(events.back().event, "end") << "viewer " << i;
    std::vector<uint64_t> seqs = Sequences(events);
    for (size_t k = 0; k < seqs.size(); ++k) EXPECT_EQ(seqs[k], k + 1) << "viewer " << i;
  }
}

TEST(HttpSseTest, AStalledViewerHoldsUpNobody) {
  HttpTestServer server;
  // Many messages per step, so the stalled viewer's socket buffers fill up.
  v1::Operation op =
      StartOk(server.port(), SyntheticBackup(20, 1, {{"synthetic.messages", "100"}}));
  std::string request = "GET /v1/operations/" + op.id() + "/events HTTP/1.0\r\n\r\n";
  // Never read until the other viewer is done; a small receive buffer makes the server's
  // writes to it stall early.
  int stalled = Connect(server.port(), request, /*receive_buffer=*/4096);
  ASSERT_GE(stalled, 0);
  HttpAnswer reader = Request(server.port(), "GET", "/v1/operations/" + op.id() + "/events");
  std::vector<SseEvent> events = ParseSse(reader.body);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().event, "end");
  // The stalled viewer, read at last, still gets every event once and in order.
  std::string late;
  while (ReadSome(stalled, &late, 5000)) {
  }
  close(stalled);
  std::vector<SseEvent> late_events = ParseSse(late.substr(late.find("\r\n\r\n") + 4));
  EXPECT_EQ(Sequences(late_events), Sequences(events));
  EXPECT_EQ(late_events.back().event, "end");
}

TEST(HttpSseTest, PlannedShutdownEndsEveryStreamAsUnavailable) {
  HttpTestServer server;
  int fd = Connect(server.port(), "GET /v1/operations:watch HTTP/1.0\r\n\r\n");
  ASSERT_GE(fd, 0);
  std::string body;
  while (body.find("retry:") == std::string::npos) ASSERT_TRUE(ReadSome(fd, &body, 5000));
  server.engine().Shutdown(engine::Duration::zero());
  while (ReadSome(fd, &body, 5000)) {
  }
  close(fd);
  std::vector<SseEvent> events = ParseSse(body.substr(body.find("\r\n\r\n") + 4));
  ASSERT_EQ(events.size(), 1u) << body;
  EXPECT_EQ(events[0].event, "unavailable");
  EXPECT_EQ(ReasonOf(events[0].data), "SHUTTING_DOWN");
}

TEST(HttpPageTest, TheDashboardIsServedWithAStrictPolicy) {
  HttpTestServer server;
  HttpAnswer page = Request(server.port(), "GET", "/");
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.headers["content-type"], "text/html; charset=utf-8");
  const std::string& csp = page.headers["content-security-policy"];
  EXPECT_NE(csp.find("script-src 'self'"), std::string::npos);
  EXPECT_EQ(csp.find("unsafe-inline"), std::string::npos);
  EXPECT_EQ(page.body.find("<script>"), std::string::npos) << "no inline script";
  EXPECT_EQ(Request(server.port(), "GET", "/app.js").status, 200);
  EXPECT_EQ(Request(server.port(), "GET", "/nothing.js").status, 404);
}

}  // namespace
}  // namespace gpop::http_test
