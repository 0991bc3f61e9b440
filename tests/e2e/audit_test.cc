// The audit log from outside: a real server on 127.0.0.1 with tokens and grants, its operations
// and audit entries in one SQLite file, restarted on that file; entries read back through
// gpop.v1.Audit as any client would.

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gpop/v1/audit.grpc.pb.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "service/api/audit_recorder.h"
#include "service/api/auth/auth_files.h"
#include "service/api/auth/configured_authenticator.h"
#include "service/audit/sqlite_audit_log.h"
#include "service/store/sqlite_store.h"
#include "tests/e2e/test_certs.h"
#include "tests/e2e/test_server.h"

namespace gpop::e2e {
namespace {

constexpr char kAdminToken[] = "admin-secret-0001";
constexpr char kAliceToken[] = "alice-secret-0001";
constexpr char kViewerToken[] = "viewer-secret-0001";
constexpr char kFinanceToken[] = "finance-secret-0001";

std::string TokenLine(const std::string& principal, const std::string& token) {
  return principal + " sha256:" + api::HashToken(token) + " never\n";
}

// One gpopd over <dir>/operations.db, with the audit log and its recorder as gpopd wires them.
class AuditedServer {
 public:
  AuditedServer(const TempDir& dir, engine::EngineOptions engine_options) {
    absl::StatusOr<std::unique_ptr<store::SqliteStore>> store =
        store::SqliteStore::Open(dir.File("operations.db"));
    EXPECT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    engine_ = std::make_unique<engine::Engine>(engine_options, &backend_, store_.get(), &clock_);
    EXPECT_TRUE(engine_->Recover().ok());
    absl::StatusOr<std::unique_ptr<audit::SqliteAuditLog>> log =
        audit::SqliteAuditLog::Open(store_.get());
    EXPECT_TRUE(log.ok()) << log.status();
    log_ = *std::move(log);
    recorder_ = std::make_unique<api::AuditRecorder>(engine_.get(), log_.get());
    absl::StatusOr<std::unique_ptr<api::ConfiguredAuthenticator>> auth =
        api::ConfiguredAuthenticator::Load(dir.File("tokens"), dir.File("policy"), &clock_);
    EXPECT_TRUE(auth.ok()) << auth.status();
    auth_ = *std::move(auth);
    api::ServerOptions options;
    options.listen = "127.0.0.1:0";
    options.authenticator = auth_.get();
    options.service.audit_log = log_.get();
    options.service.page_token_key = std::string(32, 'k');
    absl::StatusOr<std::unique_ptr<api::Server>> server =
        api::Server::Start(options, engine_.get(), &backend_, &clock_);
    EXPECT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    channel_ = grpc::CreateChannel(server_->target(), grpc::InsecureChannelCredentials());
    stub_ = v1::GroupPolicyOperations::NewStub(channel_);
    lro_ = google::longrunning::Operations::NewStub(channel_);
    audit_ = v1::Audit::NewStub(channel_);
  }
  ~AuditedServer() {
    server_->Shutdown(engine::Duration::zero(), engine::Duration::zero());
    server_.reset();
    recorder_.reset();
    engine_.reset();
  }

