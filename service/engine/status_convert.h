// The one conversion from the core error type to absl::Status (and back), used by the engine.
// AIP-193 details travel in the status payload as a serialized google.rpc.ErrorInfo (domain
// "gpop.dev", the reason, the metadata, the HRESULT as metadata "hresult") under kErrorInfoUrl,
// so that service/api turns any engine status into a gRPC status in one place.

#ifndef GPOP_SERVICE_ENGINE_STATUS_CONVERT_H_
#define GPOP_SERVICE_ENGINE_STATUS_CONVERT_H_

#include <map>
#include <string>

#include "absl/status/status.h"
#include "google/rpc/error_details.pb.h"
#include "service/core/error.h"

namespace gpop::engine {

// The payload type URL under which the serialized google.rpc.ErrorInfo travels in an
// absl::Status (the URL an Any of it would carry).
inline constexpr char kErrorInfoUrl[] = "type.googleapis.com/google.rpc.ErrorInfo";
// The ErrorInfo domain of every gpop error.
inline constexpr char kErrorDomain[] = "gpop.dev";

// ToErrorInfo
//
// `error`'s reason (its code's name when empty), domain kErrorDomain, metadata and HRESULT
// (metadata "hresult", 0x%08X) as a google.rpc.ErrorInfo.
google::rpc::ErrorInfo ToErrorInfo(const core::Error& error);

// ToStatus
//
// `error` as an absl::Status with the same code and message, and its reason, metadata and
// HRESULT in the kErrorInfoUrl payload (a serialized google.rpc.ErrorInfo).
absl::Status ToStatus(const core::Error& error);
absl::Status ToStatus(const core::Status& status);

// ToError
//
// The inverse: an absl::Status (from ToStatus or from anywhere) as a core::Error. A status
// without the payload (or with one that does not parse) gets reason "INTERNAL" for code
// INTERNAL/UNKNOWN, else its code's name.
core::Error ToError(const absl::Status& status);

// MakeStatus
//
// Shorthand: ToStatus(core::MakeError(code, reason, message, metadata)).
absl::Status MakeStatus(core::Code code, const std::string& reason, const std::string& message,
                        std::map<std::string, std::string> metadata = {});

}  // namespace gpop::engine

#endif  // GPOP_SERVICE_ENGINE_STATUS_CONVERT_H_
