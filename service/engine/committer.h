// Group commit and durable-before-visible: the engine's changes, numbered by the event log under
// the mutex, are written to the store by one flusher at a time (a batch holds everything queued
// meanwhile) and only then made visible to callers and cursors. A failed commit is fail-stop.

#ifndef GPOP_SERVICE_ENGINE_COMMITTER_H_
#define GPOP_SERVICE_ENGINE_COMMITTER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "service/engine/engine_core.h"
#include "service/engine/work_queue.h"

namespace gpop::engine {

// Committer
//
// Thread-safe. Methods named *Locked need core->s.mu (asserted: the thread-safety analysis
// cannot follow one part's pointer to another); the others must be called without it.
class Committer {
 public:
  // With a store whose commits block (Store::CommitBlocks), a flusher thread of its own.
  explicit Committer(EngineCore* core);

  // Writes the pending changes to the store, then makes them visible: records, sequences and
  // the revision; wakes the cursors they concern (through the fan-out), dispatches what may run
  // and hands count-based retention its work. Returns at once if another thread leads a batch
  // (that leader takes these changes in its next batch).
  void Flush();

  // Flush for a caller that must not wait for the disk (StartAsync's, a gRPC thread): with a
  // store whose commits block, the flusher thread leads the batch (one hand-off per batch: a
  // flush already asked for and not yet begun takes this caller's changes too) and runs its
  // completions; with a store whose commits do not block, Flush on this thread.
  void FlushSoon() GPOP_EXCLUDES(flush_mu_);

  // Holding a batch nobody waits for (EngineOptions::end_commit_hold)
  //
  // With a store whose commits block, a batch of run ends that nobody waits for is held (kept
  // pending, invisible) for at most end_commit_hold on the engine's clock, so that it rides in
  // the next commit something awaited asks for (a Start's, typically: one sync where there were
  // two in series). Anything else appended, a completion or a WaitDurable caller waiting, a
  // stream opening (EndHold), shutdown, or the bound passing ends the hold; the flusher then
  // commits it.

  // The change just appended for `op` (its run's end, by the executor) is one nobody waits for,
  // unless a status stream of `op` or a client's watch is open: it may be held.
  void MarkUnawaitedLocked(const Op& op);
  // FlushSoon for the executor's run ends: returns without a commit when the pending changes
  // may be held.
  void FlushUnawaited();
  // Someone now waits for what may be held (a stream opened, Cancel of an operation whose end
  // is pending): the pending changes are committed at once. Returns whether a hold was in
  // place, so that the caller must FlushSoon after unlocking.
  bool EndHoldLocked();
  // EndHoldLocked, then FlushSoon if needed. Without the mutex.
  void EndHold();
  // Whether the pending changes are held now; waits until they are (tests: the executor
  // decided to hold its run's end).
  bool holding();
  void AwaitHolding();

  // Runs the flushes asked for, then joins the flusher thread; later FlushSoon calls flush on
  // their own thread. For the engine's destruction, after the executor's threads stopped and
  // before AbandonPending.
  void StopFlusher();

  // Waits until `revision` is visible, or the store failed (UNAVAILABLE).
  absl::Status WaitDurable(uint64_t revision);

  // Completion
  //
  // Called once: OK when the revision it waits for is visible, UNAVAILABLE when the store
  // failed first or the engine stopped with the revision still pending. It runs without the
  // engine's mutex: with a store whose commits block, on the committer's completer thread (a
  // batch's completions in order, one batch after another) unless the batch has only one and
  // nothing waits for the next commit (the completer idle), after StopFlusher and on failure
  // on the thread that led the batch; without, on that thread; on the caller's
  // when the answer is already known. So it must not block; it may call back into the engine.
  using Completion = std::function<void(absl::Status)>;

  // The asynchronous form of WaitDurable: `done` runs once `revision` is visible (at once,
  // on this thread, when it already is or the store already failed). Call without the mutex,
  // then Flush (or know that a batch taking `revision` is being led).
  void WhenDurable(uint64_t revision, Completion done);

  // Calls every completion still pending with UNAVAILABLE (SHUTTING_DOWN); later ones are
  // answered so at once. For the engine's destruction, after its threads stopped.
  void AbandonPending();

  // UNAVAILABLE: the store failed, the server accepts no work until restarted.
  absl::Status StoreFailedLocked();

  // Drops an operation whose QUEUED event never became durable (its Start was refused), so that
  // it can neither run nor reappear.
  void ForgetUndurable(const std::string& id);

