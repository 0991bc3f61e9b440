// The queue of operations waiting to run and the admission of the next ones: executor slots,
// the per-principal running and queued limits and resource locks, first come first served.

#ifndef GPOP_SERVICE_ENGINE_SCHEDULER_H_
#define GPOP_SERVICE_ENGINE_SCHEDULER_H_

#include <deque>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "service/engine/operation.h"
#include "service/engine/principal_limits.h"
#include "service/engine/resource_locks.h"

namespace gpop::engine {

// Scheduler
//
// Queued and running counts, overall and per principal, and the locks of running operations.
// Not thread-safe (the engine guards it with its mutex); holds Op pointers it does not own.
class Scheduler {
 public:
  Scheduler(int executor_threads, PrincipalLimits limits);

  // OK when `principal` may queue one more operation; else RESOURCE_EXHAUSTED (QUEUE_FULL,
  // scope=principal, with its limit).
  absl::Status RoomToQueue(const std::string& principal) const;

  void Enqueue(Op* op);
  // Takes a queued operation out of the queue (cancelled or past its deadline). False if it was
  // not queued.
  bool Dequeue(Op* op);

  // Moves every operation that may run now from the queue to running, in queue order, taking
  // its locks. An operation whose QUEUED event is not durable yet may be admitted (its RUNNING
  // event rides in the same commit). When nothing that could let a waiting operation run
  // happened since the last pass (a run ended, an operation left the queue), only the
  // operations queued since are looked at: a Start costs its own claims, not the queue's.
  std::vector<Op*> Admit();

  // A run is over: its locks and running slot go to the next.
  void EndRun(Op* op);

  // At dispatch, before the backend runs `op`: the claims of `claims` that `op` does not hold
  // yet (a write where it holds only a read is not held). Empty when its locks cover them.
  std::vector<core::ResourceClaim> Uncovered(const Op* op,
                                             const std::vector<core::ResourceClaim>& claims) const;
  // Grants a dispatched `op` the claims `more` on top of its own and records them in
  // op->claims (released by EndRun), when no other running operation holds a conflicting lock;
  // false, and nothing changed, when one does.
  bool Extend(Op* op, const std::vector<core::ResourceClaim>& more);

  int queued() const { return queued_; }
  int running() const { return running_; }
  int queued_of(const std::string& principal) const {
    return CountOf(queued_per_principal_, principal);
  }
  int running_of(const std::string& principal) const {
    return CountOf(running_per_principal_, principal);
  }

 private:
  static int CountOf(const std::map<std::string, int>& counts, const std::string& key);
  static void Decrement(std::map<std::string, int>* counts, const std::string& key);
  // Whether `op` may run now, given the claims of the operations waiting ahead of it.
  bool GrantableLocked(const Op* op, const WaitingClaims& ahead) const;
  // Moves the queued `*it` to running; returns the next position.
  std::deque<Op*>::iterator RunLocked(std::deque<Op*>::iterator it);
  // Takes `op` off the queue's counts (it left the queue).
  void LeftQueue(const Op* op);

  const int executor_threads_;
  const PrincipalLimits limits_;
  std::deque<Op*> queue_;
  ResourceLocks locks_;
  int queued_ = 0;
  int running_ = 0;
  std::map<std::string, int> queued_per_principal_;
  std::map<std::string, int> running_per_principal_;
  // The claims of every queued operation.
  WaitingClaims queued_claims_;
  // While `settled_`, the first `checked_` queued operations were found unable to run by the
  // last pass and nothing since could have changed that (a run's end or a Dequeue clears it).
  bool settled_ = false;
  size_t checked_ = 0;
};

}  // namespace gpop::engine

#endif  // GPOP_SERVICE_ENGINE_SCHEDULER_H_
