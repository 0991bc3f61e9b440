// Cancelling operations: CancelOperation, an operation's deadline, and planned shutdown's cancel
// of the runs still going after the grace period. A queued operation ends at once; a running one
// goes to CANCELLING and its backend is asked to stop (past its commit point the cancel no
// longer applies, but the record shows it was asked).

#ifndef GPOP_SERVICE_ENGINE_CANCELLATION_H_
#define GPOP_SERVICE_ENGINE_CANCELLATION_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "service/engine/engine_core.h"

namespace gpop::engine {

// Cancellation
//
// Thread-safe. Methods named *Locked need core->s.mu (asserted); the others must be called
// without it (they write the store and run the backends' cancel callbacks).
class Cancellation {
 public:
  explicit Cancellation(EngineCore* core) : core_(core) {}

  // See Engine::Cancel.
  absl::StatusOr<OperationRecord> Cancel(const std::string& principal, const std::string& id);

  // Arms `op`'s deadline timer: past it, a queued operation fails DEADLINE_EXCEEDED and a
  // running one is cancelled (on the maintenance thread).
  void ScheduleDeadlineLocked(Op* op);

  // Shutdown's grace period is over: cancels every running operation.
  void CancelAllRunning();

 private:
  void OnDeadline(const std::string& id);
  // Schedules the commit of CANCELLING for cancel_commit_wait from now; 0 when it must be now.
  Clock::TimerId ScheduleCancellingCommit();
  // Moves a running operation to CANCELLING and returns its token, for the caller to call
  // RequestCancel on after unlocking (the backend's cancel callbacks may call back into the
  // engine). Null when the backend already passed its commit point.
  std::shared_ptr<core::CancelToken> BeginCancelLocked(Op* op) GPOP_REQUIRES(core_->s.mu);

  EngineCore* const core_;
};

}  // namespace gpop::engine

#endif  // GPOP_SERVICE_ENGINE_CANCELLATION_H_
