#include "service/engine/removals.h"

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
  Remove({id}, Removal::kDeleted);
  return absl::OkStatus();
}

void Removals::ScheduleLocked(Op* op) {
  ScheduleLocked(op->rec.id, op->rec.end_time.value_or(core_->clock->Now()));
}

void Removals::ScheduleLocked(const std::string& id, Time end_time) {
  core_->s.mu.AssertHeld();
  core_->ScheduleWork(end_time + core_->options.retention,
                      [this, id] { Remove({id}, Removal::kExpired); });
}

void Removals::RemoveExcessLaterLocked() {
  core_->s.mu.AssertHeld();
  if (core_->s.ops.finished_count() <= static_cast<size_t>(core_->options.retained_operations) ||
      excess_removal_scheduled_) {
    return;
  }
  excess_removal_scheduled_ = true;
  core_->maintenance.Post([this] { RemoveExcess(); });
}

void Removals::RemoveExcess() {
  std::vector<std::string> remove;
  {
    core::MutexLock lock(&core_->s.mu);
    excess_removal_scheduled_ = false;
    size_t limit = static_cast<size_t>(core_->options.retained_operations);
    size_t finished = core_->s.ops.finished_count();
    if (finished > limit) remove = core_->s.ops.OldestFinished(finished - limit);
  }
  Remove(remove, Removal::kExpired);
}

void Removals::Remove(const std::vector<std::string>& ids, Removal why) {
  std::vector<std::string> removed;
  Wakes wakes;
  {
    core::MutexLock lock(&core_->s.mu);
    for (const std::string& id : ids) {
      if (!core_->s.ops.IsFinished(id)) continue;  // unknown, removed, or not finished
      // A resident one only once its terminal event is durable: no change of it can still
      // reach the store after the delete. Otherwise retention tries again later. (One in the
      // store only is durable.)
      if (Op* op = core_->s.ops.Find(id)) {
        if (!core::IsTerminal(op->visible.state) ||
            op->visible_sequence != op->rec.last_sequence) {
          core_->ScheduleWork(core_->clock->Now() + std::chrono::seconds(1),
                              [this, id, why] { Remove({id}, why); });
          continue;
        }
        // Cursors of a removed operation end with OPERATION_EXPIRED (or _DELETED) on their
        // next poll.
        StreamWiring::TakeOpWakesLocked(op, &wakes);
      }
      core_->s.ops.Remove(id, why);
      removed.push_back(id);
    }
  }
  RunWakes(&core_->s, &wakes);
  for (const std::string& id : removed) {
    (void)core_->store->Delete(id, why);
    core::MutexLock lock(&core_->s.mu);
    core_->s.ops.RemoveDone(id);  // from here on the store answers why it was removed
  }
}

}  // namespace gpop::engine
