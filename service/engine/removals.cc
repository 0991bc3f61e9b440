#include "service/engine/removals.h"

#include <algorithm>

#include "service/engine/reads.h"
#include "service/engine/status_convert.h"
#include "service/engine/stream_wiring.h"

namespace gpop::engine {

absl::Status Removals::Delete(const std::string& id) {
  {
    absl::StatusOr<Reads::Pin> pin = core_->reads->PinResident(id);
    if (!pin.ok()) return pin.status();
    core::MutexLock lock(&core_->s.mu);
    absl::Status found = core_->reads->FoundLocked(id);
    if (!found.ok()) return found;
    if (!core::IsTerminal(core_->s.ops.Find(id)->visible.state)) {
      return MakeStatus(core::Code::kFailedPrecondition, core::reason::kOperationNotFinished,
                        "operation \"" + id + "\" has not finished; cancel it first",
                        {{"operation_id", id}});
    }
  }
  return Remove({id}, Removal::kDeleted);
}

void Removals::ScheduleLocked(Op* /*op*/) {
  core_->s.mu.AssertHeld();
  ScheduleAgeLocked();
}

void Removals::ScheduleLocked(const std::string& /*id*/, Time /*end_time*/) {
  core_->s.mu.AssertHeld();
  ScheduleAgeLocked();
}

void Removals::ScheduleAgeLocked(Time not_before) {
  core_->s.mu.AssertHeld();
  if (age_pass_running_) return;  // the pass sets the next timer when it ends
  std::optional<Time> oldest = core_->s.ops.OldestFinishedEnd();
  if (!oldest) return;
  Time due = std::max(*oldest + core_->options.retention, not_before);
  if (age_due_ && *age_due_ <= due) return;  // that timer's pass covers this one
  // A later timer already set (the oldest is newer than when it was set: a clock stepped
  // back) runs a pass that finds nothing due; harmless.
  age_due_ = due;
  if (due <= core_->clock->Now()) {
    core_->maintenance.Post([this] { RemoveExpired(); });  // due already: no timer
    return;
  }
  core_->ScheduleWork(due, [this] { RemoveExpired(); });
}

void Removals::RemoveExpired() {
  std::vector<std::string> due;
  {
    core::MutexLock lock(&core_->s.mu);
    if (age_pass_running_) return;  // an earlier timer's pass: this one's work is its
    age_pass_running_ = true;
    age_due_.reset();
    due = core_->s.ops.FinishedBy(core_->clock->Now() - core_->options.retention, kAgeBatch);
  }
  std::vector<std::string> refused;
  size_t removed = 0;
  (void)Remove(due, Removal::kExpired, &refused, &removed);  // refused: tried again below
  core::MutexLock lock(&core_->s.mu);
  age_pass_running_ = false;
  if (removed == kAgeBatch) {
    // More may be due: the next batch at once (the mutex was free between the batches).
    age_due_ = core_->clock->Now();
    core_->maintenance.Post([this] { RemoveExpired(); });
    return;
  }
  // Whatever is still due (refused by the store, held by another removal, or a resident one
  // whose terminal event is not durable yet) is tried again after removal_retry, so neither a
  // busy loop nor a blocked clock thread.
  ScheduleAgeLocked(core_->clock->Now() + (due.size() > removed ? core_->options.removal_retry
                                                                : Duration::zero()));
}

void Removals::RemoveExcessLaterLocked() {
  core_->s.mu.AssertHeld();
  if (core_->s.ops.finished_count() <= static_cast<size_t>(core_->options.retained_operations) ||
      excess_removal_scheduled_ || excess_removal_paused_) {
    return;
  }
  excess_removal_scheduled_ = true;
  core_->maintenance.Post([this] { RemoveExcess(); });
}

void Removals::RemoveExcess() {
  std::vector<std::string> remove;
  {
    core::MutexLock lock(&core_->s.mu);
    size_t limit = static_cast<size_t>(core_->options.retained_operations);
    size_t finished = core_->s.ops.finished_count();
    if (finished > limit) remove = core_->s.ops.OldestFinished(finished - limit);
  }
  std::vector<std::string> refused;
  size_t removed = 0;
  (void)Remove(remove, Removal::kExpired, &refused, &removed);  // refused: tried again below
  core::MutexLock lock(&core_->s.mu);
  excess_removal_scheduled_ = false;  // (held until here: one pass at a time)
  if (refused.empty()) {
    // Operations that finished meanwhile (their commits found this pass scheduled, so they did
    // not schedule one): another pass if this one removed any, so that ids another removal
    // holds (or not yet durable, retried on their own timer) do not make a loop. Comparing the
    // finished count with the pass's start missed them when as many finished as were removed.
    if (removed > 0) RemoveExcessLaterLocked();
    return;
  }
  excess_removal_paused_ = true;
  core_->ScheduleWork(core_->clock->Now() + core_->options.removal_retry, [this] {
    core::MutexLock lock(&core_->s.mu);
    excess_removal_paused_ = false;
    RemoveExcessLaterLocked();
  });
}

absl::Status Removals::Remove(const std::vector<std::string>& ids, Removal why,
                              std::vector<std::string>* refused, size_t* removed) {
  std::vector<std::string> removing;
  {
    core::MutexLock lock(&core_->s.mu);
    for (const std::string& id : ids) {
      // A resident one only once its terminal event is durable: no change of it can still
      // reach the store after the delete. Otherwise it is tried again later. (One in the store
      // only is durable.)
      if (Op* op = core_->s.ops.Find(id); op != nullptr && core_->s.ops.IsFinished(id) &&
                                          (!core::IsTerminal(op->visible.state) ||
                                           op->visible_sequence != op->rec.last_sequence)) {
        core_->ScheduleWork(core_->clock->Now() + std::chrono::seconds(1),
                            [this, id, why] { (void)Remove({id}, why); });
        continue;
      }
      // Unknown, unfinished, removed, or being removed: nothing to do.
      if (core_->s.ops.BeginRemove(id, why)) removing.push_back(id);
    }
  }
  absl::Status first_error;
  // In batches: one store transaction (one sync with SQLite) per batch, not per operation.
  for (size_t begin = 0; begin < removing.size(); begin += kStoreBatch) {
    const size_t end = std::min(removing.size(), begin + kStoreBatch);
    const std::vector<std::string> batch(removing.begin() + static_cast<ptrdiff_t>(begin),
                                         removing.begin() + static_cast<ptrdiff_t>(end));
    size_t deleted = 0;
    absl::Status status = core_->store->DeleteAll(batch, why, &deleted);
    deleted = std::min(deleted, batch.size());
    Wakes wakes;
    {
      core::MutexLock lock(&core_->s.mu);
      for (size_t i = 0; i < batch.size(); ++i) {
        // Cursors of a removed operation end with OPERATION_EXPIRED (or _DELETED) on their
        // next poll; the operation stays, with its cursors, if the store refused.
        if (Op* op = core_->s.ops.Find(batch[i]); op != nullptr && i < deleted) {
          StreamWiring::TakeOpWakesLocked(op, &wakes);
        }
        core_->s.ops.EndRemove(batch[i], i < deleted);
      }
    }
    RunWakes(&core_->s, &wakes);
    if (removed != nullptr) *removed += deleted;
    if (deleted == batch.size()) continue;
    if (refused != nullptr) refused->insert(refused->end(), batch.begin() + deleted, batch.end());
    if (first_error.ok()) {
      if (status.ok()) status = absl::InternalError("removed fewer than asked");
      first_error = MakeStatus(core::Code::kUnavailable, core::reason::kInternal,
                               "the operation store could not remove operation \"" +
                                   batch[deleted] + "\" (" + std::string(status.message()) +
                                   "); it is still there, retry later",
                               {{"operation_id", batch[deleted]}});
    }
  }
  return first_error;
}

}  // namespace gpop::engine
