// The gpop.v1 operations as transport-neutral calls: request validation, the caller's principal,
// the engine call, proto conversion and the log line, in one place. gRPC
// (operations_service.cc) and HTTP/JSON (service/http) are two transports over this one
// implementation: they authenticate the caller, decode a request message, call here, and encode
// the answer or the status (status_mapping.h) in their own way.

#ifndef GPOP_SERVICE_API_OPERATIONS_API_H_
#define GPOP_SERVICE_API_OPERATIONS_API_H_

#include <chrono>
#include <memory>

#include "absl/status/statusor.h"
#include "gpop/v1/operations.pb.h"
#include "service/api/principal.h"
#include "service/core/backend.h"
#include "service/engine/engine.h"

namespace gpop::api {

// ServiceOptions
//
// Request limits checked before the engine does.
struct ServiceOptions {
  // The longest StartOperationRequest.timeout accepted (keep equal to the engine's max_timeout).
  engine::Duration max_timeout = std::chrono::hours(24);
  // The longest WaitOperation waits; longer or unset timeouts are capped to it.
  engine::Duration max_wait = std::chrono::hours(24);
};

// OperationsApi
//
// gpop.v1.GroupPolicyOperations without a transport. Thread-safe; `engine` and `backend` must
// outlive it. Errors are absl::Status with gpop's ErrorInfo payload (service/core/error.h
// reasons); transports map them with status_mapping.h.
//
// Blocking: StartOperation and Cancel wait for a group commit (and Cancel runs the backend's
// cancel subscribers); ListGpos and ListBackups read the backend's store. Transports call those
// off their I/O threads. The other calls only take the engine's mutex.
class OperationsApi {
 public:
  OperationsApi(engine::Engine* engine, core::Backend* backend, ServiceOptions options);

  const ServiceOptions& options() const { return options_; }

  // Blocking calls.
  absl::StatusOr<v1::Operation> StartOperation(const Principal& caller,
                                               const v1::StartOperationRequest& request);
  absl::StatusOr<v1::Operation> Cancel(const Principal& caller, const v1::CancelRequest& request);
  absl::StatusOr<v1::ListGposResponse> ListGpos(const Principal& caller,
                                                const v1::ListGposRequest& request);
  absl::StatusOr<v1::ListBackupsResponse> ListBackups(const Principal& caller,
                                                      const v1::ListBackupsRequest& request);

  // Quick calls.
  absl::StatusOr<v1::Operation> GetOperation(const Principal& caller,
                                             const v1::GetOperationRequest& request);
  absl::StatusOr<v1::ListOperationsResponse> ListOperations(
      const Principal& caller, const v1::ListOperationsRequest& request);

  // Streams: validate the request and open the engine cursor. The transport pumps the cursor
  // (engine.h: Poll, Arm) and converts its items with conversion.h's StreamItemToProto.
  absl::StatusOr<std::unique_ptr<engine::Cursor>> OpenStatusStream(
      const Principal& caller, const v1::StreamStatusRequest& request);
  absl::StatusOr<std::unique_ptr<engine::Cursor>> OpenWatch(
      const Principal& caller, const v1::WatchOperationsRequest& request);

 private:
  engine::Engine* const engine_;
  core::Backend* const backend_;
  const ServiceOptions options_;
};

}  // namespace gpop::api

#endif  // GPOP_SERVICE_API_OPERATIONS_API_H_