  grpc::Status Start(const std::string& token, const v1::StartOperationRequest& request,
                     v1::Operation* op) {
    grpc::ClientContext context;
    context.AddMetadata("authorization", std::string("Bearer ") + token);
    return stub_->StartOperation(&context, request, op);
  }
  grpc::Status Cancel(const std::string& token, const std::string& id,
                      v1::Operation* out = nullptr) {
    grpc::ClientContext context;
    context.AddMetadata("authorization", std::string("Bearer ") + token);
    v1::CancelRequest request;
    request.set_operation_id(id);
    v1::Operation op;
    return stub_->Cancel(&context, request, out != nullptr ? out : &op);
  }
  grpc::Status Get(const std::string& token, const std::string& id, v1::Operation* out) {
    grpc::ClientContext context;
    context.AddMetadata("authorization", std::string("Bearer ") + token);
    v1::GetOperationRequest request;
    request.set_operation_id(id);
    return stub_->GetOperation(&context, request, out);
  }
  grpc::Status Delete(const std::string& token, const std::string& id) {
    grpc::ClientContext context;
    context.AddMetadata("authorization", std::string("Bearer ") + token);
    google::longrunning::DeleteOperationRequest request;
    request.set_name("operations/" + id);
    google::protobuf::Empty empty;
    return lro_->DeleteOperation(&context, request, &empty);
  }
  grpc::Status List(const std::string& token, const v1::ListAuditEntriesRequest& request,
                    v1::ListAuditEntriesResponse* response) {
    grpc::ClientContext context;
    if (!token.empty()) context.AddMetadata("authorization", std::string("Bearer ") + token);
    return audit_->ListAuditEntries(&context, request, response);
  }
  std::vector<v1::AuditEntry> Entries(const std::string& operation_id = "") {
    v1::ListAuditEntriesRequest request;
    request.set_operation_id(operation_id);
    v1::ListAuditEntriesResponse response;
    grpc::Status status = List(kAdminToken, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return {response.entries().begin(), response.entries().end()};
  }
  // Waits for `id` to end and for its FINISH entry to be written.
  void WaitFinished(const std::string& id) {
    grpc::ClientContext context;
    context.AddMetadata("authorization", std::string("Bearer ") + kAdminToken);
    v1::StreamStatusRequest request;
    request.set_operation_id(id);
    auto reader = stub_->StreamStatus(&context, request);
    v1::StatusUpdate update;
    uint64_t revision = 0;
    while (reader->Read(&update)) {
      if (update.has_event() && IsTerminal(update.event().state())) {
        revision = update.event().revision();
      }
    }
    EXPECT_TRUE(reader->Finish().ok());
    ASSERT_GT(revision, 0u);
    EXPECT_TRUE(recorder_->WaitForRevision(
        revision, std::chrono::steady_clock::now() + std::chrono::seconds(30)));
  }
  engine::Engine& engine() { return *engine_; }

 private:
  engine::RealClock clock_;
  synthetic::SyntheticBackend backend_;
  std::unique_ptr<store::SqliteStore> store_;
  std::unique_ptr<engine::Engine> engine_;
  std::unique_ptr<audit::SqliteAuditLog> log_;
  std::unique_ptr<api::AuditRecorder> recorder_;
  std::unique_ptr<api::ConfiguredAuthenticator> auth_;
  std::unique_ptr<api::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::GroupPolicyOperations::Stub> stub_;
  std::unique_ptr<google::longrunning::Operations::Stub> lro_;
  std::unique_ptr<v1::Audit::Stub> audit_;
};

class AuditTest : public ::testing::Test {
 protected:
  AuditTest() {
    WriteText(dir_.File("tokens"),
              TokenLine("admin", kAdminToken) + TokenLine("alice", kAliceToken) +
                  TokenLine("vic", kViewerToken) + TokenLine("fin", kFinanceToken));
    WriteText(dir_.File("policy"),
              "grant admin admin\ngrant alice operator\ngrant vic viewer\n"
              "grant fin operator kind=backup gpo=\"Finance *\"\n");
  }
  TempDir dir_;
};

std::vector<v1::AuditAction> Actions(const std::vector<v1::AuditEntry>& entries) {
  std::vector<v1::AuditAction> out;
  for (const v1::AuditEntry& e : entries) out.push_back(e.action());
  return out;
}

TEST_F(AuditTest, RecordsWhoStartedCancelledAndDeletedAndHowItEnded) {
  AuditedServer server(dir_, engine::EngineOptions{});
  v1::Operation done;
  v1::StartOperationRequest request = SyntheticBackup(2, 1);
  request.set_request_id("req-audit-1");
  ASSERT_TRUE(server.Start(kAliceToken, request, &done).ok());
  // A retry of the same request is the same operation, recorded once.
  v1::Operation again;
  ASSERT_TRUE(server.Start(kAliceToken, request, &again).ok());
  EXPECT_EQ(again.id(), done.id());
  server.WaitFinished(done.id());
  v1::Operation cancelled;
  ASSERT_TRUE(server.Start(kAliceToken, SyntheticBackup(500, 20), &cancelled).ok());
  v1::Operation cancel_answer;
  ASSERT_TRUE(server.Cancel(kAdminToken, cancelled.id(), &cancel_answer).ok());
  EXPECT_TRUE(cancel_answer.cancel_requested());
  EXPECT_EQ(cancel_answer.cancelled_by(), "admin");
  server.WaitFinished(cancelled.id());
  v1::Operation got;
  ASSERT_TRUE(server.Get(kAliceToken, cancelled.id(), &got).ok());
  EXPECT_EQ(got.cancelled_by(), "admin");
  ASSERT_TRUE(server.Delete(kAdminToken, done.id()).ok());

  std::vector<v1::AuditEntry> first = server.Entries(done.id());
  ASSERT_EQ(Actions(first), (std::vector<v1::AuditAction>{v1::AUDIT_ACTION_START, v1::AUDIT_ACTION_FINISH, v1::AUDIT_ACTION_DELETE}));
  EXPECT_EQ(first[0].principal(), "alice");
  EXPECT_EQ(first[0].request_id(), "req-audit-1");
  EXPECT_EQ(first[0].request().spec().backup().gpo().display_name(), "Synthetic GPO");
  EXPECT_EQ(first[0].kind(), v1::BACKUP);
  ASSERT_EQ(first[0].gpos_size(), 1);
  EXPECT_EQ(first[0].gpos(0).display_name(), "Synthetic GPO");
  EXPECT_EQ(first[1].principal(), "alice");
  EXPECT_EQ(first[1].state(), v1::SUCCEEDED);
  EXPECT_EQ(first[1].effects(), v1::APPLIED);
  EXPECT_TRUE(first[1].result().has_backup());
  EXPECT_GT(first[1].revision(), 0u);
  EXPECT_EQ(first[2].principal(), "admin");

  std::vector<v1::AuditEntry> second = server.Entries(cancelled.id());
  // CANCEL is written when the Cancel call returns, FINISH when the recorder sees the terminal
  // event: a run that stops at once may end before the Cancel call returns.
  ASSERT_EQ(second.size(), 3u);
  if (second[1].action() == v1::AUDIT_ACTION_FINISH) std::swap(second[1], second[2]);
  ASSERT_EQ(Actions(second), (std::vector<v1::AuditAction>{v1::AUDIT_ACTION_START, v1::AUDIT_ACTION_CANCEL, v1::AUDIT_ACTION_FINISH}));
  EXPECT_EQ(second[1].principal(), "admin");
  EXPECT_EQ(second[1].cancelled_by(), "admin");
  EXPECT_EQ(second[2].principal(), "alice");  // the owner
  EXPECT_EQ(second[2].cancelled_by(), "admin");
  EXPECT_EQ(first[1].cancelled_by(), "");
  EXPECT_EQ(second[2].state(), v1::CANCELLED);
  EXPECT_EQ(second[2].effects(), v1::NONE);
  EXPECT_EQ(second[2].error().code(), static_cast<int>(grpc::StatusCode::CANCELLED));
  // Sequences increase over the whole log.
  std::vector<v1::AuditEntry> all = server.Entries();
  ASSERT_EQ(all.size(), 6u);
  for (size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i].sequence(), i + 1);
}

TEST_F(AuditTest, RefusedCallsLeaveNoEntry) {
  AuditedServer server(dir_, engine::EngineOptions{});
  v1::Operation op;
  ASSERT_TRUE(server.Start(kAliceToken, SyntheticBackup(500, 20), &op).ok());
  v1::Operation refused;
  EXPECT_EQ(server.Start(kViewerToken, SyntheticBackup(1, 1), &refused).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(server.Start("wrong-token", SyntheticBackup(1, 1), &refused).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(server.Cancel(kViewerToken, op.id()).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(server.Start(kFinanceToken, SyntheticBackup(1, 1), &refused).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Actions(server.Entries()), (std::vector<v1::AuditAction>{v1::AUDIT_ACTION_START}));
  ASSERT_TRUE(server.Cancel(kAliceToken, op.id()).ok());
  server.WaitFinished(op.id());
}

TEST_F(AuditTest, OnlyCallersThatSeeEveryOperationMayRead) {
  AuditedServer server(dir_, engine::EngineOptions{});
  v1::ListAuditEntriesRequest request;
  v1::ListAuditEntriesResponse response;
  EXPECT_TRUE(server.List(kViewerToken, request, &response).ok()) << "an unscoped viewer reads";
  grpc::Status scoped = server.List(kFinanceToken, request, &response);
  EXPECT_EQ(scoped.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(ErrorInfoOf(scoped).reason(), "PERMISSION_DENIED");
  grpc::Status stranger = server.List("", request, &response);
  EXPECT_EQ(stranger.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  request.set_operation_id("not-an-id");
  grpc::Status bad = server.List(kAdminToken, request, &response);
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ErrorInfoOf(bad).metadata().at("field"), "operation_id");
}

TEST_F(AuditTest, PagesWithSealedTokensAndFilters) {
  AuditedServer server(dir_, engine::EngineOptions{});
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    v1::Operation op;
    ASSERT_TRUE(
        server.Start(i % 2 == 0 ? kAliceToken : kAdminToken, SyntheticBackup(1, 1), &op).ok());
    ids.push_back(op.id());
  }
  for (const std::string& id : ids) server.WaitFinished(id);
  v1::ListAuditEntriesRequest request;
  request.set_principal("alice");
  request.set_action(v1::AUDIT_ACTION_START);
  request.set_page_size(2);
  std::vector<std::string> seen;
  v1::ListAuditEntriesResponse page;
  int pages = 0;
  do {
    request.set_page_token(page.next_page_token());
    ASSERT_TRUE(server.List(kAdminToken, request, &page).ok());
    for (const v1::AuditEntry& e : page.entries()) {
      EXPECT_EQ(e.principal(), "alice");
      EXPECT_EQ(e.action(), v1::AUDIT_ACTION_START);
      seen.push_back(e.operation_id());
    }
    ++pages;
  } while (!page.next_page_token().empty() && pages < 10);
  EXPECT_EQ(seen, (std::vector<std::string>{ids[0], ids[2], ids[4]}));
  EXPECT_EQ(pages, 2);
  // A token is bound to its filter and its caller.
  request.set_page_token("");
  ASSERT_TRUE(server.List(kAdminToken, request, &page).ok());
  ASSERT_FALSE(page.next_page_token().empty());
  v1::ListAuditEntriesRequest other = request;
  other.set_page_token(page.next_page_token());
  other.set_principal("admin");
  v1::ListAuditEntriesResponse refused;
  EXPECT_EQ(server.List(kAdminToken, other, &refused).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  request.set_page_token(page.next_page_token());
  EXPECT_EQ(server.List(kViewerToken, request, &refused).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  // Time bounds: nothing was written before the epoch, everything before the far future.
  v1::ListAuditEntriesRequest by_time;
  by_time.mutable_end_time()->set_seconds(1);
  ASSERT_TRUE(server.List(kAdminToken, by_time, &page).ok());
  EXPECT_EQ(page.entries_size(), 0);
  by_time.mutable_end_time()->set_seconds(8000000000);
  ASSERT_TRUE(server.List(kAdminToken, by_time, &page).ok());
  EXPECT_EQ(page.entries_size(), 10);
}

TEST_F(AuditTest, SurvivesRestartsAndTheRetentionOfOperations) {
  engine::EngineOptions options;
  options.retained_operations = 1;  // each finished operation pushes the previous one out
  std::string first_id;
  {
    AuditedServer server(dir_, options);
    v1::Operation first;
    ASSERT_TRUE(server.Start(kAliceToken, SyntheticBackup(1, 1), &first).ok());
    server.WaitFinished(first.id());
    v1::Operation second;
    ASSERT_TRUE(server.Start(kAliceToken, SyntheticBackup(1, 1), &second).ok());
    server.WaitFinished(second.id());
    first_id = first.id();
  }
  AuditedServer restarted(dir_, options);
  EXPECT_EQ(restarted.engine().stats().retained_operations, 1);  // `first` is gone
  std::vector<v1::AuditEntry> entries = restarted.Entries(first_id);
  EXPECT_EQ(Actions(entries), (std::vector<v1::AuditAction>{v1::AUDIT_ACTION_START, v1::AUDIT_ACTION_FINISH}));
  EXPECT_EQ(restarted.Entries().size(), 4u);
  // Entries go on numbering after the restart, and the restart wrote no FINISH twice.
  v1::Operation third;
  ASSERT_TRUE(restarted.Start(kAliceToken, SyntheticBackup(1, 1), &third).ok());
  restarted.WaitFinished(third.id());
  std::vector<v1::AuditEntry> all = restarted.Entries();
  ASSERT_EQ(all.size(), 6u);
  EXPECT_EQ(all.back().sequence(), 6u);
  EXPECT_EQ(all.back().operation_id(), third.id());
}

}  // namespace
}  // namespace gpop::e2e
