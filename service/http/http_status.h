// AIP-193 over HTTP: the HTTP status of a canonical code and the JSON error body
// ({"error": {"code", "message", "status", "details": [ErrorInfo]}}), built from the same
// google.rpc.Status that status_mapping.h gives gRPC callers.

#ifndef GPOP_SERVICE_HTTP_HTTP_STATUS_H_
#define GPOP_SERVICE_HTTP_HTTP_STATUS_H_

#include <string>

#include "absl/status/status.h"

namespace gpop::http {

// HttpStatusOf
//
// The HTTP status that google.api.http gives a canonical code (google/rpc/code.proto's
// table): INVALID_ARGUMENT 400, NOT_FOUND 404, RESOURCE_EXHAUSTED 429, UNAVAILABLE 503, ...
int HttpStatusOf(absl::StatusCode code);

// ErrorBody
//
// `status` (not OK) as the AIP-193 JSON error body: code is the HTTP status, status the
// canonical code's name, details the one google.rpc.ErrorInfo of domain "gpop.dev" in protobuf's
// JSON mapping (with "@type").
std::string ErrorBody(const absl::Status& status);

// IsRetryable
//
// True when the same request may succeed later unchanged (UNAVAILABLE): streams that end so are
// resumed by their clients; every other error is final for that cursor.
bool IsRetryable(const absl::Status& status);

}  // namespace gpop::http

#endif  // GPOP_SERVICE_HTTP_HTTP_STATUS_H_