  // Cancels `timer` after the current batch (outside the mutex: cancelling waits for a
  // callback in progress).
  void CancelTimerLaterLocked(Clock::TimerId timer);

 private:
  // A committed change: the record and event become visible.
  void ApplyLocked(const Store::Change& change) GPOP_REQUIRES(core_->s.mu);
  // The completions due now (their revision visible, or every one when the store failed).
  std::vector<Completion> TakeDueLocked() GPOP_REQUIRES(core_->s.mu);
  // Hands `due` (OK: their revisions are visible) to the completer thread, in order; false
  // (and `due` untouched) when there is none or it stopped, or when `due` is one answer,
  // nothing is pending to commit next and the completer has nothing left to run: the caller
  // runs them.
  bool HandOffLocked(std::vector<Completion>& due) GPOP_REQUIRES(core_->s.mu)
      GPOP_EXCLUDES(flush_mu_);
  // Marks the WaitDurable callers whose revision is now visible as released, and wakes them.
  void ReleaseWaitersLocked() GPOP_REQUIRES(core_->s.mu);
  // Waits until every released WaitDurable caller has returned (they need only the CPU).
  void AwaitReleasedLocked() GPOP_REQUIRES(core_->s.mu);
  // Whether the pending changes stay pending for now (see MarkUnawaitedLocked); sets the hold's
  // bound and its timer when the hold begins.
  bool HoldLocked() GPOP_REQUIRES(core_->s.mu);
  bool HoldingLocked() GPOP_REQUIRES(core_->s.mu);
  // The hold's timer, the `nth` set: the bound passed, unless a commit ended the hold first.
  void OnHoldTimer(uint64_t nth);
  // Runs `due` with `status`, with the mutex released for the calls.
  void RunUnlocked(std::vector<Completion>& due, const absl::Status& status)
      GPOP_REQUIRES(core_->s.mu);

  EngineCore* const core_;
  std::unique_ptr<WorkQueue> flusher_;  // null: the store's commits do not block
  // Runs the completions of the batches committed (with flusher_; null without): a batch's
  // leader, the flusher, does not send every Start's answer before its next commit.
  std::unique_ptr<WorkQueue> completer_;
  core::Mutex flush_mu_;
  bool flush_posted_ GPOP_GUARDED_BY(flush_mu_) = false;       // a flusher task not yet begun
  bool flusher_stopped_ GPOP_GUARDED_BY(flush_mu_) = false;    // FlushSoon then flushes itself
  bool completer_stopped_ GPOP_GUARDED_BY(flush_mu_) = false;  // completions then run inline
  int completer_batches_ GPOP_GUARDED_BY(flush_mu_) = 0;  // handed to the completer, not yet run
  core::CondVar durable_cv_;  // the visible revision advanced, or the store failed
  // A WaitDurable caller still waiting, or released by a commit and not yet returned.
  struct Waiter {
    uint64_t revision;
    bool released = false;  // counted in released_
  };
  std::vector<Waiter*> waiters_ GPOP_GUARDED_BY(core_->s.mu);
  int released_ GPOP_GUARDED_BY(core_->s.mu) = 0;
  core::CondVar settled_cv_;  // released_ fell to 0
  std::vector<Clock::TimerId> timers_to_cancel_ GPOP_GUARDED_BY(core_->s.mu);
  // Completions by the revision they wait for.
  std::multimap<uint64_t, Completion> pending_ GPOP_GUARDED_BY(core_->s.mu);
  bool abandoned_ GPOP_GUARDED_BY(core_->s.mu) = false;
  // The hold: of the pending changes, how many may be held (MarkUnawaitedLocked); when the
  // current hold ends (set when it began, cleared when a batch is taken); its timer (cancelled
  // after the batch that ends the hold: no wake of the clock's and the flusher's threads for
  // nothing); no more holds (the flusher stopped).
  size_t unawaited_pending_ GPOP_GUARDED_BY(core_->s.mu) = 0;
  std::optional<Time> hold_until_ GPOP_GUARDED_BY(core_->s.mu);
  Clock::TimerId hold_timer_ GPOP_GUARDED_BY(core_->s.mu) = 0;  // 0: none set
  uint64_t hold_timers_ GPOP_GUARDED_BY(core_->s.mu) = 0;       // set so far: names the last
  bool holds_stopped_ GPOP_GUARDED_BY(core_->s.mu) = false;
  core::CondVar hold_cv_;  // a hold began
};

}  // namespace gpop::engine

#endif  // GPOP_SERVICE_ENGINE_COMMITTER_H_
