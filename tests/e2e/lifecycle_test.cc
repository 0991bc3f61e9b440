// End-to-end tests of gpopd's server lifecycle: health (liveness and readiness) and the planned
// shutdown, which drains streams and lets running operations finish within the grace period;
// the health-only listener (--health_listen) for probes.

#include <memory>
#include <thread>
#include <vector>

#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "health_v1.grpc.pb.h"
#include "tests/e2e/test_server.h"

namespace gpop::e2e {
namespace {

using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

HealthCheckResponse::ServingStatus Check(grpc::health::v1::Health::Stub& health,
                                         const std::string& service) {
  grpc::ClientContext context;
  HealthCheckRequest request;
  request.set_service(service);
  HealthCheckResponse response;
  grpc::Status status = health.Check(&context, request, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return response.status();
}

// ReadinessWatch
//
// A health Watch of the readiness service. Next() is the next status sent (UNKNOWN when the
// stream ended). A watch stays open until the server's shutdown deadline cancels it, so Close()
// leaves it from the client side. Not thread-safe.
class ReadinessWatch {
 public:
  explicit ReadinessWatch(grpc::health::v1::Health::Stub& health) {
    HealthCheckRequest request;
    request.set_service("gpop.v1.GroupPolicyOperations");
    reader_ = health.Watch(&context_, request);
  }
  ~ReadinessWatch() { Close(); }

  HealthCheckResponse::ServingStatus Next() {
    HealthCheckResponse response;
    return reader_->Read(&response) ? response.status() : HealthCheckResponse::UNKNOWN;
  }

  void Close() {
    if (reader_ == nullptr) return;
    context_.TryCancel();
    HealthCheckResponse response;
    while (reader_->Read(&response)) {
    }
    reader_->Finish();
    reader_.reset();
  }

 private:
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReader<HealthCheckResponse>> reader_;
};

v1::StartOperationRequest Named(const std::string& gpo, int steps, int step_ms) {
  v1::StartOperationRequest request = SyntheticBackup(steps, step_ms);
  request.mutable_spec()->mutable_backup()->mutable_gpo()->set_display_name(gpo);
  request.mutable_spec()->mutable_backup()->set_location(gpo);  // no shared resource
  return request;
}

TEST(LifecycleTest, LivenessAndReadiness) {
  TestServer server;
  auto health = grpc::health::v1::Health::NewStub(server.NewChannel());
  EXPECT_EQ(Check(*health, ""), HealthCheckResponse::SERVING);
  EXPECT_EQ(Check(*health, "gpop.v1.GroupPolicyOperations"), HealthCheckResponse::SERVING);
}

TEST(LifecycleTest, HealthListenerServesOnlyHealthAndFollowsTheDrain) {
  api::ServerOptions options;
  options.health_listen = "127.0.0.1:0";
  TestServer server(options, engine::EngineOptions{});
  const int health_port = server.server().health_port();
  ASSERT_GT(health_port, 0);
  EXPECT_NE(health_port, server.server().port());
  std::shared_ptr<grpc::Channel> channel = grpc::CreateChannel(
      "127.0.0.1:" + std::to_string(health_port), grpc::InsecureChannelCredentials());

  auto health = grpc::health::v1::Health::NewStub(channel);
  EXPECT_EQ(Check(*health, ""), HealthCheckResponse::SERVING);
  EXPECT_EQ(Check(*health, "gpop.v1.GroupPolicyOperations"), HealthCheckResponse::SERVING);

  // No data on the health port: gpop.v1 and google.longrunning are not served there.
  auto stub = v1::GroupPolicyOperations::NewStub(channel);
  grpc::ClientContext get_context;
  v1::GetOperationRequest get;
  get.set_operation_id("any");
  v1::Operation op;
  EXPECT_EQ(stub->GetOperation(&get_context, get, &op).error_code(),
            grpc::StatusCode::UNIMPLEMENTED);
  auto lro = google::longrunning::Operations::NewStub(channel);
  grpc::ClientContext list_context;
  google::longrunning::ListOperationsRequest list;
  google::longrunning::ListOperationsResponse listed;
  EXPECT_EQ(lro->ListOperations(&list_context, list, &listed).error_code(),
            grpc::StatusCode::UNIMPLEMENTED);

  // Readiness on the health port drops when the shutdown begins, while liveness stays SERVING
  // as long as an operation drains (~2 s of a 30 s grace).
  v1::Operation draining = Start(server.stub(), Named("draining", 40, 50));
  ASSERT_TRUE(WaitForState(server.stub(), draining.id(), v1::RUNNING));
  ReadinessWatch watch(*health);
  ASSERT_EQ(watch.Next(), HealthCheckResponse::SERVING);
  std::thread shutdown(
      [&] { server.server().Shutdown(std::chrono::seconds(30), std::chrono::seconds(5)); });
  EXPECT_EQ(watch.Next(), HealthCheckResponse::NOT_SERVING);
  EXPECT_EQ(Check(*health, ""), HealthCheckResponse::SERVING);
  watch.Close();
  shutdown.join();
}

TEST(LifecycleTest, ShutdownDrainsStreamsAndFinishesRunningOperations) {
  engine::EngineOptions options;
  options.executor_threads = 2;
  TestServer server(options);
  v1::Operation quick = Start(server.stub(), Named("quick", 5, 60));   // ~300 ms
  v1::Operation slow = Start(server.stub(), Named("slow", 1000, 20));  // ~20 s
  ASSERT_TRUE(WaitForState(server.stub(), quick.id(), v1::RUNNING));
  ASSERT_TRUE(WaitForState(server.stub(), slow.id(), v1::RUNNING));
  // The queued one writes the slow one's backup location, so it cannot run before the shutdown
  // however early the quick one frees its executor thread (a loaded machine once let it run).
  v1::StartOperationRequest queued_request = Named("queued", 1, 1);
  queued_request.mutable_spec()->mutable_backup()->set_location("slow");
  v1::Operation queued = Start(server.stub(), queued_request);
  EXPECT_EQ(queued.state(), v1::QUEUED);

  // Readiness is watched across the shutdown.
  auto health = grpc::health::v1::Health::NewStub(server.NewChannel());
  ReadinessWatch health_watch(*health);
  ASSERT_EQ(health_watch.Next(), HealthCheckResponse::SERVING);

  // A watcher on each operation, on its own connection.
  std::vector<StreamResult> results(3);
  std::vector<std::string> ids = {quick.id(), slow.id(), queued.id()};
  Latch streaming(3);
  std::vector<std::thread> readers;
  for (int i = 0; i < 3; ++i) {
    readers.emplace_back([&, i] {
      auto stub = v1::GroupPolicyOperations::NewStub(server.NewChannel());
      bool first = true;
      results[i] = ReadStream(*stub, ids[i], 0, [&](const v1::StatusUpdate&) {
        if (first) streaming.CountDown();
        first = false;
        return false;
      });
      if (first) streaming.CountDown();
    });
  }
  ASSERT_TRUE(streaming.Wait(std::chrono::seconds(30)));

  auto begin = std::chrono::steady_clock::now();
  std::thread shutdown(
      [&] { server.server().Shutdown(std::chrono::seconds(2), std::chrono::seconds(20)); });
  // Readiness drops first, while the operations are still draining.
  EXPECT_EQ(health_watch.Next(), HealthCheckResponse::NOT_SERVING);
  health_watch.Close();  // a health watch would stay open until the server's deadline
  shutdown.join();
  for (std::thread& t : readers) t.join();
  // Grace 2 s (the quick operation needs ~0.3 s), then the slow one is cancelled; no call holds
  // the server until the 20 s deadline (health watches end too).
  EXPECT_LT(std::chrono::steady_clock::now() - begin, std::chrono::seconds(15));

  // The quick operation finished within the grace period; its stream ended after its end.
  EXPECT_TRUE(results[0].status.ok())
      << results[0].status.error_code() << " " << results[0].status.error_message();
  ASSERT_FALSE(results[0].events().empty());
  EXPECT_EQ(results[0].events().back().state(), v1::SUCCEEDED);
  ExpectGapFree(results[0].events(), 1);

  // The slow one was stopped; its stream ended either after its terminal event or with
  // UNAVAILABLE / SHUTTING_DOWN, never hanging.
  if (results[1].status.ok()) {
    ASSERT_FALSE(results[1].events().empty());
    EXPECT_TRUE(IsTerminal(results[1].events().back().state()));
  } else {
    EXPECT_EQ(results[1].status.error_code(), grpc::StatusCode::UNAVAILABLE);
  }
  absl::StatusOr<engine::OperationRecord> slow_record = server.engine().Get("tester", slow.id());
  ASSERT_TRUE(slow_record.ok());
  EXPECT_NE(slow_record->state, core::OperationState::kRunning);

  // The queued one stays queued for the next start; its stream ended with SHUTTING_DOWN.
  EXPECT_EQ(results[2].status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(ErrorInfoOf(results[2].status).reason(), "SHUTTING_DOWN");
  absl::StatusOr<engine::OperationRecord> queued_record =
      server.engine().Get("tester", queued.id());
  ASSERT_TRUE(queued_record.ok());
  EXPECT_EQ(queued_record->state, core::OperationState::kQueued);
  EXPECT_FALSE(server.engine().serving());
}

}  // namespace
}  // namespace gpop::e2e
