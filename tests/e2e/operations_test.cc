// End-to-end tests of the operation lifecycle over real gRPC: start, stream, cancel, deadlines,
// idempotency, validation, unknown ids, listing and the google.longrunning view.

#include <set>
#include <string>
#include <thread>
#include <vector>

#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "tests/e2e/test_server.h"

namespace gpop::e2e {
namespace {

using std::chrono::seconds;

grpc::Status Call(std::function<grpc::Status(grpc::ClientContext*)> fn) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + seconds(30));
  return fn(&context);
}

v1::Operation Get(TestServer& server, const std::string& id) {
  v1::GetOperationRequest request;
  request.set_operation_id(id);
  v1::Operation op;
  grpc::Status status =
      Call([&](grpc::ClientContext* c) { return server.stub().GetOperation(c, request, &op); });
  EXPECT_TRUE(status.ok()) << status.error_message();
  return op;
}

v1::Operation Cancel(TestServer& server, const std::string& id) {
  v1::CancelRequest request;
  request.set_operation_id(id);
  v1::Operation op;
  grpc::Status status =
      Call([&](grpc::ClientContext* c) { return server.stub().Cancel(c, request, &op); });
  EXPECT_TRUE(status.ok()) << status.error_message();
  return op;
}

TEST(OperationsTest, StartStreamSucceeded) {
  TestServer server;
  v1::StartOperationRequest request = SyntheticBackup(3, 20, {{"synthetic.messages", "1"}});
  request.mutable_spec()->mutable_backup()->set_comment("nightly");
  v1::Operation op = Start(server.stub(), request);
  ASSERT_FALSE(op.id().empty());
  EXPECT_EQ(op.state(), v1::QUEUED);
  EXPECT_EQ(op.kind(), v1::BACKUP);
  EXPECT_EQ(op.principal(), "local");

  StreamResult stream = ReadStream(server.stub(), op.id());
  EXPECT_TRUE(stream.status.ok()) << stream.status.error_message();
  std::vector<v1::Event> events = stream.events();
  ASSERT_GE(events.size(), 3u);
  ExpectGapFree(events, 1);
  EXPECT_EQ(events.front().state(), v1::QUEUED);
  const v1::Event& last = events.back();
  EXPECT_EQ(last.state(), v1::SUCCEEDED);
  EXPECT_EQ(last.effects(), v1::APPLIED);
  EXPECT_EQ(last.result().backup().comment(), "nightly");
  EXPECT_EQ(last.operation_id(), op.id());
  int messages = 0, progress = 0;
  for (const v1::Event& e : events) messages += e.messages_size();
  for (const v1::StatusUpdate& u : stream.updates) {
    if (u.has_progress()) {
      ++progress;
      EXPECT_EQ(u.progress().denominator(), 3);
    }
  }
  EXPECT_EQ(messages, 3);  // one per step
  EXPECT_GE(progress, 1);
  for (size_t i = 1; i < events.size(); ++i) {
    EXPECT_GT(events[i].revision(), events[i - 1].revision());
  }

  v1::Operation done = Get(server, op.id());
  EXPECT_EQ(done.state(), v1::SUCCEEDED);
  EXPECT_EQ(done.last_sequence(), last.sequence());
  EXPECT_TRUE(done.has_end_time());
}

TEST(OperationsTest, FailureCarriesErrorInfoAndHresult) {
  TestServer server;
  v1::Operation op = Start(server.stub(), SyntheticBackup(5, 5, {{"synthetic.fail_at", "2"}}));
  StreamResult stream = ReadStream(server.stub(), op.id());
  ASSERT_TRUE(stream.status.ok());
  ASSERT_FALSE(stream.events().empty());
  const v1::Event last = stream.events().back();
  EXPECT_EQ(last.state(), v1::FAILED);
  EXPECT_EQ(last.effects(), v1::NONE);
  EXPECT_EQ(last.error().code(), static_cast<int>(grpc::StatusCode::INTERNAL));
  google::rpc::ErrorInfo info = ErrorInfoOf(last.error());
  EXPECT_EQ(info.reason(), "BACKEND_FAILURE");
  EXPECT_EQ(info.metadata().at("hresult"), "0x80004005");
  EXPECT_EQ(Get(server, op.id()).hresult(), 0x80004005u);
}

