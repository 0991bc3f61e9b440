// Admission: StartOperation's path. Validates the request, answers a retried request_id with
// the operation it created (resident, or in the store only), refuses past the queue limits,
// then creates the operation, queues it and returns once its QUEUED event is durable.

#ifndef GPOP_SERVICE_ENGINE_ADMISSION_H_
#define GPOP_SERVICE_ENGINE_ADMISSION_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "service/engine/engine_core.h"

namespace gpop::engine {

// Admission
//
// Thread-safe; call without core->s.mu.
class Admission {
 public:
  explicit Admission(EngineCore* core) : core_(core) {}

  // See Engine::Start.
  absl::StatusOr<OperationRecord> Start(const StartRequest& request);

 private:
  // A request_id's operation when it is in the store only (finished, left memory).
  struct StoredRequest {
    std::optional<OperationRecord> record;
    uint64_t evictions = 0;  // the table's count before the store was read
  };
  absl::StatusOr<StoredRequest> ReadStoredRequest(const StartRequest& request);
  absl::Status ValidateRequest(const StartRequest& request);
  absl::Status QueueLimitsLocked(const std::string& principal) GPOP_REQUIRES(core_->s.mu);
  // Creates, records and queues the operation; returns it.
  Op* CreateLocked(const StartRequest& request) GPOP_REQUIRES(core_->s.mu);

  EngineCore* const core_;
};

}  // namespace gpop::engine

#endif  // GPOP_SERVICE_ENGINE_ADMISSION_H_
