// Admission: StartOperation's path. Validates the request, answers a retried request_id with
// the operation it created (resident, or in the store only), refuses past the queue limits,
// then creates the operation, queues it and returns once its QUEUED event is durable.

#ifndef GPOP_SERVICE_ENGINE_ADMISSION_H_
#define GPOP_SERVICE_ENGINE_ADMISSION_H_

#include <cstdint>
#include <functional>
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

  // See Engine::StartAsync.
  using StartDone = std::function<void(absl::StatusOr<OperationRecord>)>;
  void StartAsync(const StartRequest& request, StartDone done);

 private:
  // What Start answers once `revision` is durable (0: it is).
  struct Admitted {
    OperationRecord snapshot;
    uint64_t revision = 0;
  };
  // Everything of Start before the wait: the operation created and queued, or the one a
  // retried request_id created, or the refusal.
  absl::StatusOr<Admitted> Admit(const StartRequest& request);
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