TEST(OperationsTest, CancelMidRunEveryWatcherSeesCancellingThenCancelled) {
  TestServer server;
  v1::Operation op = Start(server.stub(), SyntheticBackup(1000, 20));
  constexpr int kWatchers = 4;
  Latch running(kWatchers);
  std::vector<StreamResult> results(kWatchers);
  std::vector<std::thread> threads;
  for (int i = 0; i < kWatchers; ++i) {
    threads.emplace_back([&, i] {
      std::shared_ptr<grpc::Channel> channel = server.NewChannel();
      auto stub = v1::GroupPolicyOperations::NewStub(channel);
      bool counted = false;
      results[i] = ReadStream(*stub, op.id(), 0, [&](const v1::StatusUpdate& u) {
        if (!counted && u.has_event() && u.event().state() == v1::RUNNING) {
          counted = true;
          running.CountDown();
        }
        return false;
      });
      if (!counted) running.CountDown();
    });
  }
  ASSERT_TRUE(running.Wait(seconds(30)));
  v1::Operation cancelling = Cancel(server, op.id());
  EXPECT_TRUE(cancelling.cancel_requested());
  EXPECT_TRUE(cancelling.state() == v1::CANCELLING || cancelling.state() == v1::CANCELLED)
      << cancelling.state();
  for (std::thread& t : threads) t.join();
  for (int i = 0; i < kWatchers; ++i) {
    SCOPED_TRACE("watcher " + std::to_string(i));
    EXPECT_TRUE(results[i].status.ok()) << results[i].status.error_message();
    std::vector<v1::Event> events = results[i].events();
    ExpectGapFree(events, 1);
    ASSERT_GE(events.size(), 2u);
    EXPECT_EQ(events[events.size() - 2].state(), v1::CANCELLING);
    const v1::Event& last = events.back();
    EXPECT_EQ(last.state(), v1::CANCELLED);
    EXPECT_EQ(last.effects(), v1::NONE);
    EXPECT_EQ(last.error().code(), static_cast<int>(grpc::StatusCode::CANCELLED));
    EXPECT_EQ(ErrorInfoOf(last.error()).reason(), "CANCELLED");
  }
}

TEST(OperationsTest, CancelWhileQueued) {
  engine::EngineOptions options;
  options.executor_threads = 1;
  TestServer server(options);
  v1::Operation blocker = Start(server.stub(), SyntheticBackup(1000, 20));
  ASSERT_TRUE(WaitForState(server.stub(), blocker.id(), v1::RUNNING));
  v1::StartOperationRequest request = SyntheticBackup(3, 5);
  request.mutable_spec()->mutable_backup()->mutable_gpo()->set_display_name("Other GPO");
  v1::Operation queued = Start(server.stub(), request);
  EXPECT_EQ(queued.state(), v1::QUEUED);
  EXPECT_EQ(server.engine().stats().queued, 1);

  v1::Operation cancelled = Cancel(server, queued.id());
  EXPECT_EQ(cancelled.state(), v1::CANCELLED);
  EXPECT_EQ(cancelled.effects(), v1::NONE);
  EXPECT_FALSE(cancelled.has_start_time());
  StreamResult stream = ReadStream(server.stub(), queued.id());
  EXPECT_TRUE(stream.status.ok());
  std::vector<v1::Event> events = stream.events();
  ExpectGapFree(events, 1);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].state(), v1::QUEUED);
  EXPECT_EQ(events[1].state(), v1::CANCELLED);
  Cancel(server, blocker.id());
}

TEST(OperationsTest, CancelAfterDoneChangesNothing) {
  TestServer server;
  v1::Operation op = Start(server.stub(), SyntheticBackup(2, 5));
  ASSERT_TRUE(ReadStream(server.stub(), op.id()).status.ok());
  v1::Operation before = Get(server, op.id());
  ASSERT_EQ(before.state(), v1::SUCCEEDED);
  v1::Operation after = Cancel(server, op.id());
  EXPECT_EQ(after.state(), v1::SUCCEEDED);
  EXPECT_EQ(after.last_sequence(), before.last_sequence());
  EXPECT_EQ(after.revision(), before.revision());
  EXPECT_FALSE(after.cancel_requested());
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(Get(server, op.id()), before));
}

