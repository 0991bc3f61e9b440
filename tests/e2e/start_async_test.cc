// StartOperation over gRPC through the asynchronous path (OperationsApi::StartOperationAsync ->
// Engine::StartAsync): the reactor is finished from the group commit's completion, led by the
// engine's flusher thread when the store's commits block. The store here holds its commits on a
// gate and says they block, as the SQLite store does, so that a call can be seen pending while
// its commit is under way; no test waits on time (latches; the generous latch timeouts only
// turn a hang into a failure).

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gpop/v1/operations.grpc.pb.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "service/api/auth/authenticator.h"
#include "service/api/server.h"
#include "service/api/status_mapping.h"
#include "service/audit/memory_audit_log.h"
#include "service/backends/synthetic/synthetic_backend.h"
#include "service/core/error.h"
#include "service/core/mutex.h"
#include "service/engine/clock.h"
#include "service/engine/engine.h"
#include "service/store/forwarding_store.h"
#include "service/store/memory_store.h"
#include "tests/e2e/test_server.h"

namespace gpop::e2e {
namespace {

constexpr auto kHang = std::chrono::seconds(60);  // a latch not counted down by then: a hang

// A memory store whose commits block like a durable store's (CommitBlocks), held on a gate
// while `Hold(true)`, failing while `Fail(true)`.
class GateStore final : public store::ForwardingStore {
 public:
  GateStore() : ForwardingStore(&inner_) {}
  bool CommitBlocks() const override { return true; }
  absl::Status Commit(const std::vector<Change>& batch) override {
    {
      core::MutexLock lock(&mu_);
      ++waiting_;
      cv_.SignalAll();
      while (hold_) cv_.Wait(&mu_);
      --waiting_;
      if (fail_) return absl::UnavailableError("disk gone (test)");
    }
    return ForwardingStore::Commit(batch);
  }
  void Hold(bool hold) {
    core::MutexLock lock(&mu_);
    hold_ = hold;
    cv_.SignalAll();
  }
  void Fail(bool fail) {
    core::MutexLock lock(&mu_);
    fail_ = fail;
  }
  // Blocks until a commit waits at the gate.
  void AwaitHeldCommit() {
    core::MutexLock lock(&mu_);
    while (waiting_ == 0) cv_.Wait(&mu_);
  }

