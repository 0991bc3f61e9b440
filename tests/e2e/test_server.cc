// End-to-end test support (see test_server.h).

#include "tests/e2e/test_server.h"

#include <atomic>

#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"

namespace gpop::e2e {

TestServer::TestServer(engine::EngineOptions options, synthetic::Script script)
    : TestServer(api::ServerOptions{}, options, std::move(script)) {}

TestServer::TestServer(api::ServerOptions server_options, engine::EngineOptions options,
                       synthetic::Script script)
    : backend_(script) {
  engine_ = std::make_unique<engine::Engine>(options, &backend_, &store_, &clock_);
  absl::Status recovered = engine_->Recover();
  EXPECT_TRUE(recovered.ok()) << recovered;
  if (server_options.listen.empty() || server_options.listen == api::ServerOptions{}.listen) {
    server_options.listen = "127.0.0.1:0";
  }
  server_options.service.max_timeout = options.max_timeout;
  absl::StatusOr<std::unique_ptr<api::Server>> server =
      api::Server::Start(server_options, engine_.get(), &backend_, &clock_);
  if (!server.ok()) {
    ADD_FAILURE() << server.status();
    std::abort();  // nothing below can work without a server
  }
  server_ = *std::move(server);
  if (server_options.listen.rfind("unix:", 0) != 0) EXPECT_GT(server_->port(), 0);
  channel_ = NewChannel();
  stub_ = v1::GroupPolicyOperations::NewStub(channel_);
  lro_ = google::longrunning::Operations::NewStub(channel_);
}

TestServer::~TestServer() {
  server_->Shutdown(engine::Duration::zero(), engine::Duration::zero());
  // Every reactor is done once the gRPC server has stopped: no stream may be left open.
  EXPECT_EQ(engine_->stats().open_streams, 0);
  server_.reset();
  engine_.reset();
}

std::shared_ptr<grpc::Channel> TestServer::NewChannel() const {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel(target(), grpc::InsecureChannelCredentials(), args);
}

v1::StartOperationRequest SyntheticBackup(int steps, int step_ms,
                                          std::map<std::string, std::string> extra) {
  // Each request gets its own backup location, so that operations do not wait for each other's
  // resource locks unless a test makes them share one.
  static std::atomic<int> next_location{1};
  v1::StartOperationRequest request;
  request.mutable_spec()->mutable_backup()->mutable_gpo()->set_display_name("Synthetic GPO");
  request.mutable_spec()->mutable_backup()->set_location("loc" + std::to_string(next_location++));
  (*request.mutable_labels())["synthetic.steps"] = std::to_string(steps);
  (*request.mutable_labels())["synthetic.step_ms"] = std::to_string(step_ms);
  for (const auto& [key, value] : extra) (*request.mutable_labels())[key] = value;
  return request;
}

v1::Operation Start(v1::GroupPolicyOperations::Stub& stub,
                    const v1::StartOperationRequest& request) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  v1::Operation op;
  grpc::Status status = stub.StartOperation(&context, request, &op);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return op;
}

std::vector<v1::Event> StreamResult::events() const {
  std::vector<v1::Event> out;
  for (const v1::StatusUpdate& u : updates) {
    if (u.has_event()) out.push_back(u.event());
  }
  return out;
}

StreamResult ReadStream(v1::GroupPolicyOperations::Stub& stub, const std::string& id,
                        uint64_t after_sequence, std::function<bool(const v1::StatusUpdate&)> cut) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  v1::StreamStatusRequest request;
  request.set_operation_id(id);
  request.set_after_sequence(after_sequence);
  std::unique_ptr<grpc::ClientReader<v1::StatusUpdate>> reader =
      stub.StreamStatus(&context, request);
  StreamResult result;
  v1::StatusUpdate update;
  bool cancelled = false;
  while (reader->Read(&update)) {
    if (cancelled) continue;  // items already in flight when the call was cut are dropped
    result.updates.push_back(update);
    if (cut && cut(update)) {
      context.TryCancel();
      cancelled = true;
    }
  }
  result.status = reader->Finish();
  return result;
}

bool WaitForState(v1::GroupPolicyOperations::Stub& stub, const std::string& id,
                  v1::OperationState state) {
  bool seen = false;
  ReadStream(stub, id, 0, [&](const v1::StatusUpdate& u) {
    if (u.has_event() && u.event().state() == state) seen = true;
    return seen;
  });
  return seen;
}

google::rpc::ErrorInfo ErrorInfoOf(const google::rpc::Status& status) {
  google::rpc::ErrorInfo info;
  EXPECT_EQ(status.details_size(), 1) << status.DebugString();
  if (status.details_size() >= 1) {
    EXPECT_TRUE(status.details(0).UnpackTo(&info));
  }
  EXPECT_EQ(info.domain(), "gpop.dev");
  return info;
}

google::rpc::ErrorInfo ErrorInfoOf(const grpc::Status& status) {
  google::rpc::Status rpc;
  EXPECT_TRUE(rpc.ParseFromString(status.error_details())) << status.error_message();
  EXPECT_EQ(rpc.code(), static_cast<int>(status.error_code()));
  return ErrorInfoOf(rpc);
}

bool IsTerminal(v1::OperationState state) {
  return state == v1::SUCCEEDED || state == v1::FAILED || state == v1::CANCELLED;
}

void ExpectGapFree(const std::vector<v1::Event>& events, uint64_t first) {
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].sequence(), first + i) << "event " << i;
    if (i + 1 < events.size()) {
      EXPECT_FALSE(IsTerminal(events[i].state())) << "terminal event before the end, at " << i;
    }
  }
}

void Latch::CountDown() {
  core::MutexLock lock(&mu_);
  if (--count_ <= 0) cv_.SignalAll();
}

bool Latch::Wait(std::chrono::seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  core::MutexLock lock(&mu_);
  while (count_ > 0) {
    if (!cv_.WaitUntil(&mu_, deadline) && count_ > 0) return false;
  }
  return true;
}

}  // namespace gpop::e2e
