// One implementation, two transports: the same operations streamed at the same time over SSE
// (service/http) and gRPC StreamStatus (service/api) from one engine deliver the same events
// (every field), in the same order, with the same terminal state, and GetOperation answers the
// same record on both. (Progress items are coalesced per viewer, so they are not compared.)

#include <thread>
#include <vector>

#include "google/protobuf/util/message_differencer.h"
#include "gpop/v1/operations.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "service/api/server.h"
#include "tests/e2e/test_server.h"
#include "tests/http/http_test_server.h"

namespace gpop::http_test {
namespace {

using google::protobuf::util::MessageDifferencer;

std::vector<v1::Event> SseEvents(const std::string& body) {
  std::vector<v1::Event> events;
  for (const SseEvent& e : ParseSse(body)) {
    if (e.event == "event") events.push_back(Parse<v1::StatusUpdate>(e.data).event());
  }
  return events;
}

TEST(HttpGrpcParityTest, SseAndStreamStatusCarryTheSameEventsAndEnd) {
  HttpTestServer server;
  api::ServerOptions grpc_options;
  grpc_options.listen = "127.0.0.1:0";
  auto grpc_server =
      api::Server::Start(grpc_options, &server.engine(), &server.backend(), &server.clock());
  ASSERT_TRUE(grpc_server.ok()) << grpc_server.status();
  auto stub = v1::GroupPolicyOperations::NewStub(
      grpc::CreateChannel((*grpc_server)->target(), grpc::InsecureChannelCredentials()));

  // A success with messages, a failure (an error and its HRESULT), and a cancel.
  struct Case {
    v1::StartOperationRequest request;
    bool cancel;
    v1::OperationState terminal;
  };
  std::vector<Case> cases = {
      {e2e::SyntheticBackup(6, 5, {{"synthetic.messages", "2"}}), false, v1::SUCCEEDED},
      {e2e::SyntheticBackup(6, 5, {{"synthetic.fail_at", "3"}}), false, v1::FAILED},
      {e2e::SyntheticBackup(2000, 5), true, v1::CANCELLED}};
  for (const Case& c : cases) {
    v1::Operation op = StartOk(server.port(), c.request);
    e2e::StreamResult grpc_stream;
    std::thread reader([&] { grpc_stream = e2e::ReadStream(*stub, op.id()); });
    if (c.cancel) {
      ASSERT_TRUE(e2e::WaitForState(*stub, op.id(), v1::RUNNING));
      EXPECT_EQ(Post(server.port(), "/v1/operations/" + op.id() + ":cancel", "{}").status, 200);
    }
    HttpAnswer sse = Request(server.port(), "GET", "/v1/operations/" + op.id() + "/events");
    reader.join();
    ASSERT_TRUE(grpc_stream.status.ok()) << grpc_stream.status.error_message();
    std::vector<v1::Event> by_grpc = grpc_stream.events();
    std::vector<v1::Event> by_sse = SseEvents(sse.body);
    ASSERT_EQ(by_sse.size(), by_grpc.size()) << sse.body;
    for (size_t i = 0; i < by_grpc.size(); ++i) {
      EXPECT_TRUE(MessageDifferencer::Equals(by_sse[i], by_grpc[i]))
          << "event " << i << "\nSSE:  " << by_sse[i].ShortDebugString()
          << "\ngRPC: " << by_grpc[i].ShortDebugString();
    }
    ASSERT_FALSE(by_grpc.empty());
    EXPECT_EQ(by_grpc.back().state(), c.terminal);
    EXPECT_EQ(ParseSse(sse.body).back().event, "end");

    grpc::ClientContext context;
    v1::GetOperationRequest get;
    get.set_operation_id(op.id());
    v1::Operation by_rpc;
    ASSERT_TRUE(stub->GetOperation(&context, get, &by_rpc).ok());
    v1::Operation by_http =
        Parse<v1::Operation>(Request(server.port(), "GET", "/v1/operations/" + op.id()).body);
    EXPECT_TRUE(MessageDifferencer::Equals(by_http, by_rpc))
        << "HTTP: " << by_http.ShortDebugString() << "\ngRPC: " << by_rpc.ShortDebugString();
  }
  (*grpc_server)->Shutdown(engine::Duration::zero(), engine::Duration::zero());
}

}  // namespace
}  // namespace gpop::http_test
