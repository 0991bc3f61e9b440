// Errors from the engine to the edge: the absl::Status payload is a serialized
// google.rpc.ErrorInfo (not private text), ToGrpcStatus turns it into the trailer's
// google.rpc.Status, and a backend's LOCATION_NOT_FOUND names the request field.

#include <string>

#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"
#include "service/api/conversion.h"
#include "service/api/status_mapping.h"
#include "service/engine/status_convert.h"

namespace gpop::api {
namespace {

TEST(ErrorDetailsTest, ThePayloadIsASerializedErrorInfo) {
  core::Error error = core::MakeError(core::Code::kNotFound, core::reason::kGpoNotFound,
                                      "no GPO named \"x\"", {{"gpo", "x"}, {"line", "a\nb=c"}});
  error.hresult = 0x80070002;
  absl::Status status = engine::ToStatus(error);
  absl::optional<absl::Cord> payload = status.GetPayload(engine::kErrorInfoUrl);
  ASSERT_TRUE(payload.has_value());
  google::rpc::ErrorInfo info;
  ASSERT_TRUE(info.ParseFromString(std::string(*payload)));
  EXPECT_EQ(info.reason(), "GPO_NOT_FOUND");
  EXPECT_EQ(info.domain(), "gpop.dev");
  EXPECT_EQ(info.metadata().at("gpo"), "x");
  EXPECT_EQ(info.metadata().at("line"), "a\nb=c");  // no escaping games
  EXPECT_EQ(info.metadata().at("hresult"), "0x80070002");
  // And back, unchanged.
  core::Error back = engine::ToError(status);
  EXPECT_EQ(back.code, core::Code::kNotFound);
  EXPECT_EQ(back.reason, "GPO_NOT_FOUND");
  EXPECT_EQ(back.message, "no GPO named \"x\"");
  EXPECT_EQ(back.metadata, error.metadata);
  EXPECT_EQ(back.hresult, error.hresult);
}

TEST(ErrorDetailsTest, StatusesWithoutOrWithABrokenPayloadGetADefaultReason) {
  EXPECT_EQ(engine::ToError(absl::InternalError("boom")).reason, "INTERNAL");
  EXPECT_EQ(engine::ToError(absl::NotFoundError("gone")).reason, "NOT_FOUND");
  absl::Status garbled = absl::UnavailableError("down");
  garbled.SetPayload(engine::kErrorInfoUrl, absl::Cord("\xff\xff\xff"));
  core::Error error = engine::ToError(garbled);
  EXPECT_EQ(error.reason, "UNAVAILABLE");
  EXPECT_TRUE(error.metadata.empty());
}

TEST(ErrorDetailsTest, TheGrpcStatusCarriesTheSameErrorInfo) {
  grpc::Status status = ToGrpcStatus(engine::MakeStatus(core::Code::kFailedPrecondition,
                                                        core::reason::kOperationNotFinished,
                                                        "still running", {{"state", "RUNNING"}}));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  google::rpc::Status rpc;
  ASSERT_TRUE(rpc.ParseFromString(status.error_details()));
  ASSERT_EQ(rpc.details_size(), 1);
  google::rpc::ErrorInfo info;
  ASSERT_TRUE(rpc.details(0).UnpackTo(&info));
  EXPECT_EQ(info.reason(), "OPERATION_NOT_FINISHED");
  EXPECT_EQ(info.metadata().at("state"), "RUNNING");
  EXPECT_EQ(info.metadata().count("hresult"), 0u);
}

// A backend that knows no backup location at all.
class NoLocations final : public core::Backend {
 public:
  std::string name() const override { return "no-locations"; }
  core::Status Validate(const core::OperationSpec&) const override {
    return core::MakeError(core::Code::kNotFound, core::reason::kLocationNotFound,
                           "no backup location named \"elsewhere\"", {{"location", "elsewhere"}});
  }
  core::Outcome Run(const core::RunRequest&, core::ProgressSink&, core::CancelToken&) override {
    return {};
  }
};

TEST(ErrorDetailsTest, LocationNotFoundNamesTheRequestField) {
  NoLocations backend;
  auto field_of = [&](const v1::OperationSpec& spec) {
    absl::StatusOr<core::OperationSpec> parsed = SpecFromProto(spec, "spec", &backend);
    EXPECT_FALSE(parsed.ok());
    core::Error error = engine::ToError(parsed.status());
    EXPECT_EQ(error.reason, "LOCATION_NOT_FOUND");
    EXPECT_EQ(error.metadata["location"], "elsewhere");
    return error.metadata["field"];
  };
  v1::OperationSpec backup;
  backup.mutable_backup()->mutable_gpo()->set_display_name("G");
  backup.mutable_backup()->set_location("elsewhere");
  EXPECT_EQ(field_of(backup), "spec.backup.location");
  v1::OperationSpec restore;
  restore.mutable_restore()->mutable_backup()->set_backup_id(
      "{502192E9-D3EF-4ADC-A775-87677319261A}");
  restore.mutable_restore()->mutable_backup()->set_location("elsewhere");
  EXPECT_EQ(field_of(restore), "spec.restore.backup.location");
  v1::OperationSpec report;
  *report.mutable_report()->mutable_backup() = restore.restore().backup();
  report.mutable_report()->set_format(v1::HTML);
  EXPECT_EQ(field_of(report), "spec.report.backup.location");
}

}  // namespace
}  // namespace gpop::api
