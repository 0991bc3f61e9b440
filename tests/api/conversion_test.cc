// Tests of service/api's proto <-> engine conversion and request validation.

#include "service/api/conversion.h"

#include <openssl/evp.h>

#include <cstdio>
#include <string>

#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/message_differencer.h"
#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"
#include "service/api/status_mapping.h"
#include "service/engine/status_convert.h"

namespace gpop::api {
namespace {

using google::protobuf::TextFormat;
using google::protobuf::util::MessageDifferencer;

constexpr char kGuid[] = "{6AC1786C-016F-11D2-945F-00C04FB984F9}";
constexpr char kBackupId[] = "{31B2F340-016D-11D2-945F-00C04FB984F9}";
const engine::Duration kMaxTimeout = std::chrono::hours(24);

v1::StartOperationRequest Parse(const std::string& text) {
  v1::StartOperationRequest request;
  EXPECT_TRUE(TextFormat::ParseFromString(text, &request)) << text;
  return request;
}

// Expects INVALID_ARGUMENT, reason INVALID_FIELD, metadata field == `field`, and a message that
// starts with the field's name.
void ExpectInvalidField(const absl::Status& status, const std::string& field) {
  ASSERT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_EQ(status.message().substr(0, field.size() + 1), field + ":") << status;
  grpc::Status grpc_status = ToGrpcStatus(status);
  google::rpc::Status rpc;
  ASSERT_TRUE(rpc.ParseFromString(grpc_status.error_details()));
  ASSERT_EQ(rpc.details_size(), 1);
  google::rpc::ErrorInfo info;
  ASSERT_TRUE(rpc.details(0).UnpackTo(&info));
  EXPECT_EQ(info.reason(), "INVALID_FIELD");
  EXPECT_EQ(info.domain(), "gpop.dev");
  ASSERT_EQ(info.metadata().count("field"), 1u) << status;
  EXPECT_EQ(info.metadata().at("field"), field);
}

absl::Status StartStatus(const std::string& text) {
  return StartRequestFromProto(Parse(text), "local", kMaxTimeout).status();
}

// --- Spec round trips ------------------------------------------------------------------------

class SpecRoundTripTest : public ::testing::TestWithParam<std::string> {};

TEST_P(SpecRoundTripTest, ProtoToCoreAndBack) {
  v1::OperationSpec spec;
  ASSERT_TRUE(TextFormat::ParseFromString(GetParam(), &spec));
  absl::StatusOr<core::OperationSpec> core_spec = SpecFromProto(spec);
  ASSERT_TRUE(core_spec.ok()) << core_spec.status();
  v1::OperationSpec back;
  SpecToProto(*core_spec, &back);
  EXPECT_TRUE(MessageDifferencer::Equals(spec, back))
      << spec.DebugString() << " vs " << back.DebugString();
}

INSTANTIATE_TEST_SUITE_P(
    AllKinds, SpecRoundTripTest,
    ::testing::Values(
        std::string("backup { gpo { guid: '") + kGuid + "' } location: 'nightly' comment: 'c' }",
        "backup { gpo { display_name: 'Default Domain Policy' } }",
        std::string("restore { backup { location: 'l' backup_id: '") + kBackupId + "' } }",
        std::string("restore { backup { backup_id: '") + kBackupId +
            "' } skip_safety_backup: true }",
        std::string("import { backup { backup_id: '") + kBackupId +
            "' } create_if_needed_name: 'N' skip_safety_backup: true dry_run: true }",
        std::string("restore { backup { backup_id: '") + kBackupId + "' } dry_run: true }",
        std::string("restore { backup { backup_id: '") + kBackupId +
            "' } dry_run: true dry_run_report: true }",
        std::string("import { backup { backup_id: '") + kBackupId +
            "' } create_if_needed_name: 'N' dry_run: true dry_run_report: true }",
        std::string("copy { source_gpo { guid: '") + kGuid +
            "' } new_display_name: 'Copy' dry_run: true dry_run_report: true }",
        std::string("report { gpo { guid: '") + kGuid + "' } format: MIGRATION_TABLE }",
        std::string("report { backup { backup_id: '") + kBackupId +
            "' } format: MIGRATION_TABLE include_dacl_principals: true }",
        std::string("copy { source_gpo { guid: '") + kGuid +
            "' } new_display_name: 'Copy' dry_run: true }",
        std::string("import { backup { backup_id: '") + kBackupId + "' } target_gpo { guid: '" +
            kGuid + "' } migration_table: 'mt' migration_table_only: true }",
        std::string("import { backup { backup_id: '") + kBackupId +
            "' } create_if_needed_name: 'New GPO' }",
        std::string("copy { source_gpo { guid: '") + kGuid +
            "' } new_display_name: 'Copy' migration_table: 'mt' copy_acl: true }",
        std::string("report { gpo { guid: '") + kGuid + "' } format: HTML }",
        std::string("report { backup { backup_id: '") + kBackupId + "' } format: XML }",
        std::string("import_set { backup_ids: '") + kBackupId + "' backup_ids: '" + kGuid +
            "' }",
        std::string("import_set { location: 'incoming' backup_ids: '") + kBackupId +
            "' migration_table: 'mt' migration_table_only: true skip_safety_backup: true "
            "dry_run: true }"));

TEST(ConversionTest, SafetyBackupIsOnUnlessSkipped) {
  v1::OperationSpec spec;
  ASSERT_TRUE(TextFormat::ParseFromString(
      std::string("restore { backup { backup_id: '") + kBackupId + "' } }", &spec));
  absl::StatusOr<core::OperationSpec> core_spec = SpecFromProto(spec);
  ASSERT_TRUE(core_spec.ok());
  EXPECT_TRUE(std::get<core::RestoreSpec>(*core_spec).safety_backup);
  spec.mutable_restore()->set_skip_safety_backup(true);
  core_spec = SpecFromProto(spec);
  ASSERT_TRUE(core_spec.ok());
  EXPECT_FALSE(std::get<core::RestoreSpec>(*core_spec).safety_backup);
  core::GpoInfo gpo;
  gpo.safety_backup_id = kBackupId;
  v1::GpoInfo out;
  GpoToProto(gpo, &out);
  EXPECT_EQ(out.safety_backup_id(), kBackupId);
}

TEST(ConversionTest, ReportsTravelInlineOnlyUpToOneMebibyte) {
  core::ReportInfo small{core::ReportFormat::kXml, "<GPO/>"};
  v1::OperationResult out;
  ResultToProto(core::OperationResult(small), &out);
  EXPECT_EQ(out.report().content(), "<GPO/>");
  EXPECT_EQ(out.report().size_bytes(), 6);
  EXPECT_NE(out.report().summary().find("XML report, 6 bytes"), std::string::npos);

  core::ReportInfo large{core::ReportFormat::kHtml, std::string(kInlineReportBytes + 1, 'x')};
  ResultToProto(core::OperationResult(large), &out);
  EXPECT_TRUE(out.report().content().empty());
  EXPECT_EQ(out.report().size_bytes(), static_cast<int64_t>(kInlineReportBytes + 1));
  EXPECT_NE(out.report().summary().find("DownloadReport"), std::string::npos);
  EXPECT_LT(out.ByteSizeLong(), 1024u);
}

TEST(ConversionTest, SpecKindDecidesKind) {
  v1::OperationSpec spec;
  ASSERT_TRUE(TextFormat::ParseFromString(
      std::string("copy { source_gpo { guid: '") + kGuid + "' } new_display_name: 'x' }", &spec));
  absl::StatusOr<core::OperationSpec> core_spec = SpecFromProto(spec);
  ASSERT_TRUE(core_spec.ok());
  EXPECT_EQ(core::KindOf(*core_spec), core::OperationKind::kCopy);
}

TEST(ConversionTest, ImportSetSpecKeepsOrderAndSafetyDefault) {
  v1::OperationSpec spec;
  ASSERT_TRUE(TextFormat::ParseFromString(std::string("import_set { backup_ids: '") + kGuid +
                                              "' backup_ids: '" + kBackupId + "' }",
                                          &spec));
  absl::StatusOr<core::OperationSpec> core_spec = SpecFromProto(spec);
  ASSERT_TRUE(core_spec.ok()) << core_spec.status();
  EXPECT_EQ(core::KindOf(*core_spec), core::OperationKind::kImportSet);
  const auto& set = std::get<core::ImportSetSpec>(*core_spec);
  EXPECT_EQ(set.backup_ids, (std::vector<std::string>{kGuid, kBackupId}));
  EXPECT_TRUE(set.safety_backup);
  EXPECT_FALSE(set.dry_run);
}

// Every entry of an import set's result reaches the proto: the GPO only for IMPORTED and
// PREDICTED, the error (with its ErrorInfo) for the others.
TEST(ConversionTest, ImportSetResultEntries) {
  core::ImportSetResult set;
  core::ImportSetEntry imported;
  imported.backup_id = kBackupId;
  imported.display_name = "Baseline";
  imported.outcome = core::ImportSetOutcome::kImported;
  imported.gpo.guid = kGuid;
  imported.gpo.display_name = "Baseline";
  imported.gpo.safety_backup_id = "{S}";
  core::ImportSetEntry predicted = imported;
  predicted.outcome = core::ImportSetOutcome::kPredicted;
  predicted.gpo.dry_run = true;
  predicted.gpo.predicted_changes = {{"Computer", "Registry", "Policy X", "", "Enabled"}};
  core::ImportSetEntry failed;
  failed.backup_id = "{F}";
  failed.display_name = "Broken";
  failed.outcome = core::ImportSetOutcome::kFailed;
  failed.gpo.guid = "{IGNORED}";
  failed.error = core::MakeError(core::Code::kFailedPrecondition, core::reason::kCorruptFile,
                                 "bad file", {{"backup_id", "{F}"}});
  core::ImportSetEntry not_started;
  not_started.backup_id = "{N}";
  not_started.outcome = core::ImportSetOutcome::kNotStarted;
  not_started.error =
      core::MakeError(core::Code::kCancelled, core::reason::kCancelled, "not started");
  set.entries = {imported, predicted, failed, not_started};
  v1::OperationResult out;
  ResultToProto(core::OperationResult(set), &out);
  ASSERT_TRUE(out.has_import_set());
  const auto& e = out.import_set().entries();
  ASSERT_EQ(e.size(), 4);
  EXPECT_EQ(e[0].backup_id(), kBackupId);
  EXPECT_EQ(e[0].display_name(), "Baseline");
  EXPECT_EQ(e[0].outcome(), v1::IMPORTED);
  EXPECT_EQ(e[0].gpo().guid(), kGuid);
  EXPECT_EQ(e[0].gpo().safety_backup_id(), "{S}");
  EXPECT_FALSE(e[0].has_error());
  EXPECT_EQ(e[1].outcome(), v1::PREDICTED);
  EXPECT_TRUE(e[1].gpo().dry_run());
  ASSERT_EQ(e[1].gpo().predicted_changes_size(), 1);
  EXPECT_EQ(e[1].gpo().predicted_changes(0).setting(), "Policy X");
  EXPECT_EQ(e[2].outcome(), v1::IMPORT_FAILED);
  EXPECT_FALSE(e[2].has_gpo());
  EXPECT_EQ(e[2].error().code(), 9);  // FAILED_PRECONDITION
  google::rpc::ErrorInfo info;
  ASSERT_EQ(e[2].error().details_size(), 1);
  ASSERT_TRUE(e[2].error().details(0).UnpackTo(&info));
  EXPECT_EQ(info.reason(), core::reason::kCorruptFile);
  EXPECT_EQ(info.metadata().at("backup_id"), "{F}");
  EXPECT_EQ(e[3].outcome(), v1::NOT_STARTED);
  EXPECT_EQ(e[3].error().code(), 1);  // CANCELLED
}

// --- Validation ------------------------------------------------------------------------------

TEST(ValidationTest, ValidStartRequest) {
  v1::StartOperationRequest request =
      Parse(std::string("request_id: 'abc-1' spec { backup { gpo { guid: '") + kGuid +
            "' } } } timeout { seconds: 60 } labels { key: 'team' value: 'ops' } "
            "labels { key: 'synthetic.step_ms' value: '5' }");
  absl::StatusOr<engine::StartRequest> start = StartRequestFromProto(request, "alice", kMaxTimeout);
  ASSERT_TRUE(start.ok()) << start.status();
  EXPECT_EQ(start->principal, "alice");
  EXPECT_EQ(start->request_id, "abc-1");
  ASSERT_TRUE(start->timeout.has_value());
  EXPECT_EQ(*start->timeout, std::chrono::seconds(60));
  EXPECT_EQ(start->labels.at("team"), "ops");
  EXPECT_EQ(start->fingerprint, RequestFingerprint(request));
  EXPECT_EQ(start->fingerprint.size(), 64u);
}

TEST(ValidationTest, SpecIsRequired) {
  ExpectInvalidField(StartStatus("request_id: 'a'"), "spec");
  ExpectInvalidField(StartStatus("spec { }"), "spec");
}

TEST(ValidationTest, SpecFieldsAreNamedByProtoPath) {
  std::string long_comment(2048, 'x');
  ExpectInvalidField(StartStatus(std::string("spec { backup { gpo { guid: '") + kGuid +
                                 "' } comment: '" + long_comment + "' } }"),
                     "spec.backup.comment");
  ExpectInvalidField(StartStatus("spec { backup { } }"), "spec.backup.gpo");
  ExpectInvalidField(StartStatus("spec { backup { gpo { guid: 'nope' } } }"),
                     "spec.backup.gpo.guid");
  ExpectInvalidField(StartStatus(std::string("spec { backup { gpo { guid: '") + kGuid +
                                 "' } location: '../x' } }"),
                     "spec.backup.location");
  ExpectInvalidField(StartStatus("spec { restore { backup { } } }"),
                     "spec.restore.backup.backup_id");
  ExpectInvalidField(
      StartStatus("spec { copy { source_gpo { guid: 'bad' } new_display_name: 'x' } }"),
      "spec.copy.source_gpo.guid");
  ExpectInvalidField(
      StartStatus(std::string("spec { copy { source_gpo { guid: '") + kGuid + "' } } }"),
      "spec.copy.new_display_name");
  ExpectInvalidField(
      StartStatus(std::string("spec { import { backup { backup_id: '") + kBackupId + "' } } }"),
      "spec.import.target");
  ExpectInvalidField(StartStatus(std::string("spec { import { backup { backup_id: '") + kBackupId +
                                 "' } target_gpo { guid: 'x' } } }"),
                     "spec.import.target_gpo.guid");
  ExpectInvalidField(StartStatus(std::string("spec { import { backup { backup_id: '") + kBackupId +
                                 "' } create_if_needed_name: '' } }"),
                     "spec.import.create_if_needed_name");
  ExpectInvalidField(
      StartStatus(std::string("spec { import { backup { backup_id: '") + kBackupId +
                  "' } target_gpo { guid: '" + kGuid + "' } migration_table_only: true } }"),
      "spec.import.migration_table");
  ExpectInvalidField(StartStatus("spec { report { format: XML } }"), "spec.report.subject");
  ExpectInvalidField(StartStatus(std::string("spec { report { gpo { guid: '") + kGuid + "' } } }"),
                     "spec.report.format");
}

TEST(ValidationTest, RequestId) {
  std::string spec = std::string(" spec { backup { gpo { guid: '") + kGuid + "' } } }";
  EXPECT_TRUE(StartStatus("request_id: ''" + spec).ok());
  EXPECT_TRUE(StartStatus("request_id: '" + std::string(128, 'r') + "'" + spec).ok());
  ExpectInvalidField(StartStatus("request_id: '" + std::string(129, 'r') + "'" + spec),
                     "request_id");
  ExpectInvalidField(StartStatus("request_id: 'a\\nb'" + spec), "request_id");
  ExpectInvalidField(StartStatus("request_id: '\\303\\251'" + spec), "request_id");
}

TEST(ValidationTest, Labels) {
  std::string spec = std::string("spec { backup { gpo { guid: '") + kGuid + "' } } } ";
  ExpectInvalidField(StartStatus(spec + "labels { key: 'Team' value: 'x' }"), "labels");
  ExpectInvalidField(StartStatus(spec + "labels { key: '1team' value: 'x' }"), "labels");
  ExpectInvalidField(StartStatus(spec + "labels { key: '' value: 'x' }"), "labels");
  ExpectInvalidField(
      StartStatus(spec + "labels { key: '" + std::string(64, 'k') + "' value: 'x' }"), "labels");
  EXPECT_TRUE(StartStatus(spec + "labels { key: '" + std::string(63, 'k') + "' value: '" +
                          std::string(63, 'v') + "' }")
                  .ok());
  ExpectInvalidField(
      StartStatus(spec + "labels { key: 'team' value: '" + std::string(64, 'v') + "' }"),
      "labels.team");
  std::string many = spec;
  for (int i = 0; i < 33; ++i) many += "labels { key: 'k" + std::to_string(i) + "' value: 'v' }";
  ExpectInvalidField(StartStatus(many), "labels");
}

TEST(ValidationTest, Timeout) {
  std::string spec = std::string("spec { backup { gpo { guid: '") + kGuid + "' } } } ";
  ExpectInvalidField(StartStatus(spec + "timeout { seconds: 0 }"), "timeout");
  ExpectInvalidField(StartStatus(spec + "timeout { seconds: -5 }"), "timeout");
  ExpectInvalidField(StartStatus(spec + "timeout { seconds: 1 nanos: -1 }"), "timeout");
  ExpectInvalidField(StartStatus(spec + "timeout { seconds: 86401 }"), "timeout");
  ExpectInvalidField(StartStatus(spec + "timeout { seconds: 86400 nanos: 1 }"), "timeout");
  EXPECT_TRUE(StartStatus(spec + "timeout { seconds: 86400 }").ok());
  EXPECT_TRUE(StartStatus(spec + "timeout { nanos: 1000 }").ok());
}

TEST(ValidationTest, OperationIds) {
  EXPECT_TRUE(ValidateOperationId("operation_id", "op-abcdefghijklmnopqrstuvwxyz").ok());
  EXPECT_TRUE(ValidateOperationId("operation_id", "op-22222222222222222222222222").ok());
  ExpectInvalidField(ValidateOperationId("operation_id", ""), "operation_id");
  ExpectInvalidField(ValidateOperationId("operation_id", "op-short"), "operation_id");
  ExpectInvalidField(ValidateOperationId("operation_id", "op-ABCDEFGHIJKLMNOPQRSTUVWXYZ"),
                     "operation_id");
  ExpectInvalidField(ValidateOperationId("operation_id", "xx-abcdefghijklmnopqrstuvwxyz"),
                     "operation_id");
  ExpectInvalidField(ValidateOperationId("operation_id", "op-abcdefghijklmnopqrstuvwxy1"),
                     "operation_id");
}

TEST(ValidationTest, LroNames) {
  absl::StatusOr<std::string> id =
      OperationIdFromLroName("name", "operations/op-abcdefghijklmnopqrstuvwxyz");
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(*id, "op-abcdefghijklmnopqrstuvwxyz");
  ExpectInvalidField(OperationIdFromLroName("name", "").status(), "name");
  ExpectInvalidField(OperationIdFromLroName("name", "op-abcdefghijklmnopqrstuvwxyz").status(),
                     "name");
  ExpectInvalidField(OperationIdFromLroName("name", "operations/").status(), "name");
}

TEST(ValidationTest, ListRequests) {
  v1::ListOperationsRequest request;
  request.set_page_size(-1);
  ExpectInvalidField(ListRequestFromProto(request).status(), "page_size");
  request.set_page_size(0);
  request.set_filter(std::string(5000, 'x'));
  ExpectInvalidField(ListRequestFromProto(request).status(), "filter");
  request.set_filter("state=RUNNING");
  request.set_page_token(std::string(5000, 'x'));
  ExpectInvalidField(ListRequestFromProto(request).status(), "page_token");
  request.set_page_token("tok");
  request.set_page_size(7);
  absl::StatusOr<engine::ListRequest> list = ListRequestFromProto(request);
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->page_size, 7);
  EXPECT_EQ(list->filter, "state=RUNNING");
  EXPECT_EQ(list->page_token, "tok");

