// End-to-end tests of StreamStatus and WatchOperations over real gRPC: resume after a cut,
// stalled readers, a thousand watchers, list-then-watch, and gRPC's interop cases
// (cancel_after_begin, cancel_after_first_response, timeout_on_sleeping_server) applied to
// StreamStatus.

#include <atomic>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "grpcpp/support/client_callback.h"
#include "gtest/gtest.h"
#include "tests/e2e/test_server.h"

namespace gpop::e2e {
namespace {

using std::chrono::seconds;

TEST(StreamsTest, ResumeAfterForcedDisconnectMissesNothing) {
  TestServer server;
  v1::Operation op = Start(server.stub(), SyntheticBackup(20, 10, {{"synthetic.messages", "1"}}));
  std::vector<v1::Event> seen;
  uint64_t position = 0;
  int cuts = 0;
  // Cut the stream after every third event until the operation ends, resuming each time from
  // the last sequence seen, as the client library does.
  for (int attempt = 0; attempt < 100; ++attempt) {
    int events_this_attempt = 0;
    StreamResult stream =
        ReadStream(server.stub(), op.id(), position, [&](const v1::StatusUpdate& u) {
          return u.has_event() && ++events_this_attempt == 3 && !IsTerminal(u.event().state());
        });
    for (const v1::Event& e : stream.events()) seen.push_back(e);
    if (!seen.empty()) position = seen.back().sequence();
    if (stream.status.ok()) break;
    EXPECT_EQ(stream.status.error_code(), grpc::StatusCode::CANCELLED);
    ++cuts;
  }
  EXPECT_GE(cuts, 3);
  ExpectGapFree(seen, 1);
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.back().state(), v1::SUCCEEDED);
  EXPECT_GE(seen.size(), 22u);  // QUEUED, RUNNING, 20 message events, SUCCEEDED
}

TEST(StreamsTest, StalledReaderDoesNotGrowRetainedEvents) {
  engine::EngineOptions options;
  options.retained_revisions = 64;  // the watch log's bound
  TestServer server(options);
  // ~2,000 message events: more than HTTP/2 flow control lets through to a reader that stops.
  v1::Operation op = Start(server.stub(), SyntheticBackup(100, 1, {{"synthetic.messages", "20"}}));

  // Stalled readers: calls started, never read.
  constexpr int kStalled = 8;
  std::vector<std::unique_ptr<grpc::ClientContext>> contexts;
  std::vector<std::unique_ptr<grpc::ClientReader<v1::StatusUpdate>>> status_readers;
  std::vector<std::unique_ptr<grpc::ClientReader<v1::WatchOperationsResponse>>> watch_readers;
  v1::StreamStatusRequest status_request;
  status_request.set_operation_id(op.id());
  v1::WatchOperationsRequest watch_request;
  for (int i = 0; i < kStalled; ++i) {
    contexts.push_back(std::make_unique<grpc::ClientContext>());
    status_readers.push_back(server.stub().StreamStatus(contexts.back().get(), status_request));
    contexts.push_back(std::make_unique<grpc::ClientContext>());
    watch_readers.push_back(server.stub().WatchOperations(contexts.back().get(), watch_request));
  }

  // A live reader follows the operation to its end.
  StreamResult live = ReadStream(server.stub(), op.id());
  ASSERT_TRUE(live.status.ok());
  uint64_t total_events = live.events().back().sequence();
  EXPECT_GT(total_events, 2000u);

  engine::Engine::Stats stats = server.engine().stats();
  // The operation's log plus the bounded watch log, however many streams are stalled.
  EXPECT_LE(stats.retained_events, static_cast<int64_t>(total_events) + 64 + 1);
  EXPECT_LE(stats.open_streams, 2 * kStalled);

  // The stalled status streams, read at last, still deliver every event in order.
  v1::StatusUpdate update;
  std::vector<v1::Event> events;
  while (status_readers[0]->Read(&update)) {
    if (update.has_event()) events.push_back(update.event());
  }
  EXPECT_TRUE(status_readers[0]->Finish().ok());
  ExpectGapFree(events, 1);
  EXPECT_EQ(events.size(), total_events);
  // The stalled watch streams, read at last, also deliver every event: those that left the
  // bounded watch log come from the store.
  v1::WatchOperationsResponse watch_update;
  std::vector<v1::Event> watched;
  while (watch_readers[0]->Read(&watch_update)) {
    if (!watch_update.has_event()) continue;
    watched.push_back(watch_update.event());
    if (IsTerminal(watch_update.event().state())) break;
  }
  contexts[1]->TryCancel();
  watch_readers[0]->Finish();
  ExpectGapFree(watched, 1);
  EXPECT_EQ(watched.size(), total_events);
  for (auto& context : contexts) context->TryCancel();
  for (size_t i = 1; i < status_readers.size(); ++i) {
    while (status_readers[i]->Read(&update)) {
    }
    status_readers[i]->Finish();
  }
  for (size_t i = 1; i < watch_readers.size(); ++i) {
    while (watch_readers[i]->Read(&watch_update)) {
    }
    watch_readers[i]->Finish();
  }
}

// One watcher of the callback client API: reads until the stream ends, remembers the last event.
class Watcher final : public grpc::ClientReadReactor<v1::StatusUpdate> {
 public:
  Watcher(v1::GroupPolicyOperations::Stub* stub, const std::string& id, Latch* first_item,
          Latch* done)
      : first_item_(first_item), done_(done) {
    request_.set_operation_id(id);
    context_.set_deadline(std::chrono::system_clock::now() + seconds(120));
    stub->async()->StreamStatus(&context_, &request_, this);
    StartRead(&update_);
    StartCall();
  }
  void OnReadDone(bool ok) override {
    if (!ok) return;
    if (!got_first_) {
      got_first_ = true;
      first_item_->CountDown();
    }
    if (update_.has_event()) {
      last_state_ = update_.event().state();
      if (update_.event().sequence() != last_sequence_ + 1) gaps_ = true;
      last_sequence_ = update_.event().sequence();
    }
    StartRead(&update_);
  }
  void OnDone(const grpc::Status& status) override {
    ok_ = status.ok();
    if (!got_first_) first_item_->CountDown();
    done_->CountDown();
  }
  // Read after `done` counted down.
  bool ok() const { return ok_; }
  bool gaps() const { return gaps_; }
  v1::OperationState last_state() const { return last_state_; }

