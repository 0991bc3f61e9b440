// The one conversion from the core error type to absl::Status (and back), used by the engine.
// AIP-193 details travel in the status payload under kErrorInfoUrl, so that service/api can build
// google.rpc.ErrorInfo from any engine status in one place.

#ifndef GPOP_SERVICE_ENGINE_STATUS_CONVERT_H_
#define GPOP_SERVICE_ENGINE_STATUS_CONVERT_H_

#include <map>
#include <string>

#include "absl/status/status.h"
#include "service/core/error.h"

namespace gpop::engine {

// The payload type URL under which reason, metadata and HRESULT travel in an absl::Status.
inline constexpr char kErrorInfoUrl[] = "type.gpop.dev/gpop.ErrorInfo";

// ToStatus
//
// `error` as an absl::Status with the same code and message, and its reason, metadata and
// HRESULT in the kErrorInfoUrl payload.
absl::Status ToStatus(const core::Error& error);
absl::Status ToStatus(const core::Status& status);

// ToError
//
// The inverse: an absl::Status (from ToStatus or from anywhere) as a core::Error. A status
// without the payload gets reason "INTERNAL" for code INTERNAL/UNKNOWN, else its code's name.
core::Error ToError(const absl::Status& status);

// MakeStatus
//
// Shorthand: ToStatus(core::MakeError(code, reason, message, metadata)).
absl::Status MakeStatus(core::Code code, const std::string& reason, const std::string& message,
                        std::map<std::string, std::string> metadata = {});

}  // namespace gpop::engine

#endif  // GPOP_SERVICE_ENGINE_STATUS_CONVERT_H_