  google::longrunning::ListOperationsRequest lro;
  lro.set_name("projects/x");
  ExpectInvalidField(ListRequestFromProto(lro).status(), "name");
  lro.set_name("operations");
  lro.set_page_size(-3);
  ExpectInvalidField(ListRequestFromProto(lro).status(), "page_size");
}

TEST(ValidationTest, BackupQueries) {
  v1::ListBackupsRequest request;
  request.set_location("a/b");
  ExpectInvalidField(BackupQueryFromProto(request).status(), "location");
  request.set_location("nightly");
  request.mutable_gpo();
  ExpectInvalidField(BackupQueryFromProto(request).status(), "gpo");
  request.mutable_gpo()->set_guid("nope");
  ExpectInvalidField(BackupQueryFromProto(request).status(), "gpo.guid");
  request.mutable_gpo()->set_guid(kGuid);
  absl::StatusOr<core::Backend::BackupQuery> query = BackupQueryFromProto(request);
  ASSERT_TRUE(query.ok());
  EXPECT_EQ(query->location, "nightly");
  EXPECT_EQ(query->gpo.guid, kGuid);
}

// --- Fingerprints ----------------------------------------------------------------------------

TEST(FingerprintTest, IgnoresRequestIdOnly) {
  std::string spec = std::string("spec { backup { gpo { guid: '") + kGuid + "' } comment: 'a' } } ";
  v1::StartOperationRequest a = Parse("request_id: 'one' " + spec);
  v1::StartOperationRequest b = Parse("request_id: 'two' " + spec);
  v1::StartOperationRequest c =
      Parse("request_id: 'one' " + std::string("spec { backup { gpo { guid: '") + kGuid +
            "' } comment: 'b' } } ");
  EXPECT_EQ(RequestFingerprint(a), RequestFingerprint(b));
  EXPECT_NE(RequestFingerprint(a), RequestFingerprint(c));
}

// Fingerprints are kept in the durable store (a request_id's retry is compared with them after
// a restart): they stay the SHA-256 of the request serialized deterministically without its
// request_id, whatever the request_id's length.
TEST(FingerprintTest, IsTheDigestOfTheRequestWithoutItsRequestId) {
  auto reference = [](v1::StartOperationRequest request) {
    request.clear_request_id();
    std::string bytes;
    {
      google::protobuf::io::StringOutputStream stream(&bytes);
      google::protobuf::io::CodedOutputStream coded(&stream);
      coded.SetSerializationDeterministic(true);
      request.SerializeToCodedStream(&coded);
    }
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr);
    std::string hex;
    for (unsigned int i = 0; i < length; ++i) {
      char two[3];
      std::snprintf(two, sizeof(two), "%02x", digest[i]);
      hex += two;
    }
    return hex;
  };
  const std::string spec = std::string("spec { backup { gpo { guid: '") + kGuid +
                           "' } comment: 'c' } } labels { key: 'z' value: '1' } "
                           "labels { key: 'a' value: '2' } timeout { seconds: 9 }";
  for (const std::string& id : {std::string(), std::string("r"), std::string(127, 'x'),
                                std::string(128, 'y'), std::string(20000, 'q')}) {
    v1::StartOperationRequest request = Parse(spec);
    request.set_request_id(id);
    EXPECT_EQ(RequestFingerprint(request), reference(request)) << id.size();
  }
}