TEST(OperationsTest, DeadlineExceededWithoutEffects) {
  TestServer server;
  v1::StartOperationRequest request = SyntheticBackup(1000, 20);
  request.mutable_timeout()->set_nanos(200 * 1000 * 1000);
  v1::Operation op = Start(server.stub(), request);
  StreamResult stream = ReadStream(server.stub(), op.id());
  ASSERT_TRUE(stream.status.ok());
  ASSERT_FALSE(stream.events().empty());
  const v1::Event last = stream.events().back();
  EXPECT_EQ(last.state(), v1::FAILED);
  EXPECT_EQ(last.effects(), v1::NONE);
  EXPECT_EQ(last.error().code(), static_cast<int>(grpc::StatusCode::DEADLINE_EXCEEDED));
  EXPECT_EQ(ErrorInfoOf(last.error()).reason(), "DEADLINE_EXCEEDED");
}

TEST(OperationsTest, DeadlineAfterCommitPointStillSucceeds) {
  TestServer server;
  // Commits at step 1 (after ~50 ms), runs on to ~500 ms; the deadline falls in between.
  v1::StartOperationRequest request = SyntheticBackup(10, 50, {{"synthetic.commit_at", "1"}});
  request.mutable_timeout()->set_nanos(200 * 1000 * 1000);
  v1::Operation op = Start(server.stub(), request);
  StreamResult stream = ReadStream(server.stub(), op.id());
  ASSERT_TRUE(stream.status.ok());
  ASSERT_FALSE(stream.events().empty());
  EXPECT_EQ(stream.events().back().state(), v1::SUCCEEDED);
  EXPECT_EQ(stream.events().back().effects(), v1::APPLIED);
}

TEST(OperationsTest, RequestIdRetryAndReuse) {
  TestServer server;
  v1::StartOperationRequest request = SyntheticBackup(2, 5);
  request.set_request_id("retry-me-1");
  v1::Operation first = Start(server.stub(), request);
  v1::Operation again = Start(server.stub(), request);
  EXPECT_EQ(again.id(), first.id());
  EXPECT_EQ(again.request_id(), "retry-me-1");

  v1::StartOperationRequest different = request;
  different.mutable_spec()->mutable_backup()->set_comment("something else");
  v1::Operation op;
  grpc::Status status =
      Call([&](grpc::ClientContext* c) { return server.stub().StartOperation(c, different, &op); });
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(ErrorInfoOf(status).reason(), "REQUEST_ID_REUSED");

  // Another request_id with the same content is a new operation.
  request.set_request_id("retry-me-2");
  EXPECT_NE(Start(server.stub(), request).id(), first.id());
}

TEST(OperationsTest, BadInputNamesTheField) {
  TestServer server;
  v1::StartOperationRequest request = SyntheticBackup(2, 5);
  request.mutable_spec()->mutable_backup()->set_comment(std::string(2048, 'c'));
  v1::Operation op;
  grpc::Status status =
      Call([&](grpc::ClientContext* c) { return server.stub().StartOperation(c, request, &op); });
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  google::rpc::ErrorInfo info = ErrorInfoOf(status);
  EXPECT_EQ(info.reason(), "INVALID_FIELD");
  EXPECT_EQ(info.metadata().at("field"), "spec.backup.comment");
  EXPECT_NE(status.error_message().find("spec.backup.comment"), std::string::npos);

  request = SyntheticBackup(2, 5, {{"Bad Key", "x"}});
  status =
      Call([&](grpc::ClientContext* c) { return server.stub().StartOperation(c, request, &op); });
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ErrorInfoOf(status).metadata().at("field"), "labels");

  v1::ListOperationsRequest list;
  list.set_filter("color=blue");
  v1::ListOperationsResponse page;
  status =
      Call([&](grpc::ClientContext* c) { return server.stub().ListOperations(c, list, &page); });
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ErrorInfoOf(status).metadata().at("field"), "filter");
  list.set_filter("");
  list.set_page_size(-1);
  status =
      Call([&](grpc::ClientContext* c) { return server.stub().ListOperations(c, list, &page); });
  EXPECT_EQ(ErrorInfoOf(status).metadata().at("field"), "page_size");

  StreamResult stream = ReadStream(server.stub(), "not-an-id");
  EXPECT_EQ(stream.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ErrorInfoOf(stream.status).metadata().at("field"), "operation_id");
  EXPECT_TRUE(stream.updates.empty());
}

