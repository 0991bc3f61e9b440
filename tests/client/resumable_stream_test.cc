// Tests of StatusStream and WatchStream over real gRPC against FakeOperationsServer: resume
// positions, exactly-once delivery, non-resumable errors, the retry budget, backoff through the
// injected sleeper, cancel and deadline.

#include "client/resumable_stream.h"

#include <chrono>
#include <future>
#include <memory>
#include <vector>

#include "client/client.h"
#include "client/grpc_connection.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/client/fake_operations_server.h"

namespace gpop::client {
namespace {

using ::gpop::testing::Attempt;
using ::gpop::testing::FakeOperationsServer;
using std::chrono::hours;
using std::chrono::milliseconds;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;

constexpr char kOp[] = "op-1";

Attempt Cut(int max_events, grpc::StatusCode code = grpc::StatusCode::UNAVAILABLE) {
  Attempt attempt;
  attempt.max_events = max_events;
  attempt.end = grpc::Status(code, "scripted cut");
  return attempt;
}

std::vector<uint64_t> OneTo(uint64_t n) {
  std::vector<uint64_t> out;
  for (uint64_t i = 1; i <= n; ++i) out.push_back(i);
  return out;
}

// A fake server plus a Client whose backoff only records its delays (of an hour each, so a
// real sleep would hang the test rather than pass it).
class ResumableStreamTest : public ::testing::Test {
 protected:
  explicit ResumableStreamTest(int events = 10) : server_(events) {}

  void SetUp() override {
    std::shared_ptr<grpc::Channel> channel = server_.Start();
    ASSERT_NE(channel, nullptr);
    connection_ = MakeGrpcConnection(channel, ConnectionOptions());
  }

  Client MakeClient(int max_attempts = 5) {
    StreamRetryPolicy::Options policy;
    policy.max_attempts_without_progress = max_attempts;
    policy.initial_delay = hours(1);
    policy.max_delay = hours(8);
    policy.max_time_without_progress = hours(1000);
    policy.jitter = 0;
    ResumeOptions resume;
    resume.retry_policy = StreamRetryPolicy(policy);
    resume.sleeper = [this](milliseconds delay) { sleeps_.push_back(delay); };
    resume.on_reconnect = [this](const absl::Status& cut, milliseconds delay) {
      reconnects_.push_back(delay);
    };
    return Client(connection_, resume);
  }

  // Reads `stream` to its end; returns the event sequences seen.
  static std::vector<uint64_t> Drain(StatusStream& stream) {
    std::vector<uint64_t> sequences;
    v1::StatusUpdate update;
    while (stream.Read(&update)) {
      if (update.has_event()) sequences.push_back(update.event().sequence());
    }
    return sequences;
  }