TEST(FingerprintTest, LabelOrderDoesNotMatter) {
  std::string spec = std::string("spec { backup { gpo { guid: '") + kGuid + "' } } } ";
  v1::StartOperationRequest a =
      Parse(spec + "labels { key: 'a' value: '1' } labels { key: 'b' value: '2' }");
  v1::StartOperationRequest b =
      Parse(spec + "labels { key: 'b' value: '2' } labels { key: 'a' value: '1' }");
  v1::StartOperationRequest c =
      Parse(spec + "labels { key: 'b' value: '2' } labels { key: 'a' value: '3' }");
  EXPECT_EQ(RequestFingerprint(a), RequestFingerprint(b));
  EXPECT_NE(RequestFingerprint(a), RequestFingerprint(c));
  v1::StartOperationRequest d = Parse(spec + "timeout { seconds: 5 }");
  EXPECT_NE(RequestFingerprint(Parse(spec)), RequestFingerprint(d));
}

// --- Records and events ----------------------------------------------------------------------

engine::OperationRecord FinishedRecord(core::OperationState state) {
  engine::OperationRecord record;
  record.id = "op-abcdefghijklmnopqrstuvwxyz";
  record.kind = core::OperationKind::kBackup;
  record.state = state;
  record.spec = core::BackupSpec{core::GpoRef{kGuid, ""}, "", "comment"};
  record.labels = {{"team", "ops"}};
  record.principal = "local";
  record.request_id = "r1";
  record.create_time =
      engine::Time() + std::chrono::seconds(1700000000) + std::chrono::milliseconds(250);
  record.start_time = record.create_time + std::chrono::seconds(1);
  record.end_time = record.create_time + std::chrono::seconds(5);
  record.deadline = record.create_time + std::chrono::hours(1);
  record.last_sequence = 7;
  record.revision = 42;
  record.progress = engine::Progress{10, 10, 6};
  if (state == core::OperationState::kSucceeded) {
    core::BackupInfo backup;
    backup.backup_id = kBackupId;
    backup.comment = "comment";
    record.result = backup;
    record.effects = core::Effects::kApplied;
  } else {
    core::Error error = core::MakeError(core::Code::kInternal, core::reason::kBackendFailure,
                                        "failed", {{"step", "3"}});
    error.hresult = 0x80070005u;
    record.error = error;
    record.hresult = 0x80070005u;
    record.effects = core::Effects::kNone;
  }
  return record;
}

