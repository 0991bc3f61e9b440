// AIP-193 error mapping: the one place where an engine status (absl::Status carrying a
// serialized google.rpc.ErrorInfo under engine::kErrorInfoUrl) becomes a gRPC status, and where
// a core error becomes a google.rpc.Status with one google.rpc.ErrorInfo in domain "gpop.dev".

#ifndef GPOP_SERVICE_API_STATUS_MAPPING_H_
#define GPOP_SERVICE_API_STATUS_MAPPING_H_

#include <cstdint>

#include "absl/status/status.h"
#include "google/rpc/status.pb.h"
#include "grpcpp/support/status.h"
#include "service/core/error.h"
#include "service/engine/status_convert.h"

namespace gpop::api {

// The ErrorInfo domain of every gpop error.
using engine::kErrorDomain;

// An error whose metadata has kRetryDelayMetadata (milliseconds, decimal) also carries a
// google.rpc.RetryInfo with that delay; any other RESOURCE_EXHAUSTED (a queue or stream limit,
// whose room frees at no known time) carries kDefaultRetryDelayMs.
inline constexpr char kRetryDelayMetadata[] = "retry_delay_ms";
inline constexpr int64_t kDefaultRetryDelayMs = 1000;
// The reason of a StartOperation refused by the per-principal rate limit.
inline constexpr char kStartRateLimited[] = "START_RATE_LIMITED";

// ToRpcStatus
//
// `error` as google.rpc.Status: the same code and message, and one google.rpc.ErrorInfo{reason,
// domain "gpop.dev", metadata} detail (plus a google.rpc.RetryInfo after it when the metadata
// has kRetryDelayMetadata, or the code is RESOURCE_EXHAUSTED). A raw HRESULT goes into metadata "hresult" as 0x%08X. Used for the
// error of a failed or cancelled operation.
google::rpc::Status ToRpcStatus(const core::Error& error);

// ToGrpcStatus
//
// An engine status as the status of an RPC: code, message and, for any error, the serialized
// ToRpcStatus in the `grpc-status-details-bin` trailer. A status without gpop's payload gets the
// reason ToError gives it ("INTERNAL", or its code's name).
grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace gpop::api

#endif  // GPOP_SERVICE_API_STATUS_MAPPING_H_
