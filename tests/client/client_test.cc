// Tests of Client's unary calls over real gRPC against FakeOperationsServer, and of the AIP-193
// ErrorInfo extraction.

#include "client/client.h"

#include <memory>

#include "client/error_info.h"
#include "client/grpc_connection.h"
#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"
#include "tests/client/fake_operations_server.h"

namespace gpop::client {
namespace {

using ::gpop::testing::FakeOperationsServer;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

class ClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    channel_ = server_.Start();
    ASSERT_NE(channel_, nullptr);
  }

  Client MakeClient(ConnectionOptions options = {}) {
    return Client(MakeGrpcConnection(channel_, options));
  }

  FakeOperationsServer server_{3};
  std::shared_ptr<grpc::Channel> channel_;
};

TEST_F(ClientTest, ErrorInfoSurvivesTheCall) {
  Client client = MakeClient();
  absl::StatusOr<v1::Operation> op = client.GetOperation("op-missing");
  ASSERT_FALSE(op.ok());
  EXPECT_EQ(op.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(op.status().message(), "no such operation");
  std::optional<ErrorInfo> info = GetErrorInfo(op.status());
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->reason, "OPERATION_NOT_FOUND");
  EXPECT_EQ(info->domain, kGpopErrorDomain);
  EXPECT_THAT(info->metadata, UnorderedElementsAre(Pair("operation_id", "op-missing")));
}

TEST_F(ClientTest, StartOperationRoundTripsAndReportsReuse) {
  Client client = MakeClient();
  v1::StartOperationRequest request;
  request.mutable_spec()->mutable_backup()->mutable_gpo()->set_display_name("Default Domain");
  (*request.mutable_labels())["team"] = "infra";
  absl::StatusOr<v1::Operation> op = client.StartOperation(request);
  ASSERT_TRUE(op.ok()) << op.status();
  EXPECT_EQ(op->id(), "op-1");
  EXPECT_EQ(op->kind(), v1::BACKUP);
  EXPECT_EQ(op->spec().backup().gpo().display_name(), "Default Domain");
  EXPECT_EQ(op->labels().at("team"), "infra");

  request.set_request_id("reused");
  op = client.StartOperation(request);
  EXPECT_EQ(op.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(GetReason(op.status()), "REQUEST_ID_REUSED");
}

TEST_F(ClientTest, BearerTokenIsSentOnlyWhenSet) {
  ConnectionOptions options;
  options.bearer_token = "s3cret";
  ASSERT_TRUE(MakeClient(options).Cancel("op-1").ok());
  EXPECT_EQ(server_.last_authorization(), "Bearer s3cret");
  ASSERT_TRUE(MakeClient().Cancel("op-1").ok());
  EXPECT_EQ(server_.last_authorization(), "");
}

TEST_F(ClientTest, ListAllOperationsFollowsEveryPageAndKeepsTheFirstRevision) {
  Client client = MakeClient();
  absl::StatusOr<v1::ListOperationsResponse> all = client.ListAllOperations("", 2);
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->operations_size(), 5);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(all->operations(i).id(), "op-" + std::to_string(i));
  EXPECT_EQ(all->revision(), 42u);
  EXPECT_TRUE(all->next_page_token().empty());
}

TEST_F(ClientTest, UnreachableServerIsUnavailable) {
  ConnectionOptions options;
  options.target = "unix:/nonexistent/gpop-test.sock";
  options.call_timeout = std::chrono::seconds(20);
  absl::StatusOr<std::shared_ptr<Connection>> connection = MakeGrpcConnection(options);
  ASSERT_TRUE(connection.ok());
  Client client(*connection);
  absl::StatusOr<v1::Operation> op = client.GetOperation("op-1");
  EXPECT_EQ(op.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_FALSE(GetErrorInfo(op.status()).has_value());
}

TEST(ErrorInfoTest, FromStatusProtoKeepsCodeMessageAndInfo) {
  google::rpc::ErrorInfo info;
  info.set_reason("DEADLINE_PASSED");
  info.set_domain("gpop.dev");
  google::rpc::Status proto;
  proto.set_code(4);
  proto.set_message("operation deadline passed");
  proto.add_details()->PackFrom(info);
  absl::Status status = FromStatusProto(proto);
  EXPECT_EQ(status.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(status.message(), "operation deadline passed");
  EXPECT_EQ(GetReason(status), "DEADLINE_PASSED");
  EXPECT_EQ(GetErrorInfo(proto)->domain, "gpop.dev");
}

TEST(ErrorInfoTest, NoDetailsMeansNoInfo) {
  EXPECT_FALSE(GetErrorInfo(absl::OkStatus()).has_value());
  EXPECT_FALSE(GetErrorInfo(absl::InternalError("boom")).has_value());
  EXPECT_FALSE(
      GetErrorInfo(FromGrpcStatus(grpc::Status(grpc::StatusCode::UNAVAILABLE, "x"))).has_value());
  absl::Status garbage = absl::InternalError("x");
  garbage.SetPayload(kStatusDetailsPayloadUrl, absl::Cord("\xff\xff not a proto"));
  EXPECT_FALSE(GetErrorInfo(garbage).has_value());
  EXPECT_TRUE(FromStatusProto(google::rpc::Status()).ok());
}

}  // namespace
}  // namespace gpop::client