 private:
  Latch* const first_item_;
  Latch* const done_;
  grpc::ClientContext context_;
  v1::StreamStatusRequest request_;
  v1::StatusUpdate update_;
  bool got_first_ = false;
  bool gaps_ = false;
  uint64_t last_sequence_ = 0;
  v1::OperationState last_state_ = v1::OPERATION_STATE_UNSPECIFIED;
  bool ok_ = false;
};

TEST(StreamsTest, ThousandWatchersAllSeeTheTerminalEvent) {
  TestServer server;
  // Runs for ~20 s unless cancelled: every watcher is streaming before the cancel ends it.
  v1::Operation op = Start(server.stub(), SyntheticBackup(1000, 20));
  constexpr int kWatchers = 1000;
  constexpr int kChannels = 4;
  std::vector<std::unique_ptr<v1::GroupPolicyOperations::Stub>> stubs;
  for (int i = 0; i < kChannels; ++i) {
    stubs.push_back(v1::GroupPolicyOperations::NewStub(server.NewChannel()));
  }
  Latch first_item(kWatchers), done(kWatchers);
  std::vector<std::unique_ptr<Watcher>> watchers;
  for (int i = 0; i < kWatchers; ++i) {
    watchers.push_back(
        std::make_unique<Watcher>(stubs[i % kChannels].get(), op.id(), &first_item, &done));
  }
  ASSERT_TRUE(first_item.Wait(seconds(120)));
  EXPECT_GE(server.engine().stats().open_streams, kWatchers);
  v1::CancelRequest cancel;
  cancel.set_operation_id(op.id());
  v1::Operation cancelled;
  grpc::ClientContext context;
  ASSERT_TRUE(server.stub().Cancel(&context, cancel, &cancelled).ok());
  ASSERT_TRUE(done.Wait(seconds(120)));
  int ok = 0, terminal = 0, gaps = 0;
  for (const auto& w : watchers) {
    ok += w->ok();
    terminal += w->last_state() == v1::CANCELLED;
    gaps += w->gaps();
  }
  EXPECT_EQ(ok, kWatchers);
  EXPECT_EQ(terminal, kWatchers);
  EXPECT_EQ(gaps, 0);
}

TEST(StreamsTest, ListThenWatchAcrossManyOperations) {
  TestServer server;
  const std::string filter = "labels.batch=lw";
  auto request = [] {
    return SyntheticBackup(3, 5, {{"batch", "lw"}, {"synthetic.messages", "1"}});
  };
  std::set<std::string> ids;
  for (int i = 0; i < 6; ++i) ids.insert(Start(server.stub(), request()).id());

  // List everything (one page), remembering each operation's last sequence at that revision.
  v1::ListOperationsRequest list;
  list.set_filter(filter);
  v1::ListOperationsResponse listed;
  grpc::ClientContext list_context;
  ASSERT_TRUE(server.stub().ListOperations(&list_context, list, &listed).ok());
  std::map<std::string, uint64_t> position;
  std::set<std::string> finished;
  for (const v1::Operation& op : listed.operations()) {
    position[op.id()] = op.last_sequence();
    if (IsTerminal(op.state())) finished.insert(op.id());
  }
  EXPECT_EQ(position.size(), ids.size());

  // Watch from the listed revision while more operations start.
  grpc::ClientContext watch_context;
  watch_context.set_deadline(std::chrono::system_clock::now() + seconds(60));
  v1::WatchOperationsRequest watch;
  watch.set_after_revision(listed.revision());
  watch.set_filter(filter);
  std::unique_ptr<grpc::ClientReader<v1::WatchOperationsResponse>> reader =
      server.stub().WatchOperations(&watch_context, watch);
  for (int i = 0; i < 6; ++i) ids.insert(Start(server.stub(), request()).id());

  std::map<std::string, std::vector<uint64_t>> sequences;
  uint64_t last_revision = listed.revision();
  v1::WatchOperationsResponse item;
  while (finished.size() < ids.size() && reader->Read(&item)) {
    if (!item.has_event()) continue;
    const v1::Event& e = item.event();
    EXPECT_GT(e.revision(), last_revision);
    last_revision = e.revision();
    EXPECT_TRUE(ids.count(e.operation_id())) << e.operation_id();
    sequences[e.operation_id()].push_back(e.sequence());
    if (IsTerminal(e.state())) finished.insert(e.operation_id());
  }
  watch_context.TryCancel();
  while (reader->Read(&item)) {
  }
  reader->Finish();
  ASSERT_EQ(finished.size(), ids.size());
  // Each operation's events continue exactly where the listing left it, without a gap or a
  // repeat; those started after the listing are seen from their first event.
  for (const std::string& id : ids) {
    SCOPED_TRACE(id);
    uint64_t next = position.count(id) ? position[id] + 1 : 1;
    for (uint64_t s : sequences[id]) EXPECT_EQ(s, next++);
    v1::GetOperationRequest get;
    get.set_operation_id(id);
    v1::Operation op;
    grpc::ClientContext context;
    ASSERT_TRUE(server.stub().GetOperation(&context, get, &op).ok());
    EXPECT_EQ(next - 1, op.last_sequence());
  }
}

TEST(StreamsTest, WatchFromBelowTheWindowGetsStoredThenLiveRevisions) {
  engine::EngineOptions options;
  options.retained_revisions = 8;
  options.history_page = {5, size_t{1} << 20};
  TestServer server(options);
  // The revisions of the blue operations, as their own streams report them.
  std::vector<uint64_t> blue;
  auto run = [&](const std::string& colour) {
    v1::Operation op = Start(server.stub(), SyntheticBackup(3, 1, {{"synthetic.messages", "3"},
                                                                   {"colour", colour}}));
    StreamResult result = ReadStream(server.stub(), op.id());
    ASSERT_TRUE(result.status.ok()) << result.status.error_message();
    for (const v1::Event& e : result.events()) {
      if (colour == "blue") blue.push_back(e.revision());
    }
  };
  for (const char* colour : {"blue", "red", "blue", "red"}) run(colour);
  size_t stored = blue.size();
  ASSERT_GT(stored, static_cast<size_t>(options.retained_revisions));

  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  v1::WatchOperationsRequest watch;
  watch.set_after_revision(0);
  watch.set_filter("labels.colour=blue");
  auto reader = server.stub().WatchOperations(&context, watch);
  std::vector<uint64_t> got;
  v1::WatchOperationsResponse item;
  while (got.size() < stored && reader->Read(&item)) {
    if (item.has_event()) got.push_back(item.event().revision());
  }
  run("red");
  run("blue");  // live now
  while (got.size() < blue.size() && reader->Read(&item)) {
    if (item.has_event()) got.push_back(item.event().revision());
  }
  context.TryCancel();
  reader->Finish();
  EXPECT_EQ(got, blue);
}

// --- gRPC interop cases applied to StreamStatus ------------------------------------------------

// Checks the server still serves: a unary call and a complete stream both work.
void ExpectHealthy(TestServer& server) {
  v1::Operation op = Start(server.stub(), SyntheticBackup(1, 1));
  StreamResult stream = ReadStream(server.stub(), op.id());
  EXPECT_TRUE(stream.status.ok()) << stream.status.error_message();
  ASSERT_FALSE(stream.events().empty());
  EXPECT_EQ(stream.events().back().state(), v1::SUCCEEDED);
}

TEST(InteropTest, CancelAfterBegin) {
  TestServer server;
  v1::Operation op = Start(server.stub(), SyntheticBackup(1000, 20));
  grpc::ClientContext context;
  v1::StreamStatusRequest request;
  request.set_operation_id(op.id());
  auto reader = server.stub().StreamStatus(&context, request);
  context.TryCancel();
  v1::StatusUpdate update;
  while (reader->Read(&update)) {
  }
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
  ExpectHealthy(server);
}

TEST(InteropTest, CancelAfterFirstResponse) {
  TestServer server;
  v1::Operation op = Start(server.stub(), SyntheticBackup(1000, 20));
  StreamResult stream =
      ReadStream(server.stub(), op.id(), 0, [](const v1::StatusUpdate&) { return true; });
  EXPECT_EQ(stream.updates.size(), 1u);
  EXPECT_EQ(stream.status.error_code(), grpc::StatusCode::CANCELLED);
  ExpectHealthy(server);
}

TEST(InteropTest, TimeoutOnSleepingServer) {
  TestServer server;
  // A slow operation: after its first items, the stream has nothing to say for a long time.
  v1::Operation op = Start(server.stub(), SyntheticBackup(2, 30000));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(300));
  v1::StreamStatusRequest request;
  request.set_operation_id(op.id());
  auto reader = server.stub().StreamStatus(&context, request);
  v1::StatusUpdate update;
  int items = 0;
  while (reader->Read(&update)) ++items;
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_GE(items, 1);
  ExpectHealthy(server);
}

}  // namespace
}  // namespace gpop::e2e
