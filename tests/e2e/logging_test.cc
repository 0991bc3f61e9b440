// End-to-end test of gpopd's logs: a real server on 127.0.0.1:0, called with a bearer token in
// the authorization metadata and in request fields; every line it logs is captured. The lines
// carry the operation id, request id and principal, parse as JSON with --log_format=json, and
// never contain the token.

#include <memory>
#include <string>
#include <vector>

#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "service/api/auth/auth_files.h"
#include "service/api/auth/configured_authenticator.h"
#include "service/api/log.h"
#include "service/api/operation_log.h"
#include "service/core/mutex.h"
#include "tests/e2e/test_certs.h"
#include "tests/e2e/test_server.h"

namespace gpop::e2e {
namespace {

constexpr char kToken[] = "gpop-s3cr3t-7Hq2xZ";

class LoggingTest : public ::testing::TestWithParam<api::LogFormat> {
 protected:
  LoggingTest() { api::SetLogFormat(GetParam()); }
  ~LoggingTest() override { api::SetLogFormat(api::LogFormat::kText); }

  std::vector<std::string> lines() {
    core::MutexLock lock(&mu_);
    return lines_;
  }

  // Waits (bounded) until a line containing `text` was logged.
  bool WaitForLine(const std::string& text) {
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    core::MutexLock lock(&mu_);
    for (;;) {
      for (const std::string& line : lines_) {
        if (line.find(text) != std::string::npos) return true;
      }
      if (!logged_.WaitUntil(&mu_, give_up)) return false;
    }
  }

  // A call context carrying the token, as gpopctl --token sends it.
  static void Authorize(grpc::ClientContext* context) {
    context->AddMetadata("authorization", std::string("Bearer ") + kToken);
  }

