#include "service/api/request_parse.h"

#include <gtest/gtest.h>

#include "gpop/v1/operations.pb.h"
#include "service/engine/status_convert.h"

namespace gpop::api {
namespace {

constexpr char kNotUtf8[] = "Finance \xC3\x28";  // a lead byte without its continuation

// A StartOperationRequest whose backup GPO display name is `name` and whose labels are `labels`.
// (protobuf writes invalid UTF-8 too, complaining on stderr, outside any capture.)
std::string StartBytes(const std::string& name, const std::map<std::string, std::string>& labels) {
  v1::StartOperationRequest request;
  request.set_request_id("r-1");
  request.mutable_spec()->mutable_backup()->mutable_gpo()->set_display_name(name);
  for (const auto& [key, value] : labels) (*request.mutable_labels())[key] = value;
  std::string bytes;
  request.SerializeToString(&bytes);
  return bytes;
}

// Parses `bytes` and returns the status, failing the test when anything reached stderr.
absl::Status ParseQuietly(const std::string& bytes, v1::StartOperationRequest* out) {
  ::testing::internal::CaptureStderr();
  absl::Status status = ParseRequestBytes(bytes, out);
  const std::string logged = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(logged, "") << "parsing wrote to stderr";
  return status;
}

TEST(RequestParseTest, ValidBytesParse) {
  v1::StartOperationRequest request;
  ASSERT_TRUE(ParseQuietly(StartBytes("Finance Policy", {{"team", "ops"}}), &request).ok());
  EXPECT_EQ(request.spec().backup().gpo().display_name(), "Finance Policy");
  EXPECT_EQ(request.labels().at("team"), "ops");
}

TEST(RequestParseTest, NonAsciiUtf8Parses) {
  v1::StartOperationRequest request;
  ASSERT_TRUE(
      ParseQuietly(StartBytes("Finanz \xC3\xA9t\xC3\xA9", {{"team", "\xC3\xA9"}}), &request).ok());
  EXPECT_EQ(request.spec().backup().gpo().display_name(), "Finanz \xC3\xA9t\xC3\xA9");
  EXPECT_EQ(request.labels().at("team"), "\xC3\xA9");
}

TEST(RequestParseTest, InvalidUtf8IsInvalidArgumentNamingTheFieldAndLogsNothing) {
  v1::StartOperationRequest request;
  absl::Status status = ParseQuietly(StartBytes(kNotUtf8, {}), &request);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  core::Error error = engine::ToError(status);
  EXPECT_EQ(error.reason, kMalformedRequest);
  EXPECT_EQ(error.metadata["message"], "gpop.v1.StartOperationRequest");
  EXPECT_EQ(error.metadata["field"], "spec.backup.gpo.display_name");
  EXPECT_FALSE(request.has_spec());  // nothing half-parsed is left
}

TEST(RequestParseTest, InvalidUtf8InAMapValueIsFound) {
  v1::StartOperationRequest request;
  absl::Status status = ParseQuietly(StartBytes("ok", {{"team", kNotUtf8}}), &request);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(engine::ToError(status).metadata["field"], "labels.value");
}

// Repeated hostile requests stay silent, so that a caller cannot fill gpopd's log.
TEST(RequestParseTest, ManyInvalidRequestsLogNothing) {
  const std::string bytes = StartBytes(kNotUtf8, {});
  v1::StartOperationRequest request;
  ::testing::internal::CaptureStderr();
  int refused = 0;
  for (int i = 0; i < 100; ++i) {
    refused += ParseRequestBytes(bytes, &request).code() == absl::StatusCode::kInvalidArgument;
  }
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
  EXPECT_EQ(refused, 100);
}

TEST(RequestParseTest, TruncatedBytesAreMalformedWithoutAField) {
  std::string bytes = StartBytes("Finance Policy", {});
  bytes.resize(bytes.size() - 3);
  v1::StartOperationRequest request;
  absl::Status status = ParseQuietly(bytes, &request);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  core::Error error = engine::ToError(status);
  EXPECT_EQ(error.reason, kMalformedRequest);
  EXPECT_EQ(error.metadata.count("field"), 0u);
}

}  // namespace
}  // namespace gpop::api
