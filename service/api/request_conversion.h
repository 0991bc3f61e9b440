// gpop.v1 and google.longrunning requests -> the engine's and backend's requests, with full
// validation: every request field is checked here (or, for the spec, in spec_conversion.h)
// before the engine sees it, and a bad one is INVALID_ARGUMENT, reason INVALID_FIELD, naming
// the field by its proto path in the message and in metadata "field".

#ifndef GPOP_SERVICE_API_REQUEST_CONVERSION_H_
#define GPOP_SERVICE_API_REQUEST_CONVERSION_H_

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "google/longrunning/operations.pb.h"
#include "gpop/v1/operations.pb.h"
#include "service/core/backend.h"
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

}  // namespace gpop::api

#endif  // GPOP_SERVICE_API_REQUEST_CONVERSION_H_