TEST(RecordConversionTest, OperationFields) {
  engine::OperationRecord record = FinishedRecord(core::OperationState::kSucceeded);
  v1::Operation op;
  OperationToProto(record, &op);
  EXPECT_EQ(op.id(), record.id);
  EXPECT_EQ(op.kind(), v1::BACKUP);
  EXPECT_EQ(op.state(), v1::SUCCEEDED);
  EXPECT_EQ(op.spec().backup().gpo().guid(), kGuid);
  EXPECT_EQ(op.labels().at("team"), "ops");
  EXPECT_EQ(op.principal(), "local");
  EXPECT_EQ(op.request_id(), "r1");
  EXPECT_EQ(op.create_time().seconds(), 1700000000);
  EXPECT_EQ(op.create_time().nanos(), 250000000);
  EXPECT_EQ(op.end_time().seconds(), 1700000005);
  EXPECT_EQ(op.last_sequence(), 7u);
  EXPECT_EQ(op.revision(), 42u);
  EXPECT_EQ(op.progress().numerator(), 10);
  EXPECT_EQ(op.progress().after_sequence(), 6u);
  EXPECT_EQ(op.result().backup().backup_id(), kBackupId);
  EXPECT_EQ(op.effects(), v1::APPLIED);
  EXPECT_FALSE(op.has_error());
  EXPECT_FALSE(op.has_hresult());
}