  FakeOperationsServer server_;
  std::shared_ptr<Connection> connection_;
  std::vector<milliseconds> sleeps_;
  std::vector<milliseconds> reconnects_;
};

TEST_F(ResumableStreamTest, UncutStreamDeliversEveryEventOnce) {
  Client client = MakeClient();
  std::unique_ptr<StatusStream> stream = client.StreamStatus(kOp);
  EXPECT_THAT(Drain(*stream), ElementsAreArray(OneTo(10)));
  EXPECT_TRUE(stream->status().ok()) << stream->status();
  EXPECT_EQ(stream->resumes(), 0);
  EXPECT_TRUE(sleeps_.empty());
}

TEST_F(ResumableStreamTest, CutAfterNEventsResumesFromN) {
  server_.AddStreamAttempt(Cut(3));                              // UNAVAILABLE after 3
  server_.AddStreamAttempt(Cut(4, grpc::StatusCode::OK));        // clean end, not terminal
  server_.AddStreamAttempt(Cut(2, grpc::StatusCode::INTERNAL));  // a proxy's reset
  server_.AddStreamAttempt(Cut(0, grpc::StatusCode::ABORTED));   // nothing new at all
  Client client = MakeClient();
  std::unique_ptr<StatusStream> stream = client.StreamStatus(kOp);
  EXPECT_THAT(Drain(*stream), ElementsAreArray(OneTo(10)));
  EXPECT_TRUE(stream->status().ok()) << stream->status();
  EXPECT_THAT(server_.stream_requests(), ElementsAre(0, 3, 7, 9, 9));
  EXPECT_EQ(stream->resumes(), 4);
  EXPECT_EQ(stream->last_sequence(), 10u);
}

TEST_F(ResumableStreamTest, ReplayedEventsAreDroppedSoEachIsSeenOnce) {
  Attempt overlap = Cut(3);
  overlap.replay_overlap = 3;
  server_.AddStreamAttempt(Cut(4));
  server_.AddStreamAttempt(overlap);
  Attempt rest;
  rest.replay_overlap = 5;
  server_.AddStreamAttempt(rest);
  Client client = MakeClient();
  std::unique_ptr<StatusStream> stream = client.StreamStatus(kOp);
  EXPECT_THAT(Drain(*stream), ElementsAreArray(OneTo(10)));
  EXPECT_THAT(server_.stream_requests(), ElementsAre(0, 4, 7));
}

TEST_F(ResumableStreamTest, StartsAfterTheGivenSequence) {
  Client client = MakeClient();
  std::unique_ptr<StatusStream> stream = client.StreamStatus(kOp, 6);
  EXPECT_THAT(Drain(*stream), ElementsAre(7, 8, 9, 10));
  EXPECT_THAT(server_.stream_requests(), ElementsAre(6));
}

TEST_F(ResumableStreamTest, NotFoundEndsTheStreamWithItsReason) {
  Client client = MakeClient();
  std::unique_ptr<StatusStream> stream = client.StreamStatus("op-unknown");
  EXPECT_TRUE(Drain(*stream).empty());
  EXPECT_EQ(stream->status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(GetReason(stream->status()), "OPERATION_NOT_FOUND");
  EXPECT_TRUE(sleeps_.empty());
}

TEST_F(ResumableStreamTest, OutOfRangeEndsWithoutRetry) {
  Client client = MakeClient();
  std::unique_ptr<StatusStream> stream = client.StreamStatus(kOp, 99);
  EXPECT_TRUE(Drain(*stream).empty());
  EXPECT_EQ(stream->status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(GetReason(stream->status()), "SEQUENCE_OUT_OF_RANGE");
  EXPECT_THAT(server_.stream_requests(), ElementsAre(99));
  EXPECT_TRUE(sleeps_.empty());
}

TEST_F(ResumableStreamTest, NonResumableCodeMidStreamEnds) {
  server_.AddStreamAttempt(Cut(2));
  server_.AddStreamAttempt(Cut(2, grpc::StatusCode::PERMISSION_DENIED));
  Client client = MakeClient();
  std::unique_ptr<StatusStream> stream = client.StreamStatus(kOp);
  EXPECT_THAT(Drain(*stream), ElementsAre(1, 2, 3, 4));
  EXPECT_EQ(stream->status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(server_.stream_requests(), ElementsAre(0, 2));
}

TEST_F(ResumableStreamTest, BudgetIsSpentByCutsWithoutProgress) {
  // The progress item each attempt starts with is not progress.
  for (int i = 0; i < 3; ++i) server_.AddStreamAttempt(Cut(0));
  Client client = MakeClient(/*max_attempts=*/2);
  std::unique_ptr<StatusStream> stream = client.StreamStatus(kOp);
  EXPECT_TRUE(Drain(*stream).empty());
  EXPECT_EQ(stream->status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(server_.stream_requests(), ElementsAre(0, 0, 0));
  EXPECT_THAT(sleeps_, ElementsAre(hours(1), hours(2)));
  EXPECT_EQ(reconnects_, sleeps_);  // told before each wait (gpopctl prints "reconnecting")
}

TEST_F(ResumableStreamTest, BudgetResetsAfterProgress) {
  server_.AddStreamAttempt(Cut(0));
  server_.AddStreamAttempt(Cut(0));
  server_.AddStreamAttempt(Cut(1));  // progress: the budget of 2 starts over
  server_.AddStreamAttempt(Cut(0));
  Client client = MakeClient(/*max_attempts=*/2);
  std::unique_ptr<StatusStream> stream = client.StreamStatus(kOp);
  EXPECT_THAT(Drain(*stream), ElementsAreArray(OneTo(10)));
  EXPECT_TRUE(stream->status().ok()) << stream->status();
  EXPECT_THAT(server_.stream_requests(), ElementsAre(0, 0, 0, 1, 1));
  EXPECT_THAT(sleeps_, ElementsAre(hours(1), hours(2), hours(1), hours(2)));
}

TEST_F(ResumableStreamTest, HeartbeatCountsAsProgress) {
  Attempt idle = Cut(0);
  idle.heartbeat_last = true;
  server_.AddStreamAttempt(Cut(0));
  server_.AddStreamAttempt(idle);
  server_.AddStreamAttempt(Cut(0));
  Client client = MakeClient(/*max_attempts=*/2);
  std::unique_ptr<StatusStream> stream = client.StreamStatus(kOp);
  EXPECT_THAT(Drain(*stream), ElementsAreArray(OneTo(10)));
  EXPECT_THAT(sleeps_, ElementsAre(hours(1), hours(1), hours(2)));
}

TEST_F(ResumableStreamTest, CancelDuringBackoffEndsCancelled) {
  server_.AddStreamAttempt(Cut(2));
  StreamRetryPolicy::Options policy;
  policy.initial_delay = hours(1);
  ResumeOptions resume;
  resume.retry_policy = StreamRetryPolicy(policy);
  StatusStream* raw = nullptr;
  resume.sleeper = [&raw](milliseconds) { raw->Cancel(); };
  Client client(connection_, resume);
  std::unique_ptr<StatusStream> stream = client.StreamStatus(kOp);
  raw = stream.get();
  EXPECT_THAT(Drain(*stream), ElementsAre(1, 2));
  EXPECT_EQ(stream->status().code(), absl::StatusCode::kCancelled);
  EXPECT_THAT(server_.stream_requests(), ElementsAre(0));
  EXPECT_EQ(stream->last_sequence(), 2u);
}

TEST_F(ResumableStreamTest, CancelWakesTheRealBackoffWait) {
  server_.AddStreamAttempt(Cut(1));
  StreamRetryPolicy::Options policy;
  policy.initial_delay = hours(1);
  policy.jitter = 0;
  ResumeOptions resume;
  resume.retry_policy = StreamRetryPolicy(policy);  // no sleeper: the real, interruptible wait
  // The clock is read once before each attempt and once before the backoff: the second read
  // tells the test that the stream is about to wait.
  std::promise<void> about_to_wait;
  int clock_reads = 0;
  resume.clock = [&] {
    if (++clock_reads == 2) about_to_wait.set_value();
    return std::chrono::system_clock::now();
  };
  Client client(connection_, resume);
  StreamOptions options;
  options.deadline = std::chrono::system_clock::now() + hours(10);
  std::unique_ptr<StatusStream> stream = client.StreamStatus(kOp, 0, options);
  std::future<void> waiting = about_to_wait.get_future();
  auto started = std::chrono::steady_clock::now();
  std::thread canceller([&] {
    waiting.wait();
    stream->Cancel();
  });
  std::vector<uint64_t> seen = Drain(*stream);
  canceller.join();
  EXPECT_THAT(seen, ElementsAre(1));
  EXPECT_EQ(stream->status().code(), absl::StatusCode::kCancelled);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::minutes(1));
}

TEST_F(ResumableStreamTest, DeadlineEndsTheStreamInsteadOfWaitingPastIt) {
  server_.AddStreamAttempt(Cut(2));
  Client client = MakeClient();
  StreamOptions options;
  options.deadline = std::chrono::system_clock::now() + std::chrono::minutes(30);  // < 1h backoff
  std::unique_ptr<StatusStream> stream = client.StreamStatus(kOp, 0, options);
  EXPECT_THAT(Drain(*stream), ElementsAre(1, 2));
  EXPECT_EQ(stream->status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_TRUE(sleeps_.empty());
}

// WatchOperations: the same resume loop, by revision.
class WatchStreamTest : public ResumableStreamTest {
 protected:
  WatchStreamTest() : ResumableStreamTest(6) {}

  static std::vector<uint64_t> DrainRevisions(WatchStream& stream) {
    std::vector<uint64_t> revisions;
    v1::WatchOperationsResponse response;
    while (stream.Read(&response)) {
      if (response.has_event()) revisions.push_back(response.event().revision());
    }
    return revisions;
  }
};

TEST_F(WatchStreamTest, ResumesFromTheLastRevisionAndFollowsBookmarks) {
  server_.AddWatchAttempt(Cut(2));
  Attempt overlap = Cut(2, grpc::StatusCode::OK);  // a watch never ends by itself: a cut
  overlap.replay_overlap = 2;
  server_.AddWatchAttempt(overlap);
  Attempt rest = Cut(-1);
  rest.heartbeat_last = true;  // bookmark at revision 116
  server_.AddWatchAttempt(rest);
  server_.AddWatchAttempt(Cut(0, grpc::StatusCode::PERMISSION_DENIED));
  Client client = MakeClient();
  std::unique_ptr<WatchStream> stream = client.WatchOperations(100);
  EXPECT_THAT(DrainRevisions(*stream), ElementsAre(101, 102, 103, 104, 105, 106));
  EXPECT_EQ(stream->status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(server_.watch_requests(), ElementsAre(100, 102, 104, 116));
  EXPECT_EQ(stream->last_revision(), 116u);
}

TEST_F(WatchStreamTest, CursorExpiredIsSurfaced) {
  Client client = MakeClient();
  std::unique_ptr<WatchStream> stream = client.WatchOperations(10);
  EXPECT_TRUE(DrainRevisions(*stream).empty());
  EXPECT_EQ(stream->status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(GetReason(stream->status()), "CURSOR_EXPIRED");
  EXPECT_THAT(server_.watch_requests(), ElementsAre(10));
  EXPECT_TRUE(sleeps_.empty());
}

}  // namespace
}  // namespace gpop::client
