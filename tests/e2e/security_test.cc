// Security from outside: a real server on 127.0.0.1 (and on a Unix socket) with TLS, tokens and
// grants, called through gRPC channels as any remote client would.

#include <unistd.h>

#include <memory>
#include <string>

#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "service/api/auth/auth_files.h"
#include "service/api/auth/configured_authenticator.h"
#include "tests/e2e/test_certs.h"
#include "tests/e2e/test_server.h"

namespace gpop::e2e {
namespace {

constexpr char kAdminToken[] = "admin-secret-0001";
constexpr char kAliceToken[] = "alice-secret-0001";
constexpr char kBobToken[] = "bob-secret-0001";
constexpr char kViewerToken[] = "viewer-secret-0001";
constexpr char kFinanceToken[] = "finance-secret-0001";
constexpr char kShortToken[] = "short-lived-0001";
constexpr char kOperationId[] = "op-aaaaaaaaaaaaaaaaaaaaaaaaaa";  // well-formed, never issued

std::string TokenLine(const std::string& principal, const std::string& token,
                      const std::string& expiry = "never") {
  return principal + " sha256:" + api::HashToken(token) + " " + expiry + "\n";
}

constexpr char kPolicy[] =
    "grant admin admin\n"
    "grant alice operator\n"
    "grant bob operator\n"
    "grant vic viewer\n"
    "grant fin operator kind=backup gpo=\"Finance *\"\n"
    "grant short operator\n";

class Credentialed {
 public:
  explicit Credentialed(const std::string& token) : token_(token) {}
  void Apply(grpc::ClientContext* context) const {
    if (!token_.empty()) context->AddMetadata("authorization", "Bearer " + token_);
  }

 private:
  std::string token_;
};

// A plaintext loopback server with a tokens file and a policy; the authenticator's clock is
// fake, so that expiry is a step of the test, not a wait.
class TokenServerTest : public ::testing::Test {
 protected:
  TokenServerTest() : clock_(engine::Time(std::chrono::hours(24 * 365 * 57))) {
    tokens_ = dir_.File("tokens");
    policy_ = dir_.File("policy");
    WriteText(tokens_, TokenLine("admin", kAdminToken) + TokenLine("alice", kAliceToken) +
                           TokenLine("bob", kBobToken) + TokenLine("vic", kViewerToken) +
                           TokenLine("fin", kFinanceToken) +
                           TokenLine("short", kShortToken, "2027-01-01T00:00:00Z"));
    WriteText(policy_, kPolicy);
    absl::StatusOr<std::unique_ptr<api::ConfiguredAuthenticator>> auth =
        api::ConfiguredAuthenticator::Load(tokens_, policy_, &clock_);
    EXPECT_TRUE(auth.ok()) << auth.status();
    auth_ = *std::move(auth);
    api::ServerOptions options;
    options.authenticator = auth_.get();
    server_ = std::make_unique<TestServer>(options, engine::EngineOptions{});
  }