TEST(RecordConversionTest, FailedOperationCarriesErrorInfoAndHresult) {
  v1::Operation op;
  OperationToProto(FinishedRecord(core::OperationState::kFailed), &op);
  EXPECT_EQ(op.state(), v1::FAILED);
  ASSERT_TRUE(op.has_hresult());
  EXPECT_EQ(op.hresult(), 0x80070005u);
  EXPECT_EQ(op.error().code(), 13);
  ASSERT_EQ(op.error().details_size(), 1);
  google::rpc::ErrorInfo info;
  ASSERT_TRUE(op.error().details(0).UnpackTo(&info));
  EXPECT_EQ(info.reason(), "BACKEND_FAILURE");
  EXPECT_EQ(info.metadata().at("hresult"), "0x80070005");
  EXPECT_FALSE(op.has_result());
}

// A FAILED import set still carries its result (which GPOs were imported); other kinds do not.
TEST(RecordConversionTest, FailedImportSetCarriesItsResult) {
  engine::OperationRecord record = FinishedRecord(core::OperationState::kFailed);
  core::ImportSetSpec spec;
  spec.backup_ids = {kBackupId};
  record.spec = spec;
  record.kind = core::OperationKind::kImportSet;
  core::ImportSetResult set;
  core::ImportSetEntry entry;
  entry.backup_id = kBackupId;
  entry.outcome = core::ImportSetOutcome::kImported;
  entry.gpo.guid = kGuid;
  set.entries = {entry};
  record.result = set;
  v1::Operation op;
  OperationToProto(record, &op);
  EXPECT_EQ(op.state(), v1::FAILED);
  EXPECT_EQ(op.kind(), v1::IMPORT_SET);
  EXPECT_EQ(op.spec().import_set().backup_ids(0), kBackupId);
  ASSERT_TRUE(op.result().has_import_set());
  EXPECT_EQ(op.result().import_set().entries(0).gpo().guid(), kGuid);
  EXPECT_TRUE(op.has_error());
}