 private:
  store::MemoryStore inner_;
  core::Mutex mu_;
  core::CondVar cv_;
  bool hold_ GPOP_GUARDED_BY(mu_) = false;
  bool fail_ GPOP_GUARDED_BY(mu_) = false;
  int waiting_ GPOP_GUARDED_BY(mu_) = 0;
};

// Bearer "viewer": a viewer; "slow": an operator allowed one start (burst 1, one a minute, on
// a clock that does not move); anything else, or none: an admin of that name.
class TestAuthenticator final : public api::Authenticator {
 public:
  absl::StatusOr<api::Principal> Authenticate(const api::Credentials& c) const override {
    api::Principal p;
    p.name = c.bearer_token.value_or("admin");
    api::Grant grant;
    grant.role = api::Role::kAdmin;
    if (p.name == "viewer") grant.role = api::Role::kViewer;
    if (p.name == "slow") {
      grant.role = api::Role::kOperator;
      p.starts_per_minute = 1;
    }
    p.grants = {grant};
    return p;
  }
};

// The reason of the gpop ErrorInfo among `status`'s details (RESOURCE_EXHAUSTED also carries a
// RetryInfo); empty when there is none.
std::string ReasonOf(const grpc::Status& status) {
  google::rpc::Status rpc;
  if (!rpc.ParseFromString(status.error_details())) return "";
  for (const google::protobuf::Any& detail : rpc.details()) {
    google::rpc::ErrorInfo info;
    if (detail.UnpackTo(&info) && info.domain() == "gpop.dev") return info.reason();
  }
  return "";
}

// One StartOperation call made with the callback API, answered later.
struct PendingStart {
  grpc::ClientContext context;
  v1::StartOperationRequest request;
  v1::Operation response;
  grpc::Status status;
  Latch done{1};
};

class StartAsyncServerTest : public ::testing::Test {
 protected:
  void StartServer(engine::EngineOptions options = {}) {
    engine_ = std::make_unique<engine::Engine>(options, &backend_, &store_, &clock_);
    ASSERT_TRUE(engine_->Recover().ok());
    api::ServerOptions server_options;
    server_options.listen = "127.0.0.1:0";
    server_options.authenticator = &auth_;
    server_options.service.clock = &service_clock_;
    server_options.service.start_burst = 1;
    server_options.service.audit_log = &audit_;
    absl::StatusOr<std::unique_ptr<api::Server>> server =
        api::Server::Start(server_options, engine_.get(), &backend_, &clock_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    stub_ = v1::GroupPolicyOperations::NewStub(
        grpc::CreateChannel(server_->target(), grpc::InsecureChannelCredentials()));
  }
  void TearDown() override {
    store_.Hold(false);
    if (server_ != nullptr) server_->Shutdown(engine::Duration::zero(), engine::Duration::zero());
    server_.reset();
    engine_.reset();
  }

  // Starts `call` (as `token`, if any) without waiting for its answer.
  void Begin(PendingStart* call, const std::string& token = "") {
    if (!token.empty()) call->context.AddMetadata("authorization", "Bearer " + token);
    call->context.set_deadline(std::chrono::system_clock::now() + kHang);
    stub_->async()->StartOperation(&call->context, &call->request, &call->response,
                                   [call](grpc::Status s) {
                                     call->status = std::move(s);
                                     call->done.CountDown();
                                   });
  }
  grpc::Status StartNow(const v1::StartOperationRequest& request, v1::Operation* op,
                        const std::string& token = "") {
    PendingStart call;
    call.request = request;
    Begin(&call, token);
    EXPECT_TRUE(call.done.Wait(kHang));
    *op = call.response;
    return call.status;
  }
  std::vector<v1::AuditEntry> StartEntries(const std::string& operation_id) {
    audit::AuditQuery query;
    query.operation_id = operation_id;
    query.action = v1::AUDIT_ACTION_START;
    absl::StatusOr<std::vector<v1::AuditEntry>> entries = audit_.List(query);
    EXPECT_TRUE(entries.ok());
    return entries.ok() ? *entries : std::vector<v1::AuditEntry>{};
  }

  engine::RealClock clock_;
  engine::FakeClock service_clock_{engine::Time(std::chrono::hours(24 * 365 * 57))};
  GateStore store_;
  synthetic::SyntheticBackend backend_{synthetic::Script{}};
  audit::MemoryAuditLog audit_;
  TestAuthenticator auth_;
  std::unique_ptr<engine::Engine> engine_;
  std::unique_ptr<api::Server> server_;
  std::unique_ptr<v1::GroupPolicyOperations::Stub> stub_;
};

TEST_F(StartAsyncServerTest, AStartIsAnsweredOnceItsCommitAndAuditEntryAreDone) {
  StartServer();
  store_.Hold(true);
  PendingStart call;
  call.request = SyntheticBackup(1, 0);
  Begin(&call);
  store_.AwaitHeldCommit();
  // Its commit is held: it cannot have been answered, and other calls are still served.
  v1::ListOperationsRequest list;
  v1::ListOperationsResponse listed;
  grpc::ClientContext list_context;
  ASSERT_TRUE(stub_->ListOperations(&list_context, list, &listed).ok());
  EXPECT_EQ(listed.operations_size(), 0);  // not visible before it is durable
  store_.Hold(false);
  ASSERT_TRUE(call.done.Wait(kHang));
  ASSERT_TRUE(call.status.ok()) << call.status.error_message();
  EXPECT_EQ(call.response.state(), v1::QUEUED);
  EXPECT_EQ(StartEntries(call.response.id()).size(), 1u);  // audited before acknowledged
  EXPECT_TRUE(WaitForState(*stub_, call.response.id(), v1::SUCCEEDED));
}

TEST_F(StartAsyncServerTest, ACommitFailureIsAnsweredWithGpopsErrorInfo) {
  StartServer();
  store_.Fail(true);
  v1::Operation op;
  grpc::Status status = StartNow(SyntheticBackup(1, 0), &op);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  EXPECT_EQ(ReasonOf(status), core::reason::kInternal);
  audit::AuditQuery any;
  EXPECT_TRUE(audit_.List(any)->empty());  // nothing audited for a start that did not happen
  // The store failed: later starts are refused at once, not left waiting.
  status = StartNow(SyntheticBackup(1, 0), &op);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(ReasonOf(status), core::reason::kInternal);
}

TEST_F(StartAsyncServerTest, RefusalsAreAnsweredWhileACommitIsHeld) {
  engine::EngineOptions options;
  options.max_queued = 1;
  options.executor_threads = 1;
  StartServer(options);
  store_.Hold(true);
  PendingStart first;
  first.request = SyntheticBackup(1, 0);
  Begin(&first);
  store_.AwaitHeldCommit();
  // The first took the one slot as it was created (its RUNNING rides in the held commit); the
  // second waits in the queue for its commit too.
  PendingStart second;
  second.request = SyntheticBackup(1, 0);
  Begin(&second);
  while (engine_->stats().queued < 1) std::this_thread::yield();  // the second was created
  v1::Operation op;
  // The queue holds the second (created, its commit held): the next is refused at once.
  grpc::Status full = StartNow(SyntheticBackup(1, 0), &op);
  EXPECT_EQ(full.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << full.error_message();
  EXPECT_EQ(ReasonOf(full), core::reason::kQueueFull);
  v1::StartOperationRequest bad;  // no spec
  grpc::Status invalid = StartNow(bad, &op);
  EXPECT_EQ(invalid.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_FALSE(ReasonOf(invalid).empty());
  grpc::Status denied = StartNow(SyntheticBackup(1, 0), &op, "viewer");
  EXPECT_EQ(denied.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(ReasonOf(denied), api::reason::kPermissionDenied);
  store_.Hold(false);
  for (PendingStart* p : {&first, &second}) {
    ASSERT_TRUE(p->done.Wait(kHang));
    ASSERT_TRUE(p->status.ok()) << p->status.error_message();
    ASSERT_TRUE(WaitForState(*stub_, p->response.id(), v1::SUCCEEDED));
  }
  // One start a minute for "slow", on a clock that does not move: the second is refused.
  ASSERT_TRUE(StartNow(SyntheticBackup(1, 0), &op, "slow").ok());
  ASSERT_TRUE(WaitForState(*stub_, op.id(), v1::SUCCEEDED));
  grpc::Status limited = StartNow(SyntheticBackup(1, 0), &op, "slow");
  EXPECT_EQ(limited.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(ReasonOf(limited), api::kStartRateLimited);
}

TEST_F(StartAsyncServerTest, ARetriedRequestIdIsAnsweredWithTheSameOperationAuditedOnce) {
  StartServer();
  v1::StartOperationRequest request = SyntheticBackup(1, 0);
  request.set_request_id("retry-1");
  store_.Hold(true);
  PendingStart first, concurrent;
  first.request = request;
  concurrent.request = request;
  Begin(&first);
  store_.AwaitHeldCommit();
  // Made while the first's commit is held: it waits for that commit, or, when it reaches the
  // server after the release, finds the operation durable; the same operation either way.
  Begin(&concurrent);
  store_.Hold(false);
  ASSERT_TRUE(first.done.Wait(kHang));
  ASSERT_TRUE(concurrent.done.Wait(kHang));
  ASSERT_TRUE(first.status.ok()) << first.status.error_message();
  ASSERT_TRUE(concurrent.status.ok()) << concurrent.status.error_message();
  EXPECT_EQ(concurrent.response.id(), first.response.id());
  ASSERT_TRUE(WaitForState(*stub_, first.response.id(), v1::SUCCEEDED));
  v1::Operation later;  // after it finished: from the table, answered on the gRPC thread
  ASSERT_TRUE(StartNow(request, &later).ok());
  EXPECT_EQ(later.id(), first.response.id());
  EXPECT_EQ(StartEntries(first.response.id()).size(), 1u);
}

TEST_F(StartAsyncServerTest, ShutdownAnswersEveryPendingStart) {
  StartServer();
  store_.Hold(true);
  std::vector<std::unique_ptr<PendingStart>> calls;
  for (int i = 0; i < 3; ++i) {
    calls.push_back(std::make_unique<PendingStart>());
    calls.back()->request = SyntheticBackup(1, 0);
    Begin(calls.back().get());
    if (i == 0) store_.AwaitHeldCommit();
  }
  // The engine stops at once; gRPC's shutdown then waits (up to kHang) for the answers to be
  // sent, instead of cancelling them on the wire as a zero deadline would.
  std::thread shutdown([this] { server_->Shutdown(engine::Duration::zero(), kHang); });
  store_.Hold(false);
  for (const std::unique_ptr<PendingStart>& call : calls) {
    ASSERT_TRUE(call->done.Wait(kHang));
    // Durable before the engine stopped, refused by the engine as it shuts down, or (a call
    // that reached the server only as gRPC stopped) cancelled by gRPC: answered, never left
    // waiting.
    if (!call->status.ok()) {
      EXPECT_TRUE(call->status.error_code() == grpc::StatusCode::UNAVAILABLE ||
                  call->status.error_code() == grpc::StatusCode::CANCELLED)
          << call->status.error_code() << " " << call->status.error_message();
    }
  }
  EXPECT_TRUE(calls[0]->status.ok()) << calls[0]->status.error_message();
  shutdown.join();
}

}  // namespace
}  // namespace gpop::e2e
