#include "service/engine/committer.h"

#include <utility>

#include "service/engine/engine_errors.h"
#include "service/engine/executor.h"
#include "service/engine/removals.h"
#include "service/engine/status_convert.h"
#include "service/engine/stream_wiring.h"

namespace gpop::engine {

Committer::Committer(EngineCore* core) : core_(core) {
  if (core_->store->CommitBlocks()) flusher_ = std::make_unique<WorkQueue>(1);
}

void Committer::FlushSoon() {
  if (flusher_ == nullptr) {
    Flush();
    return;
  }
  {
    core::MutexLock lock(&flush_mu_);
    if (flusher_stopped_) {
      flush_mu_.Unlock();
      Flush();  // no flusher any more (the engine is going): this thread leads
      flush_mu_.Lock();
      return;
    }
    // The task posted earlier clears the flag before it flushes, so it takes what this
    // caller queued before it looked.
    if (flush_posted_) return;
    flush_posted_ = true;
  }
  flusher_->Post([this] {
    {
      core::MutexLock lock(&flush_mu_);
      flush_posted_ = false;
    }
    Flush();
  });
}

void Committer::StopFlusher() {
  if (flusher_ == nullptr) return;
  flusher_->Stop();
  core::MutexLock lock(&flush_mu_);
  flusher_stopped_ = true;
}

void Committer::Flush() {
  std::vector<Clock::TimerId> timers_to_cancel;
  bool failed_now = false;
  {
    core::MutexLock lock(&core_->s.mu);
    for (;;) {
      std::vector<Store::Change> batch = core_->s.log.TakeBatch();
      if (batch.empty()) break;
      core_->s.mu.Unlock();
      absl::Status s = core_->store->Commit(batch);
      core_->s.mu.Lock();
      if (!s.ok()) {
        // Fail-stop: nothing of the batch is durable, so none of it is ever shown (no number
        // is reused), nothing more is dispatched or committed, and readiness goes down. The
        // operator restarts gpopd once the store is healthy; recovery starts from what is
        // durable.
        core_->s.log.Failed(s);
        failed_now = true;
        durable_cv_.SignalAll();
        std::vector<Completion> due = TakeDueLocked();
        RunUnlocked(due, StoreFailedLocked());
        break;
      }
      core_->s.log.Committed(batch);
      for (const Store::Change& change : batch) ApplyLocked(change);
      core_->s.log.Trim();
      core_->streams->WatchesChangedLocked();
      durable_cv_.SignalAll();
      core_->executor->WakeLocked();      // runs whose RUNNING rode with their creation
      core_->executor->DispatchLocked();  // what this batch made runnable
      core_->removals->RemoveExcessLaterLocked();
      // Answered per batch, not when the leader is done: later batches may keep it busy.
      std::vector<Completion> due = TakeDueLocked();
      RunUnlocked(due, absl::OkStatus());
    }
    timers_to_cancel.swap(timers_to_cancel_);
  }
  for (Clock::TimerId t : timers_to_cancel) core_->timers.Cancel(t);
  if (failed_now) core_->NotifyNotServing();
}

void Committer::ApplyLocked(const Store::Change& change) {
  Op* op = core_->s.ops.Find(change.record.id);
  if (op == nullptr) return;
  op->visible = change.record;
  op->visible.progress = op->rec.progress;  // progress is a current value, not an event
  if (!change.event) return;
  op->visible_sequence = change.event->sequence;
  core_->streams->OperationChangedLocked(op);
  if (core::IsTerminal(change.event->state)) {
    // Finished and durable: its events are the store's (streams page them from there); memory
    // keeps the record only.
    op->events_base = op->visible_sequence;
    std::vector<EventPtr>().swap(op->events);
    core_->s.ops.Cache(op);  // may leave memory: `op` is not used after this
  }
}

absl::Status Committer::WaitDurable(uint64_t revision) {
  core::MutexLock lock(&core_->s.mu);
  while (core_->s.log.visible_revision() < revision) {
    if (core_->s.log.failed()) return StoreFailedLocked();
    durable_cv_.Wait(&core_->s.mu);
  }
  return absl::OkStatus();
}

void Committer::WhenDurable(uint64_t revision, Completion done) {
  absl::Status now;
  {
    core::MutexLock lock(&core_->s.mu);
    if (abandoned_) {
      now = ShuttingDown();
    } else if (core_->s.log.failed()) {
      now = StoreFailedLocked();
    } else if (core_->s.log.visible_revision() < revision) {
      pending_.emplace(revision, std::move(done));
      return;
    }
  }
  done(now);
}

std::vector<Committer::Completion> Committer::TakeDueLocked() {
  core_->s.mu.AssertHeld();
  auto end = core_->s.log.failed() ? pending_.end()
                                   : pending_.upper_bound(core_->s.log.visible_revision());
  std::vector<Completion> due;
  for (auto it = pending_.begin(); it != end; ++it) due.push_back(std::move(it->second));
  pending_.erase(pending_.begin(), end);
  return due;
}

void Committer::RunUnlocked(std::vector<Completion>& due, const absl::Status& status) {
  if (due.empty()) return;
  core_->s.mu.Unlock();
  for (Completion& done : due) done(status);
  due.clear();  // captured state goes before the mutex is taken again
  core_->s.mu.Lock();
}

void Committer::AbandonPending() {
  std::multimap<uint64_t, Completion> pending;
  {
    core::MutexLock lock(&core_->s.mu);
    abandoned_ = true;
    pending.swap(pending_);
  }
  for (auto& [revision, done] : pending) done(ShuttingDown());
}

absl::Status Committer::StoreFailedLocked() {
  core_->s.mu.AssertHeld();
  return MakeStatus(core::Code::kUnavailable, core::reason::kInternal,
                    "the operation store failed (" +
                        std::string(core_->s.log.error().message()) +
                        "); the server accepts no work until it is restarted");
}

void Committer::ForgetUndurable(const std::string& id) {
  core::MutexLock lock(&core_->s.mu);
  Op* op = core_->s.ops.Find(id);
  if (op == nullptr || op->visible_sequence > 0) return;
  // Dispatched with its creation (its RUNNING event was in the failed commit): the run never
  // started, and ends here so that nothing waits for it.
  if (op->admitted) core_->executor->EndRunLocked(op);
  core_->scheduler.Dequeue(op);
  core_->s.ops.Forget(id);
}

void Committer::CancelTimerLaterLocked(Clock::TimerId timer) {
  core_->s.mu.AssertHeld();
  timers_to_cancel_.push_back(timer);
}

}  // namespace gpop::engine
