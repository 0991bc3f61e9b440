// Proto <-> core/engine conversion for gpop.v1 and google.longrunning, with full request
// validation: every request field is checked here (or, for the spec, by core::ValidateSpec)
// before the engine sees it, and a bad one is INVALID_ARGUMENT, reason INVALID_FIELD, naming
// the field by its proto path ("spec.backup.comment") in the message and in metadata "field".

#ifndef GPOP_SERVICE_API_CONVERSION_H_
#define GPOP_SERVICE_API_CONVERSION_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "google/longrunning/operations.pb.h"
#include "gpop/v1/operations.pb.h"
#include "service/core/backend.h"
#include "service/core/operation.h"
#include "service/engine/engine.h"
#include "service/engine/types.h"

namespace gpop::api {

// Request limits that are not part of the engine's own checks.
inline constexpr size_t kMaxRequestIdLength = 128;
inline constexpr size_t kMaxLabels = 32;
inline constexpr size_t kMaxLabelKeyLength = 63;
inline constexpr size_t kMaxLabelValueLength = 63;
inline constexpr size_t kMaxFilterLength = 2048;
inline constexpr size_t kMaxPageTokenLength = 2048;
// "operations/" + an operation id: the google.longrunning name of an operation.
inline constexpr char kLroNamePrefix[] = "operations/";

// --- Requests (validated) -------------------------------------------------------------------

// SpecFromProto
//
// The spec of a request, checked structurally (exactly one kind, exactly one target or
// subject), by core::ValidateSpec and, when given, by `backend`'s own Validate, with every
// field named as "<field_prefix>.<proto path>".
absl::StatusOr<core::OperationSpec> SpecFromProto(const v1::OperationSpec& spec,
                                                  const std::string& field_prefix = "spec",
                                                  const core::Backend* backend = nullptr);

// StartRequestFromProto
//
// A StartOperationRequest as the engine's StartRequest on behalf of `principal`: request_id
// (empty, or 1-128 printable ASCII), spec, timeout (positive, at most `max_timeout`) and labels
// (at most 32; keys [a-z][a-z0-9_.-]{0,62}; values at most 63 bytes) are all checked; the
// fingerprint is RequestFingerprint(request). `backend`, when given, also validates the spec.
absl::StatusOr<engine::StartRequest> StartRequestFromProto(const v1::StartOperationRequest& request,
                                                           const std::string& principal,
                                                           engine::Duration max_timeout,
                                                           const core::Backend* backend = nullptr);

// RequestFingerprint
//
// Identifies a StartOperationRequest's content for request_id reuse checks: the lower-case hex
// SHA-256 of the request's deterministic serialization with request_id cleared. Deterministic
// serialization orders map entries, so equal requests fingerprint equally within one protobuf
// version; it is not promised to be canonical across protobuf versions, which at worst makes a
// retry across a server upgrade look like a reused request_id.
std::string RequestFingerprint(const v1::StartOperationRequest& request);

// ValidateOperationId
//
// `id` must be an operation id as the engine issues them ("op-" and 26 characters of
// [a-z2-7]); `field` names the request field in the error. Well-formed but unknown ids are left
// to the engine (NOT_FOUND).
absl::Status ValidateOperationId(const std::string& field, const std::string& id);

// OperationIdFromLroName
//
// The operation id of a google.longrunning name "operations/<id>", validated as above.
absl::StatusOr<std::string> OperationIdFromLroName(const std::string& field,
                                                   const std::string& name);

// ListRequestFromProto
//
// A list request: page_size >= 0 (larger than 1000 is capped by the engine), filter and
// page_token bounded in length (their content is checked by the engine).
absl::StatusOr<engine::ListRequest> ListRequestFromProto(const v1::ListOperationsRequest& request);
absl::StatusOr<engine::ListRequest> ListRequestFromProto(
    const google::longrunning::ListOperationsRequest& request);

// WatchFilterFromProto
//
// The filter of a WatchOperationsRequest, bounded in length.
absl::StatusOr<std::string> WatchFilterFromProto(const v1::WatchOperationsRequest& request);

// BackupQueryFromProto
//
// A ListBackupsRequest: location a plain name, gpo (when set) exactly one of guid/display_name.
absl::StatusOr<core::Backend::BackupQuery> BackupQueryFromProto(
    const v1::ListBackupsRequest& request);

// DurationFromProto
//
// A google.protobuf.Duration that must be valid, positive and at most `max`.
absl::StatusOr<engine::Duration> DurationFromProto(const std::string& field,
                                                   const google::protobuf::Duration& duration,
                                                   engine::Duration max);

// TimeToProto / TimeFromProto
//
// engine::Time as google.protobuf.Timestamp and back; a timestamp engine::Time cannot hold
// (before 1685 or after 2255, nanos outside 0-999,999,999) is INVALID_ARGUMENT naming `field`.
void TimeToProto(engine::Time time, google::protobuf::Timestamp* out);
absl::StatusOr<engine::Time> TimeFromProto(const std::string& field,
                                           const google::protobuf::Timestamp& time);

// --- Records and stream items (engine -> proto) ---------------------------------------------

void SpecToProto(const core::OperationSpec& spec, v1::OperationSpec* out);
void GpoToProto(const core::GpoInfo& gpo, v1::GpoInfo* out);
void BackupToProto(const core::BackupInfo& backup, v1::BackupInfo* out);

// The largest report whose text an operation result carries inline (1 MiB); larger ones only
// by size and summary, so that no event or Operation message nears the 4 MiB a default gRPC
// client accepts. DownloadReport (transfer_service.h) sends reports of any size.
inline constexpr size_t kInlineReportBytes = size_t{1} << 20;

// ReportToProto
//
// A report result: format, size, summary, and the text when at most kInlineReportBytes.
void ReportToProto(const core::ReportInfo& report, v1::ReportInfo* out);
void ResultToProto(const core::OperationResult& result, v1::OperationResult* out);
void OperationToProto(const engine::OperationRecord& record, v1::Operation* out);
void EventToProto(const engine::Event& event, v1::Event* out);
void ProgressToProto(const engine::Progress& progress, v1::Progress* out);
void HeartbeatToProto(const engine::Heartbeat& heartbeat, v1::Heartbeat* out);

// StreamItemToProto
//
// A cursor's item as a StatusUpdate, or as a WatchOperationsResponse. Returns false when the
// item has no place in that stream (watch streams carry no progress), so it is skipped.
bool StreamItemToProto(const engine::StreamItem& item, v1::StatusUpdate* out);
bool StreamItemToProto(const engine::StreamItem& item, v1::WatchOperationsResponse* out);

// OperationToLro
//
// An operation as google.longrunning.Operation: name "operations/<id>", metadata
// Any(gpop.v1.Operation), done when terminal, then response Any(gpop.v1.OperationResult) when
// SUCCEEDED or error (the operation's google.rpc.Status) when FAILED or CANCELLED.
void OperationToLro(const engine::OperationRecord& record, google::longrunning::Operation* out);

}  // namespace gpop::api

#endif  // GPOP_SERVICE_API_CONVERSION_H_