TEST(RecordConversionTest, LroShapes) {
  google::longrunning::Operation lro;
  OperationToLro(FinishedRecord(core::OperationState::kSucceeded), &lro);
  EXPECT_EQ(lro.name(), "operations/op-abcdefghijklmnopqrstuvwxyz");
  EXPECT_TRUE(lro.done());
  ASSERT_TRUE(lro.has_response());
  v1::OperationResult result;
  ASSERT_TRUE(lro.response().UnpackTo(&result));
  EXPECT_EQ(result.backup().backup_id(), kBackupId);
  v1::Operation metadata;
  ASSERT_TRUE(lro.metadata().UnpackTo(&metadata));
  EXPECT_EQ(metadata.state(), v1::SUCCEEDED);

  OperationToLro(FinishedRecord(core::OperationState::kFailed), &lro);
  EXPECT_TRUE(lro.done());
  ASSERT_TRUE(lro.has_error());
  EXPECT_EQ(lro.error().code(), 13);

  engine::OperationRecord running = FinishedRecord(core::OperationState::kSucceeded);
  running.state = core::OperationState::kRunning;
  running.effects.reset();
  OperationToLro(running, &lro);
  EXPECT_FALSE(lro.done());
  EXPECT_FALSE(lro.has_response());
  EXPECT_FALSE(lro.has_error());
}

