#include "service/engine/committer.h"

#include <algorithm>
#include <utility>

#include "service/engine/engine_errors.h"
#include "service/engine/executor.h"
#include "service/engine/removals.h"
#include "service/engine/status_convert.h"
#include "service/engine/stream_wiring.h"

namespace gpop::engine {

Committer::Committer(EngineCore* core) : core_(core) {
  if (core_->store->CommitBlocks()) {
    flusher_ = std::make_unique<WorkQueue>(1);
    completer_ = std::make_unique<WorkQueue>(1);
  }
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
  bool held;
  {
    core::MutexLock lock(&core_->s.mu);
    holds_stopped_ = true;
    held = hold_until_.has_value();
  }
  if (held) FlushSoon();  // its timer is gone (the engine's timers closed first)
  flusher_->Stop();
  {
    core::MutexLock lock(&flush_mu_);
    flusher_stopped_ = true;
    completer_stopped_ = true;  // later completions run on the thread that leads their batch
  }
  completer_->Stop();  // runs the completions handed to it before
}

void Committer::MarkUnawaitedLocked(const Op& op) {
  core_->s.mu.AssertHeld();
  if (op.status_streams > 0 || core_->s.streams.client_watches() > 0) return;
  ++unawaited_pending_;
}

void Committer::FlushUnawaited() {
  {
    core::MutexLock lock(&core_->s.mu);
    if (HoldLocked()) return;
  }
  FlushSoon();
}

bool Committer::EndHoldLocked() {
  core_->s.mu.AssertHeld();
  if (unawaited_pending_ == 0) return false;
  // A hold not begun yet never begins (the pending changes no longer all count as unawaited);
  // one in place needs a flush.
  unawaited_pending_ = 0;
  return hold_until_.has_value();
}

void Committer::EndHold() {
  bool flush;
  {
    core::MutexLock lock(&core_->s.mu);
    flush = EndHoldLocked();
  }
  if (flush) FlushSoon();
}

bool Committer::HoldingLocked() {
  core_->s.mu.AssertHeld();
  return hold_until_ && unawaited_pending_ > 0 &&
         unawaited_pending_ == core_->s.log.pending_count();
}

bool Committer::holding() {
  core::MutexLock lock(&core_->s.mu);
  return HoldingLocked();
}

void Committer::AwaitHolding() {
  core::MutexLock lock(&core_->s.mu);
  while (!HoldingLocked()) hold_cv_.Wait(&core_->s.mu);
}

bool Committer::HoldLocked() {
  core_->s.mu.AssertHeld();
  const Duration bound = core_->options.end_commit_hold;
  if (bound <= Duration::zero() || flusher_ == nullptr || holds_stopped_ || core_->shutting_down ||
      core_->s.log.failed()) {
    return false;
  }
  // Only changes nobody waits for: no Start answer, no WaitDurable caller still waiting.
  const size_t pending = core_->s.log.pending_count();
  if (pending == 0 || pending != unawaited_pending_ || !pending_.empty()) return false;
  for (const Waiter* w : waiters_) {
    if (!w->released) return false;
  }
  const Time now = core_->clock->Now();
  if (!hold_until_) {
    hold_until_ = now + bound;
    hold_cv_.SignalAll();
  }
  if (now >= *hold_until_) return false;
  if (hold_timer_ == 0) {
    // The timer only posts the flush (OnHoldTimer).
    const uint64_t nth = ++hold_timers_;
    hold_timer_ = core_->timers.Schedule(*hold_until_, [this, nth] { OnHoldTimer(nth); });
    if (hold_timer_ == 0) return false;  // the timers are closing: the engine is going
  }
  return true;
}

void Committer::OnHoldTimer(uint64_t nth) {
  // The clock's thread only posts. (The engine's timers close before the flusher stops, so the
  // task is not dropped while a hold waits for it.)
  flusher_->Post([this, nth] {
    {
      core::MutexLock lock(&core_->s.mu);
      // A timer that the commit ending its hold is cancelling: nothing to do.
      if (hold_timer_ == 0 || nth != hold_timers_) return;
      hold_timer_ = 0;
    }
    Flush();  // commits what is held: its bound passed
  });
}

void Committer::Flush() {
  std::vector<Clock::TimerId> timers_to_cancel;
  bool failed_now = false;
  {
    core::MutexLock lock(&core_->s.mu);
    for (;;) {
      if (HoldLocked()) break;  // the next flush asked for takes it
      std::vector<Store::Change> batch = core_->s.log.TakeBatch();
      if (batch.empty()) break;
      // Everything pending is in the batch: a hold, if there was one, ends with it.
      unawaited_pending_ = 0;
      hold_until_.reset();
      if (hold_timer_ != 0) {
        timers_to_cancel_.push_back(hold_timer_);  // after the batch, outside the mutex
        hold_timer_ = 0;
      }
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
      ReleaseWaitersLocked();
      core_->executor->WakeLocked();      // runs whose RUNNING rode with their creation
      core_->executor->DispatchLocked();  // what this batch made runnable
      core_->removals->RemoveExcessLaterLocked();
      // Answered per batch, not when the leader is done: later batches may keep it busy. With
      // a completer thread the leader hands them over when more is pending and starts the next
      // commit at once: the runs whose RUNNING waits in it do not wait for every Start's answer
      // to be sent. With nothing pending it answers them itself (HandOffLocked).
      std::vector<Completion> due = TakeDueLocked();
      if (!HandOffLocked(due)) RunUnlocked(due, absl::OkStatus());
      // The runs this batch let start (their RUNNING now durable) end or report soon after
      // they have the CPU back: the next batch waits until each of them returned from
      // WaitDurable, or their end misses it and waits a whole commit more for the next (with
      // a run slot freed per run, and the next run's RUNNING riding with the end, the runs
      // would take every other commit). They only need to be scheduled: no wait for a run.
      AwaitReleasedLocked();
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
  if (core_->s.log.visible_revision() >= revision) return absl::OkStatus();
  Waiter self{revision};
  waiters_.push_back(&self);
  if (EndHoldLocked()) {  // a held change may be the one waited for
    core_->s.mu.Unlock();
    FlushSoon();
    core_->s.mu.Lock();
  }
  while (core_->s.log.visible_revision() < revision && !core_->s.log.failed()) {
    durable_cv_.Wait(&core_->s.mu);
  }
  waiters_.erase(std::find(waiters_.begin(), waiters_.end(), &self));
  if (self.released && --released_ == 0) settled_cv_.SignalAll();
  if (core_->s.log.visible_revision() < revision) return StoreFailedLocked();
  return absl::OkStatus();
}

void Committer::ReleaseWaitersLocked() {
  core_->s.mu.AssertHeld();
  for (Waiter* w : waiters_) {
    if (w->released || w->revision > core_->s.log.visible_revision()) continue;
    w->released = true;
    ++released_;
  }
  durable_cv_.SignalAll();
}

void Committer::AwaitReleasedLocked() {
  core_->s.mu.AssertHeld();
  while (released_ > 0) settled_cv_.Wait(&core_->s.mu);
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

bool Committer::HandOffLocked(std::vector<Completion>& due) {
  core_->s.mu.AssertHeld();
  if (due.empty()) return true;
  if (completer_ == nullptr) return false;
  core::MutexLock lock(&flush_mu_);
  if (completer_stopped_) return false;
  // One answer and nothing to commit next (a Start at a time): the leader has no commit to go
  // on to, and sends it itself, one thread hop fewer before the client has it; unless the
  // completer still has earlier batches' (answered in order). Several answers go to the
  // completer even so: the Starts their clients send next are committed while it sends the
  // rest (at concurrency 64, the leader sending them all itself first made the median Start
  // 1.5x slower).
  if (due.size() == 1 && !core_->s.log.has_pending() && completer_batches_ == 0) return false;
  ++completer_batches_;
  // Posted under flush_mu_, so that StopFlusher's Stop comes after it and runs it.
  completer_->Post([this, due = std::move(due)]() mutable {
    for (Completion& done : due) done(absl::OkStatus());
    due.clear();
    core::MutexLock lock(&flush_mu_);
    --completer_batches_;
  });
  due.clear();
  return true;
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
