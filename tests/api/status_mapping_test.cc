// Tests of the AIP-193 mapping: engine status -> gRPC status with one ErrorInfo.

#include "service/api/status_mapping.h"

#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"
#include "service/engine/status_convert.h"

namespace gpop::api {
namespace {

// The single ErrorInfo of `status`'s details trailer; fails the test when it is not exactly one.
google::rpc::ErrorInfo OnlyErrorInfo(const grpc::Status& status, google::rpc::Status* rpc) {
  google::rpc::ErrorInfo info;
  EXPECT_TRUE(rpc->ParseFromString(status.error_details()));
  EXPECT_EQ(rpc->details_size(), 1);
  if (rpc->details_size() == 1) {
    EXPECT_TRUE(rpc->details(0).UnpackTo(&info));
  }
  return info;
}

TEST(StatusMappingTest, OkHasNoDetails) {
  grpc::Status status = ToGrpcStatus(absl::OkStatus());
  EXPECT_TRUE(status.ok());
  EXPECT_TRUE(status.error_details().empty());
}

TEST(StatusMappingTest, EngineErrorCarriesReasonDomainAndMetadata) {
  absl::Status engine_status =
      engine::MakeStatus(core::Code::kNotFound, core::reason::kOperationNotFound,
                         "no operation op-x", {{"operation_id", "op-x"}});
  grpc::Status status = ToGrpcStatus(engine_status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(status.error_message(), "no operation op-x");
  google::rpc::Status rpc;
  google::rpc::ErrorInfo info = OnlyErrorInfo(status, &rpc);
  EXPECT_EQ(rpc.code(), 5);
  EXPECT_EQ(rpc.message(), "no operation op-x");
  EXPECT_EQ(info.reason(), "OPERATION_NOT_FOUND");
  EXPECT_EQ(info.domain(), "gpop.dev");
  ASSERT_EQ(info.metadata().count("operation_id"), 1u);
  EXPECT_EQ(info.metadata().at("operation_id"), "op-x");
}

TEST(StatusMappingTest, HresultGoesToMetadataAsHex) {
  core::Error error = core::MakeError(core::Code::kInternal, core::reason::kBackendFailure,
                                      "GPMC failed", {{"step", "3"}});
  error.hresult = 0x80004005u;
  grpc::Status status = ToGrpcStatus(engine::ToStatus(error));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INTERNAL);
  google::rpc::Status rpc;
  google::rpc::ErrorInfo info = OnlyErrorInfo(status, &rpc);
  EXPECT_EQ(info.reason(), "BACKEND_FAILURE");
  ASSERT_EQ(info.metadata().count("hresult"), 1u);
  EXPECT_EQ(info.metadata().at("hresult"), "0x80004005");
  EXPECT_EQ(info.metadata().at("step"), "3");
}

TEST(StatusMappingTest, SmallHresultIsZeroPadded) {
  core::Error error = core::MakeError(core::Code::kAborted, "X", "m");
  error.hresult = 0x5u;
  google::rpc::Status rpc = ToRpcStatus(error);
  google::rpc::ErrorInfo info;
  ASSERT_EQ(rpc.details_size(), 1);
  ASSERT_TRUE(rpc.details(0).UnpackTo(&info));
  EXPECT_EQ(info.metadata().at("hresult"), "0x00000005");
}

TEST(StatusMappingTest, PlainAbslStatusGetsAReasonToo) {
  google::rpc::Status rpc;
  google::rpc::ErrorInfo info = OnlyErrorInfo(ToGrpcStatus(absl::InternalError("boom")), &rpc);
  EXPECT_EQ(info.reason(), "INTERNAL");
  EXPECT_EQ(info.domain(), "gpop.dev");
  info = OnlyErrorInfo(ToGrpcStatus(absl::FailedPreconditionError("nope")), &rpc);
  EXPECT_EQ(info.reason(), "FAILED_PRECONDITION");
  EXPECT_EQ(rpc.code(), 9);
}

// A queue or stream limit says when to retry, as the start rate limit does with its own delay.
TEST(StatusMappingTest, ResourceExhaustedCarriesRetryInfo) {
  for (const char* reason : {core::reason::kQueueFull, core::reason::kTooManyStreams}) {
    grpc::Status status = ToGrpcStatus(engine::MakeStatus(
        core::Code::kResourceExhausted, reason, "full", {{"scope", "principal"}}));
    google::rpc::Status rpc;
    ASSERT_TRUE(rpc.ParseFromString(status.error_details()));
    ASSERT_EQ(rpc.details_size(), 2) << reason;
    google::rpc::RetryInfo retry;
    ASSERT_TRUE(rpc.details(1).UnpackTo(&retry)) << reason;
    EXPECT_EQ(retry.retry_delay().seconds() * 1000 + retry.retry_delay().nanos() / 1000000,
              kDefaultRetryDelayMs);
  }
  // An explicit delay wins.
  grpc::Status rated = ToGrpcStatus(engine::MakeStatus(core::Code::kResourceExhausted,
                                                       kStartRateLimited, "slow down",
                                                       {{kRetryDelayMetadata, "2500"}}));
  google::rpc::Status rpc;
  ASSERT_TRUE(rpc.ParseFromString(rated.error_details()));
  ASSERT_EQ(rpc.details_size(), 2);
  google::rpc::RetryInfo retry;
  ASSERT_TRUE(rpc.details(1).UnpackTo(&retry));
  EXPECT_EQ(retry.retry_delay().seconds(), 2);
  EXPECT_EQ(retry.retry_delay().nanos(), 500000000);
}

TEST(StatusMappingTest, EveryCodeKeepsItsNumber) {
  for (int code = 1; code <= 16; ++code) {
    absl::Status s(static_cast<absl::StatusCode>(code), "m");
    grpc::Status g = ToGrpcStatus(s);
    EXPECT_EQ(static_cast<int>(g.error_code()), code);
    google::rpc::Status rpc;
    ASSERT_TRUE(rpc.ParseFromString(g.error_details()));
    EXPECT_EQ(rpc.code(), code);
  }
}

}  // namespace
}  // namespace gpop::api