TEST(StreamItemConversionTest, EventsProgressAndHeartbeats) {
  engine::Event event;
  event.operation_id = "op-abcdefghijklmnopqrstuvwxyz";
  event.sequence = 3;
  event.revision = 99;
  event.kind = core::OperationKind::kReport;
  event.state = core::OperationState::kCancelled;
  event.hresult = 0x800704C7u;
  core::StatusMessage message;
  message.object_path = "p";
  message.error_code = 0x80070002u;
  message.message = "m";
  message.severity = core::Severity::kWarning;
  event.messages = {message};
  event.error = core::MakeError(core::Code::kCancelled, core::reason::kCancelled, "cancelled");
  event.effects = core::Effects::kNone;

  v1::StatusUpdate update;
  ASSERT_TRUE(StreamItemToProto(engine::StreamItem(event), &update));
  ASSERT_TRUE(update.has_event());
  EXPECT_EQ(update.event().sequence(), 3u);
  EXPECT_EQ(update.event().revision(), 99u);
  EXPECT_EQ(update.event().kind(), v1::REPORT);
  EXPECT_EQ(update.event().state(), v1::CANCELLED);
  EXPECT_EQ(update.event().hresult(), 0x800704C7u);
  ASSERT_EQ(update.event().messages_size(), 1);
  EXPECT_EQ(update.event().messages(0).error_code(), 0x80070002u);
  EXPECT_EQ(update.event().messages(0).severity(), v1::WARNING);
  EXPECT_EQ(update.event().error().code(), 1);
  EXPECT_EQ(update.event().effects(), v1::NONE);
  EXPECT_FALSE(update.event().has_result());

  ASSERT_TRUE(StreamItemToProto(engine::StreamItem(engine::Progress{3, 10, 2}), &update));
  ASSERT_TRUE(update.has_progress());
  EXPECT_EQ(update.progress().denominator(), 10);

  EXPECT_FALSE(update.progress().has_observe_time());  // not known: absent

  engine::Progress observed{4, 10, 2};
  observed.observed =
      engine::Time() + std::chrono::seconds(1700000000) + std::chrono::microseconds(123456);
  ASSERT_TRUE(StreamItemToProto(engine::StreamItem(observed), &update));
  ASSERT_TRUE(update.progress().has_observe_time());
  EXPECT_EQ(update.progress().observe_time().seconds(), 1700000000);
  EXPECT_EQ(update.progress().observe_time().nanos(), 123456000);
  EXPECT_EQ(update.progress().numerator(), 4);

  v1::WatchOperationsResponse watch;
  EXPECT_FALSE(StreamItemToProto(engine::StreamItem(engine::Progress{3, 10, 2}), &watch));
  ASSERT_TRUE(
      StreamItemToProto(engine::StreamItem(engine::Heartbeat{0, 77, engine::Time()}), &watch));
  EXPECT_EQ(watch.heartbeat().revision(), 77u);
  ASSERT_TRUE(StreamItemToProto(engine::StreamItem(event), &watch));
  EXPECT_EQ(watch.event().operation_id(), event.operation_id);
}

}  // namespace
}  // namespace gpop::api
