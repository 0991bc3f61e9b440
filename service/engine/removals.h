// Removing finished operations: retention by age (one timer, for the oldest finished operation:
// nothing per operation) and by count (the oldest beyond retained_operations), and LRO
// DeleteOperation. A removed operation answers
// OPERATION_EXPIRED (retention) or OPERATION_DELETED (Delete), also after a restart. Removals
// write the store, so they run on the maintenance thread or the caller's, never the clock's.
// An operation leaves the engine only once the store deleted it: when the store refuses, it
// stays retained and visible; Delete returns the error, retention tries again after
// `removal_retry` (a timer, so neither a busy loop nor a blocked clock thread).

#ifndef GPOP_SERVICE_ENGINE_REMOVALS_H_
#define GPOP_SERVICE_ENGINE_REMOVALS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "service/engine/engine_core.h"

namespace gpop::engine {

// Removals
//
// Thread-safe. Methods named *Locked need core->s.mu (asserted); the others must be called
// without it.
class Removals {
 public:
  explicit Removals(EngineCore* core) : core_(core) {}

  // See Engine::Delete.
  absl::Status Delete(const std::string& id);

  // Retention by age: `op` (finished now, in the table's finished order) is removed once
  // `retention` has passed since it ended. One timer serves every finished operation: it is due
  // when the oldest is, and its pass removes all that are due (in finish order) on the
  // maintenance thread, then sets itself for the next oldest.
  void ScheduleLocked(Op* op);
  // The same for a finished operation that is in the store only (recovery; already in the
  // table's finished order with its end time).
  void ScheduleLocked(const std::string& id, Time end_time);

  // Retention by count, once terminal events are durable (only those may be removed): queues
  // the removal of the oldest finished operations beyond the limit on the maintenance thread.
  void RemoveExcessLaterLocked();

  // Removes finished operations (unknown, unfinished or already removed ids are skipped), in
  // batches of kStoreBatch per Store::DeleteAll; afterwards they answer OPERATION_EXPIRED or
  // OPERATION_DELETED as `why` says. Returns the store's first error (the ids it refused stay,
  // and are added to `refused` if given); `removed`, if given, counts the ids the store did
  // remove.
  absl::Status Remove(const std::vector<std::string>& ids, Removal why,
                      std::vector<std::string>* refused = nullptr, size_t* removed = nullptr);

 private:
  // Sets the age timer for the oldest finished operation, unless one is set at or before then;
  // not before `not_before`.
  void ScheduleAgeLocked(Time not_before = Time());
  // The age timer's pass, on the maintenance thread.
  void RemoveExpired();
  void RemoveExcess();

  // Removals an age pass makes at most at once (under the mutex it only reads the order).
  static constexpr size_t kAgeBatch = 256;
  // Operations removed by one Store::DeleteAll (one transaction): large enough that a removal
  // pass past the cap costs one sync, small enough that it holds the store's writer briefly.
  static constexpr size_t kStoreBatch = 256;

  EngineCore* const core_;
  bool excess_removal_scheduled_ GPOP_GUARDED_BY(core_->s.mu) = false;
  // The store refused a count-based removal: none is tried before the retry timer.
  bool excess_removal_paused_ GPOP_GUARDED_BY(core_->s.mu) = false;
  // The age timer: when it is due (it is set when age_due_ is), or a pass runs now.
  std::optional<Time> age_due_ GPOP_GUARDED_BY(core_->s.mu);
  bool age_pass_running_ GPOP_GUARDED_BY(core_->s.mu) = false;
};

}  // namespace gpop::engine

#endif  // GPOP_SERVICE_ENGINE_REMOVALS_H_