  core::Mutex mu_;
  core::CondVar logged_;
  std::vector<std::string> lines_ GPOP_GUARDED_BY(mu_);
  api::LogCapture capture_{[this](std::string_view line) {
    core::MutexLock lock(&mu_);
    lines_.emplace_back(line);
    logged_.SignalAll();
  }};
};

TEST_P(LoggingTest, EventsAreTaggedAndTokensNeverLogged) {
  std::string id;
  {
    TestServer server;
    api::OperationLog operation_log(&server.engine());
    // A start, with the token in the metadata; long enough (50 x 20 ms) for the cancel to land.
    v1::StartOperationRequest request = SyntheticBackup(50, 20);
    request.set_request_id("req-log-1");
    grpc::ClientContext start_context;
    Authorize(&start_context);
    v1::Operation operation;
    ASSERT_TRUE(server.stub().StartOperation(&start_context, request, &operation).ok());
    id = operation.id();

    // A refused start, whose error message quotes what the client sent (the token included).
    v1::StartOperationRequest bad = SyntheticBackup(1, 1);
    bad.set_request_id(std::string("Bearer ") + kToken);
    bad.mutable_spec()->mutable_backup()->set_comment(std::string(3000, 'x'));
    grpc::ClientContext bad_context;
    Authorize(&bad_context);
    v1::Operation refused;
    EXPECT_FALSE(server.stub().StartOperation(&bad_context, bad, &refused).ok());

    // A cancel, once it runs (a cancel while still QUEUED would never log RUNNING).
    ASSERT_TRUE(WaitForLine("backup RUNNING")) << "no RUNNING line";
    grpc::ClientContext cancel_context;
    Authorize(&cancel_context);
    v1::CancelRequest cancel;
    cancel.set_operation_id(id);
    v1::Operation cancelled;
    // Logged before the reply; the operation's own lines follow from the engine's events.
    EXPECT_TRUE(server.stub().Cancel(&cancel_context, cancel, &cancelled).ok());
    // The operation's terminal line (not the Cancel call's own "cancel requested: ..." line).
    EXPECT_TRUE(WaitForLine("backup CANCELLED")) << "no terminal line";
  }  // the server shuts down (and logs it)

  std::vector<std::string> all = lines();
  ASSERT_GE(all.size(), 4u);  // listening, start, refused, cancel, shutting down, stopped
  int tagged = 0;
  bool running = false, terminal = false;
  for (const std::string& line : all) {
    EXPECT_EQ(line.find(kToken), std::string::npos) << "token logged: " << line;
    if (GetParam() == api::LogFormat::kJson) {
      google::protobuf::Struct record;
      ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(line, &record).ok()) << line;
      const auto& f = record.fields();
      if (f.count("operation_id") && f.at("operation_id").string_value() == id &&
          f.count("request_id") && f.at("request_id").string_value() == "req-log-1" &&
          f.count("principal") && f.at("principal").string_value() == "local") {
        ++tagged;
        const std::string& message = f.at("message").string_value();
        running = running || message == "backup RUNNING";
        terminal = terminal || message.rfind("backup CANCELLED: CANCELLED", 0) == 0;
      }
    } else if (line.find("op=" + id + " req=req-log-1 principal=local ") != std::string::npos) {
      ++tagged;
      running = running || line.find("principal=local backup RUNNING") != std::string::npos;
      terminal =
          terminal || line.find("principal=local backup CANCELLED: CANCELLED") != std::string::npos;
    }
  }
  std::string logged;
  for (const std::string& line : all) logged += line + "\n";
  EXPECT_GE(tagged, 4) << "the start, RUNNING, the cancel, CANCELLED:\n" << logged;
  EXPECT_TRUE(running) << logged;
  EXPECT_TRUE(terminal) << "the terminal line names the state and the error:\n" << logged;
}

// With a tokens file: the lines carry the principal the token names, and neither a valid
// token, nor a refused one, nor the hash the tokens file keeps, is ever logged.
TEST_P(LoggingTest, ConfiguredTokensTagThePrincipalAndAreNeverLogged) {
  constexpr char kAliceToken[] = "alice-0pQ9-s3cr3t";
  constexpr char kWrongToken[] = "wrong-Zk4u-s3cr3t";
  const std::string alice_hash = api::HashToken(kAliceToken);
  const std::string wrong_hash = api::HashToken(kWrongToken);
  TempDir dir;
  WriteText(dir.File("tokens"), "alice sha256:" + alice_hash + " never\n");
  WriteText(dir.File("policy"), "grant alice operator\n");
  engine::FakeClock auth_clock;
  absl::StatusOr<std::unique_ptr<api::ConfiguredAuthenticator>> auth =
      api::ConfiguredAuthenticator::Load(dir.File("tokens"), dir.File("policy"), &auth_clock);
  ASSERT_TRUE(auth.ok()) << auth.status();
  std::string id;
  {
    api::ServerOptions options;
    options.authenticator = auth->get();
    TestServer server(options, engine::EngineOptions{});
    api::OperationLog operation_log(&server.engine());
    v1::StartOperationRequest request = SyntheticBackup(1, 1);
    request.set_request_id("req-log-alice");
    grpc::ClientContext start_context;
    start_context.AddMetadata("authorization", std::string("Bearer ") + kAliceToken);
    v1::Operation operation;
    ASSERT_TRUE(server.stub().StartOperation(&start_context, request, &operation).ok());
    id = operation.id();
    EXPECT_TRUE(WaitForLine("SUCCEEDED")) << "no terminal line";

    // Refused: a token the file does not hold, in the header and quoted in a field.
    v1::StartOperationRequest refused = SyntheticBackup(1, 1);
    refused.set_request_id(std::string("Bearer ") + kWrongToken);
    grpc::ClientContext wrong_context;
    wrong_context.AddMetadata("authorization", std::string("Bearer ") + kWrongToken);
    v1::Operation none;
    grpc::Status status = server.stub().StartOperation(&wrong_context, refused, &none);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  }

  std::vector<std::string> all = lines();
  ASSERT_GE(all.size(), 3u);
  int alice_lines = 0;
  for (const std::string& line : all) {
    for (const std::string& secret :
         {std::string(kAliceToken), std::string(kWrongToken), alice_hash, wrong_hash}) {
      EXPECT_EQ(line.find(secret), std::string::npos) << "secret logged: " << line;
    }
    const bool tagged =
        GetParam() == api::LogFormat::kJson
            ? line.find("\"operation_id\":\"" + id + "\"") != std::string::npos &&
                  line.find("\"principal\":\"alice\"") != std::string::npos
            : line.find("op=" + id + " req=req-log-alice principal=alice ") != std::string::npos;
    if (tagged) ++alice_lines;
  }
  EXPECT_GE(alice_lines, 2) << "the start and its terminal line, tagged with alice";
}

INSTANTIATE_TEST_SUITE_P(Formats, LoggingTest,
                         ::testing::Values(api::LogFormat::kText, api::LogFormat::kJson));

}  // namespace
}  // namespace gpop::e2e