TEST(OperationsTest, UnknownIdIsNotFound) {
  TestServer server;
  const std::string id = "op-aaaaaaaaaaaaaaaaaaaaaaaaaa";
  v1::GetOperationRequest get;
  get.set_operation_id(id);
  v1::Operation op;
  grpc::Status status =
      Call([&](grpc::ClientContext* c) { return server.stub().GetOperation(c, get, &op); });
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(ErrorInfoOf(status).reason(), "OPERATION_NOT_FOUND");
  v1::CancelRequest cancel;
  cancel.set_operation_id(id);
  status = Call([&](grpc::ClientContext* c) { return server.stub().Cancel(c, cancel, &op); });
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  StreamResult stream = ReadStream(server.stub(), id);
  EXPECT_EQ(stream.status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(ErrorInfoOf(stream.status).reason(), "OPERATION_NOT_FOUND");
  google::longrunning::GetOperationRequest lro_get;
  lro_get.set_name("operations/" + id);
  google::longrunning::Operation lro_op;
  status =
      Call([&](grpc::ClientContext* c) { return server.lro().GetOperation(c, lro_get, &lro_op); });
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST(OperationsTest, StreamBeyondCurrentSequenceIsOutOfRange) {
  TestServer server;
  v1::Operation op = Start(server.stub(), SyntheticBackup(1, 1));
  ASSERT_TRUE(ReadStream(server.stub(), op.id()).status.ok());
  uint64_t last = Get(server, op.id()).last_sequence();
  StreamResult stream = ReadStream(server.stub(), op.id(), last + 5);
  EXPECT_EQ(stream.status.error_code(), grpc::StatusCode::OUT_OF_RANGE);
  EXPECT_EQ(ErrorInfoOf(stream.status).reason(), "SEQUENCE_OUT_OF_RANGE");
  // Exactly at the end: nothing more to send, the stream ends OK.
  stream = ReadStream(server.stub(), op.id(), last);
  EXPECT_TRUE(stream.status.ok());
  EXPECT_TRUE(stream.events().empty());
}

TEST(OperationsTest, ListOperationsPages) {
  TestServer server;
  std::set<std::string> started;
  for (int i = 0; i < 7; ++i) {
    v1::StartOperationRequest request = SyntheticBackup(1, 1, {{"batch", "pages"}});
    request.mutable_spec()->mutable_backup()->mutable_gpo()->set_display_name("GPO " +
                                                                              std::to_string(i));
    started.insert(Start(server.stub(), request).id());
  }
  Start(server.stub(), SyntheticBackup(1, 1, {{"batch", "other"}}));

  v1::ListOperationsRequest request;
  request.set_page_size(3);
  request.set_filter("labels.batch=pages");
  std::vector<std::string> listed;
  std::vector<int> sizes;
  uint64_t revision = 0;
  for (int page_number = 0; page_number < 10; ++page_number) {
    v1::ListOperationsResponse page;
    grpc::Status status = Call(
        [&](grpc::ClientContext* c) { return server.stub().ListOperations(c, request, &page); });
    ASSERT_TRUE(status.ok()) << status.error_message();
    if (page_number == 0) revision = page.revision();
    EXPECT_EQ(page.revision(), revision);
    sizes.push_back(page.operations_size());
    for (const v1::Operation& op : page.operations()) listed.push_back(op.id());
    if (page.next_page_token().empty()) break;
    request.set_page_token(page.next_page_token());
  }
  EXPECT_EQ(sizes, (std::vector<int>{3, 3, 1}));
  EXPECT_EQ(std::set<std::string>(listed.begin(), listed.end()), started);
  EXPECT_EQ(listed.size(), started.size());

  // A token does not carry over to another filter.
  request.set_filter("labels.batch=other");
  v1::ListOperationsResponse page;
  grpc::Status status =
      Call([&](grpc::ClientContext* c) { return server.stub().ListOperations(c, request, &page); });
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ErrorInfoOf(status).metadata().at("field"), "page_token");
}

TEST(OperationsTest, LongRunningView) {
  TestServer server;
  v1::Operation quick = Start(server.stub(), SyntheticBackup(2, 5));
  v1::Operation slow = Start(server.stub(), SyntheticBackup(1000, 20));

  // Wait with a short timeout on a slow operation: returns it, not done.
  google::longrunning::WaitOperationRequest wait;
  wait.set_name("operations/" + slow.id());
  wait.mutable_timeout()->set_nanos(100 * 1000 * 1000);
  google::longrunning::Operation lro_op;
  grpc::Status status =
      Call([&](grpc::ClientContext* c) { return server.lro().WaitOperation(c, wait, &lro_op); });
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_FALSE(lro_op.done());
  EXPECT_EQ(lro_op.name(), "operations/" + slow.id());

  // Wait without a timeout on a quick one: returns it done, with its result.
  wait.set_name("operations/" + quick.id());
  wait.clear_timeout();
  status =
      Call([&](grpc::ClientContext* c) { return server.lro().WaitOperation(c, wait, &lro_op); });
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(lro_op.done());
  v1::OperationResult result;
  ASSERT_TRUE(lro_op.response().UnpackTo(&result));
  EXPECT_TRUE(result.has_backup());
  v1::Operation metadata;
  ASSERT_TRUE(lro_op.metadata().UnpackTo(&metadata));
  EXPECT_EQ(metadata.id(), quick.id());

  // Delete: unfinished -> FAILED_PRECONDITION; finished -> gone.
  google::longrunning::DeleteOperationRequest del;
  del.set_name("operations/" + slow.id());
  google::protobuf::Empty empty;
  status =
      Call([&](grpc::ClientContext* c) { return server.lro().DeleteOperation(c, del, &empty); });
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  del.set_name("operations/" + quick.id());
  status =
      Call([&](grpc::ClientContext* c) { return server.lro().DeleteOperation(c, del, &empty); });
  EXPECT_TRUE(status.ok()) << status.error_message();
  google::longrunning::GetOperationRequest get;
  get.set_name("operations/" + quick.id());
  status = Call([&](grpc::ClientContext* c) { return server.lro().GetOperation(c, get, &lro_op); });
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);

  // Cancel through LRO, then Wait until done: CANCELLED, with the error set.
  google::longrunning::CancelOperationRequest cancel;
  cancel.set_name("operations/" + slow.id());
  status =
      Call([&](grpc::ClientContext* c) { return server.lro().CancelOperation(c, cancel, &empty); });
  EXPECT_TRUE(status.ok()) << status.error_message();
  wait.set_name("operations/" + slow.id());
  status =
      Call([&](grpc::ClientContext* c) { return server.lro().WaitOperation(c, wait, &lro_op); });
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(lro_op.done());
  EXPECT_EQ(lro_op.error().code(), static_cast<int>(grpc::StatusCode::CANCELLED));

  google::longrunning::ListOperationsRequest list;
  list.set_name("operations");
  google::longrunning::ListOperationsResponse listed;
  status =
      Call([&](grpc::ClientContext* c) { return server.lro().ListOperations(c, list, &listed); });
  ASSERT_TRUE(status.ok());
  ASSERT_EQ(listed.operations_size(), 1);
  EXPECT_EQ(listed.operations(0).name(), "operations/" + slow.id());

  get.set_name("bad");
  status = Call([&](grpc::ClientContext* c) { return server.lro().GetOperation(c, get, &lro_op); });
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ErrorInfoOf(status).metadata().at("field"), "name");
}

TEST(OperationsTest, ListGposFromTheBackend) {
  TestServer server;
  v1::ListGposRequest request;
  v1::ListGposResponse response;
  grpc::Status status =
      Call([&](grpc::ClientContext* c) { return server.stub().ListGpos(c, request, &response); });
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_GT(response.gpos_size(), 0);
  v1::ListBackupsRequest backups;
  backups.set_location("../etc");
  v1::ListBackupsResponse backups_response;
  status = Call([&](grpc::ClientContext* c) {
    return server.stub().ListBackups(c, backups, &backups_response);
  });
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ErrorInfoOf(status).metadata().at("field"), "location");
}

}  // namespace
}  // namespace gpop::e2e