  grpc::Status StartAs(const std::string& token, const v1::StartOperationRequest& request,
                       v1::Operation* op) {
    grpc::ClientContext context;
    Credentialed(token).Apply(&context);
    return server_->stub().StartOperation(&context, request, op);
  }
  grpc::Status CancelAs(const std::string& token, const std::string& id, v1::Operation* op) {
    grpc::ClientContext context;
    Credentialed(token).Apply(&context);
    v1::CancelRequest request;
    request.set_operation_id(id);
    return server_->stub().Cancel(&context, request, op);
  }
  grpc::Status GetAs(const std::string& token, const std::string& id, v1::Operation* op) {
    grpc::ClientContext context;
    Credentialed(token).Apply(&context);
    v1::GetOperationRequest request;
    request.set_operation_id(id);
    return server_->stub().GetOperation(&context, request, op);
  }
  int CountAs(const std::string& token) {
    grpc::ClientContext context;
    Credentialed(token).Apply(&context);
    v1::ListOperationsRequest request;
    v1::ListOperationsResponse response;
    grpc::Status status = server_->stub().ListOperations(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.operations_size();
  }

  TempDir dir_;
  std::string tokens_, policy_;
  engine::FakeClock clock_;
  std::unique_ptr<api::ConfiguredAuthenticator> auth_;
  std::unique_ptr<TestServer> server_;
};

void ExpectRefused(const grpc::Status& status, grpc::StatusCode code, const char* reason) {
  EXPECT_EQ(status.error_code(), code) << status.error_message();
  EXPECT_EQ(ErrorInfoOf(status).reason(), reason) << status.error_message();
}

TEST_F(TokenServerTest, NoCredentialsIsUnauthenticatedWithoutRevealingOperations) {
  v1::Operation op;
  grpc::Status get = GetAs("", kOperationId, &op);
  ExpectRefused(get, grpc::StatusCode::UNAUTHENTICATED, "UNAUTHENTICATED");
  ASSERT_TRUE(StartAs(kAliceToken, SyntheticBackup(1, 1), &op).ok());
  grpc::Status existing = GetAs("", op.id(), &op);
  // An existing and an unknown operation look the same to a stranger.
  EXPECT_EQ(existing.error_code(), get.error_code());
  EXPECT_EQ(existing.error_message(), get.error_message());
  ExpectRefused(StartAs("", SyntheticBackup(1, 1), &op), grpc::StatusCode::UNAUTHENTICATED,
                "UNAUTHENTICATED");
  // Streams too.
  grpc::ClientContext context;
  v1::WatchOperationsRequest watch;
  auto reader = server_->stub().WatchOperations(&context, watch);
  v1::WatchOperationsResponse item;
  EXPECT_FALSE(reader->Read(&item));
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(CountAs(kAdminToken), 1);  // nothing was started by the refused calls
}

TEST_F(TokenServerTest, WrongExpiredAndRevokedTokensAreUnauthenticated) {
  v1::Operation op;
  ExpectRefused(StartAs("not-a-token", SyntheticBackup(1, 1), &op),
                grpc::StatusCode::UNAUTHENTICATED, "UNAUTHENTICATED");
  ASSERT_TRUE(StartAs(kShortToken, SyntheticBackup(1, 1), &op).ok());
  EXPECT_EQ(op.principal(), "short");
  clock_.Advance(std::chrono::hours(24 * 365 * 2));  // past 2027-01-01
  ExpectRefused(StartAs(kShortToken, SyntheticBackup(1, 1), &op), grpc::StatusCode::UNAUTHENTICATED,
                "UNAUTHENTICATED");
  // Revocation: the line goes, SIGHUP reloads.
  ASSERT_TRUE(GetAs(kBobToken, op.id(), &op).ok());
  WriteText(tokens_, TokenLine("admin", kAdminToken) + TokenLine("alice", kAliceToken));
  ASSERT_TRUE(auth_->Reload().ok());
  ExpectRefused(GetAs(kBobToken, op.id(), &op), grpc::StatusCode::UNAUTHENTICATED,
                "UNAUTHENTICATED");
  EXPECT_TRUE(GetAs(kAliceToken, op.id(), &op).ok());
  // A broken file keeps the previous configuration.
  WriteText(tokens_, "garbage\n");
  EXPECT_FALSE(auth_->Reload().ok());
  EXPECT_TRUE(GetAs(kAliceToken, op.id(), &op).ok());
  EXPECT_EQ(CountAs(kAdminToken), 1);
}

TEST_F(TokenServerTest, ViewerAndOtherOperatorsMayNotCancel) {
  v1::Operation op;
  ASSERT_TRUE(StartAs(kAliceToken, SyntheticBackup(50, 20), &op).ok());
  EXPECT_EQ(op.principal(), "alice");
  v1::Operation seen;
  EXPECT_TRUE(GetAs(kViewerToken, op.id(), &seen).ok());
  ExpectRefused(StartAs(kViewerToken, SyntheticBackup(1, 1), &seen),
                grpc::StatusCode::PERMISSION_DENIED, "PERMISSION_DENIED");
  ExpectRefused(CancelAs(kViewerToken, op.id(), &seen),
                grpc::StatusCode::PERMISSION_DENIED, "PERMISSION_DENIED");
  grpc::Status bob = CancelAs(kBobToken, op.id(), &seen);
  ExpectRefused(bob, grpc::StatusCode::PERMISSION_DENIED, "PERMISSION_DENIED");
  EXPECT_EQ(ErrorInfoOf(bob).metadata().at("required_role"), "admin");
  // The LRO surface applies the same rules.
  {
    grpc::ClientContext context;
    Credentialed(kBobToken).Apply(&context);
    google::longrunning::CancelOperationRequest request;
    request.set_name("operations/" + op.id());
    google::protobuf::Empty empty;
    EXPECT_EQ(server_->lro().CancelOperation(&context, request, &empty).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
  }
  ASSERT_TRUE(GetAs(kAdminToken, op.id(), &seen).ok());
  EXPECT_FALSE(seen.cancel_requested());  // none of the refused cancels reached the engine
  EXPECT_TRUE(CancelAs(kAliceToken, op.id(), &seen).ok());
  v1::Operation other;
  ASSERT_TRUE(StartAs(kBobToken, SyntheticBackup(50, 20), &other).ok());
  EXPECT_TRUE(CancelAs(kAdminToken, other.id(), &seen).ok());
}

TEST_F(TokenServerTest, ScopedOperatorStaysInsideItsGrant) {
  v1::Operation op;
  // "Synthetic GPO" is outside "Finance *".
  grpc::Status outside = StartAs(kFinanceToken, SyntheticBackup(1, 1), &op);
  ExpectRefused(outside, grpc::StatusCode::PERMISSION_DENIED, "PERMISSION_DENIED");
  v1::StartOperationRequest finance = SyntheticBackup(1, 1);
  finance.mutable_spec()->mutable_backup()->mutable_gpo()->set_display_name("Finance Laptops");
  ASSERT_TRUE(StartAs(kFinanceToken, finance, &op).ok()) << "inside the grant";
  v1::Operation alices;
  ASSERT_TRUE(StartAs(kAliceToken, SyntheticBackup(1, 1), &alices).ok());
  // Outside its grant an operation is invisible, and indistinguishable from an unknown one.
  v1::Operation seen;
  grpc::Status hidden = GetAs(kFinanceToken, alices.id(), &seen);
  ExpectRefused(hidden, grpc::StatusCode::PERMISSION_DENIED, "PERMISSION_DENIED");
  grpc::Status unknown = GetAs(kFinanceToken, kOperationId, &seen);
  EXPECT_EQ(unknown.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(CountAs(kFinanceToken), 1);
  EXPECT_EQ(CountAs(kAdminToken), 2);
}

// A TLS server with client certificates from one CA, mapped by the policy file.
class TlsServerTest : public ::testing::Test {
 protected:
  TlsServerTest() {
    const std::string& d = dir_.path();
    EXPECT_TRUE(MakeCa(d, "ca1"));
    EXPECT_TRUE(MakeCa(d, "ca2"));
    EXPECT_TRUE(MakeCert(d, "ca1", "server1", "localhost", "IP:127.0.0.1,DNS:localhost"));
    EXPECT_TRUE(MakeCert(d, "ca2", "server2", "localhost", "IP:127.0.0.1,DNS:localhost"));
    EXPECT_TRUE(MakeCert(d, "ca1", "alice", "alice-client", "DNS:alice.example"));
    EXPECT_TRUE(MakeCert(d, "ca2", "mallory", "alice-client", "DNS:alice.example"));
    cert_ = dir_.File("server.crt");
    key_ = dir_.File("server.key");
    WriteText(cert_, ReadText(dir_.File("server1.crt")));
    WriteText(key_, ReadText(dir_.File("server1.key")));
    WriteText(dir_.File("tokens"), TokenLine("admin", kAdminToken));
    WriteText(dir_.File("policy"),
              "grant admin admin\ngrant alice operator\ncert alice-client alice\n");
    absl::StatusOr<std::unique_ptr<api::ConfiguredAuthenticator>> auth =
        api::ConfiguredAuthenticator::Load(dir_.File("tokens"), dir_.File("policy"), &clock_);
    EXPECT_TRUE(auth.ok()) << auth.status();
    auth_ = *std::move(auth);
    api::ServerOptions options;
    options.authenticator = auth_.get();
    options.tls.cert_file = cert_;
    options.tls.key_file = key_;
    options.tls.client_ca_file = dir_.File("ca1.crt");
    options.tls.staging_dir = dir_.File("staged");
    server_ = std::make_unique<TestServer>(options, engine::EngineOptions{});
  }

  std::unique_ptr<v1::GroupPolicyOperations::Stub> TlsStub(const std::string& ca,
                                                           const std::string& client = "") {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = ReadText(dir_.File(ca + ".crt"));
    if (!client.empty()) {
      ssl.pem_cert_chain = ReadText(dir_.File(client + ".crt"));
      ssl.pem_private_key = ReadText(dir_.File(client + ".key"));
    }
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    return v1::GroupPolicyOperations::NewStub(
        grpc::CreateCustomChannel(server_->target(), grpc::SslCredentials(ssl), args));
  }

  static grpc::Status Start(v1::GroupPolicyOperations::Stub& stub, const std::string& token,
                            const v1::StartOperationRequest& request, v1::Operation* op) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    Credentialed(token).Apply(&context);
    return stub.StartOperation(&context, request, op);
  }

  TempDir dir_;
  std::string cert_, key_;
  engine::RealClock clock_;
  std::unique_ptr<api::ConfiguredAuthenticator> auth_;
  std::unique_ptr<TestServer> server_;
};

TEST_F(TlsServerTest, PlaintextClientIsRefused) {
  v1::Operation op;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  Credentialed(kAdminToken).Apply(&context);
  grpc::Status status = server_->stub().StartOperation(&context, SyntheticBackup(1, 1), &op);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  auto stub = TlsStub("ca1");
  ASSERT_TRUE(Start(*stub, kAdminToken, SyntheticBackup(1, 1), &op).ok());
  EXPECT_EQ(op.principal(), "admin");
}

TEST_F(TlsServerTest, ClientCertificateIsThePrincipal) {
  v1::Operation op;
  auto alice = TlsStub("ca1", "alice");
  grpc::Status status = Start(*alice, "", SyntheticBackup(1, 1), &op);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(op.principal(), "alice");
  // The same names, signed by a CA the server does not trust: the handshake fails.
  auto mallory = TlsStub("ca1", "mallory");
  EXPECT_EQ(Start(*mallory, "", SyntheticBackup(1, 1), &op).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  // No certificate, no token: unauthenticated.
  auto anonymous = TlsStub("ca1");
  EXPECT_EQ(Start(*anonymous, "", SyntheticBackup(1, 1), &op).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(TlsServerTest, CertificatesReloadWhileAStreamIsOpen) {
  auto old_ca = TlsStub("ca1");
  v1::Operation op;
  ASSERT_TRUE(Start(*old_ca, kAdminToken, SyntheticBackup(20, 100), &op).ok());
  grpc::ClientContext stream_context;
  Credentialed(kAdminToken).Apply(&stream_context);
  v1::StreamStatusRequest request;
  request.set_operation_id(op.id());
  auto reader = old_ca->StreamStatus(&stream_context, request);
  v1::StatusUpdate update;
  ASSERT_TRUE(reader->Read(&update));  // the stream is open on the old certificate

  // A broken key is refused and changes nothing.
  WriteText(key_, "not a key\n");
  EXPECT_FALSE(server_->server().ReloadTls().ok());
  // The new certificate (from another CA) is taken.
  WriteText(cert_, ReadText(dir_.File("server2.crt")));
  WriteText(key_, ReadText(dir_.File("server2.key")));
  ASSERT_TRUE(server_->server().ReloadTls().ok());
  // gRPC looks at the staged files once a second: new handshakes switch within a few.
  bool switched = false;
  for (int attempt = 0; attempt < 50 && !switched; ++attempt) {
    auto new_ca = TlsStub("ca2");
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(200));
    context.set_wait_for_ready(attempt > 0);
    Credentialed(kAdminToken).Apply(&context);
    v1::GetOperationRequest get;
    get.set_operation_id(op.id());
    v1::Operation seen;
    switched = new_ca->GetOperation(&context, get, &seen).ok();
  }
  EXPECT_TRUE(switched) << "the reloaded certificate was never served";
  // The stream opened before the reload runs to the end.
  v1::OperationState last = v1::OPERATION_STATE_UNSPECIFIED;
  while (reader->Read(&update)) {
    if (update.has_event()) last = update.event().state();
  }
  EXPECT_TRUE(reader->Finish().ok());
  EXPECT_EQ(last, v1::SUCCEEDED);
}

TEST(ListenerTest, NonLoopbackWithoutTlsIsRefused) {
  api::ServerOptions options;
  options.listen = "0.0.0.0:0";
  engine::RealClock clock;
  store::MemoryStore store;
  synthetic::SyntheticBackend backend({});
  engine::Engine engine({}, &backend, &store, &clock);
  absl::StatusOr<std::unique_ptr<api::Server>> server =
      api::Server::Start(options, &engine, &backend, &clock);
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument);
}

// The Unix socket: peers are who their uid says, through the policy file.
class UnixSocketTest : public ::testing::Test {
 protected:
  void StartWithPolicy(const std::string& policy) {
    WriteText(dir_.File("policy"), policy);
    absl::StatusOr<std::unique_ptr<api::ConfiguredAuthenticator>> auth =
        api::ConfiguredAuthenticator::Load("", dir_.File("policy"), &clock_);
    ASSERT_TRUE(auth.ok()) << auth.status();
    auth_ = *std::move(auth);
    api::ServerOptions options;
    options.listen = "unix:" + dir_.File("gpopd.sock");
    options.authenticator = auth_.get();
    server_ = std::make_unique<TestServer>(options, engine::EngineOptions{});
  }
  TempDir dir_;
  engine::RealClock clock_;
  std::unique_ptr<api::ConfiguredAuthenticator> auth_;
  std::unique_ptr<TestServer> server_;
};

TEST_F(UnixSocketTest, MappedUidIsItsPrincipal) {
  StartWithPolicy("uid " + std::to_string(getuid()) + " ops\ngrant ops operator\n");
  v1::Operation op;
  grpc::ClientContext context;
  grpc::Status status = server_->stub().StartOperation(&context, SyntheticBackup(1, 1), &op);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(op.principal(), "ops");
}

TEST_F(UnixSocketTest, UnmappedUidIsUnauthenticated) {
  StartWithPolicy("uid " + std::to_string(getuid() + 1) + " other\ngrant other admin\n");
  v1::Operation op;
  grpc::ClientContext context;
  grpc::Status status = server_->stub().StartOperation(&context, SyntheticBackup(1, 1), &op);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << status.error_message();
}

}  // namespace
}  // namespace gpop::e2e
