#include "service/engine/cancellation.h"

#include <optional>
#include <utility>
#include <vector>

#include "service/engine/committer.h"
#include "service/engine/executor.h"
#include "service/engine/outcome.h"
#include "service/engine/reads.h"

namespace gpop::engine {

using core::OperationState;

absl::StatusOr<OperationRecord> Cancellation::Cancel(const std::string& principal,
                                                     const std::string& id) {
  absl::StatusOr<Reads::Pin> pin = core_->reads->PinResident(id);
  if (!pin.ok()) return pin.status();
  std::shared_ptr<core::CancelToken> token;
  std::optional<OperationRecord> finished;  // its end was appended already
  bool end_hold = false;
  {
    core::MutexLock lock(&core_->s.mu);
    absl::Status found = core_->reads->FoundLocked(id);
    if (!found.ok()) return found;
    Op* op = core_->s.ops.Find(id);
    if (core::IsTerminal(op->rec.state)) {
      // The answer is what is durable, as ever; an end the committer holds (nobody waited for
      // it: Committer::HoldLocked) is committed at once, the caller is about to look for it.
      if (op->visible_sequence < op->rec.last_sequence) {
        end_hold = core_->committer->EndHoldLocked();
      }
      finished = op->visible;
    } else {
      op->rec.cancel_requested = true;
      if (op->rec.cancelled_by.empty()) op->rec.cancelled_by = principal;
      if (op->rec.state == OperationState::kQueued) {
        core_->scheduler.Dequeue(op);
        core_->executor->FinishLocked(
            op, Failure(core::MakeError(core::Code::kCancelled, core::reason::kCancelled,
                                        "cancelled while queued")));
        core_->executor->DispatchLocked();
      } else if (op->rec.state == OperationState::kRunning) {
        token = BeginCancelLocked(op);
      }
    }
  }
  if (finished) {
    if (end_hold) core_->committer->FlushSoon();
    return *std::move(finished);
  }
  // The run is told before CANCELLING is durable, so that its outcome can ride in the same
  // commit: one commit instead of two in series before a watcher sees the terminal event. The
  // caller is answered only once CANCELLING is durable (below); a crash before that leaves the
  // run interrupted, which recovery resolves as it would with CANCELLING stored.
  Clock::TimerId fallback = 0;
  // (A backend that passed its commit point meanwhile goes on: no reason to wait for it.)
  if (token && token->RequestCancel()) fallback = ScheduleCancellingCommit();
  if (fallback == 0) core_->committer->Flush();
  uint64_t want;
  {
    core::MutexLock lock(&core_->s.mu);
    Op* op = core_->s.ops.Find(id);
    if (op == nullptr) {
      if (fallback != 0) core_->timers.Cancel(fallback);  // the removal's commit took it
      return core_->reads->RemovedLocked(id);
    }
    want = op->rec.revision;
  }
  absl::Status durable = core_->committer->WaitDurable(want);
  if (fallback != 0) core_->timers.Cancel(fallback);
  if (!durable.ok()) return durable;
  core::MutexLock lock(&core_->s.mu);
  Op* op = core_->s.ops.Find(id);  // again: retention or Delete may have removed it meanwhile
  if (op == nullptr) return core_->reads->RemovedLocked(id);
  return op->visible;
}

// The run's end (Executor::WorkerLoop) flushes its terminal event with CANCELLING before it;
// this timer commits CANCELLING alone if the run has not ended within cancel_commit_wait. Returns
// 0 (nothing scheduled: the caller flushes now) without a wait or once the timers are closed.
Clock::TimerId Cancellation::ScheduleCancellingCommit() {
  const Duration wait = core_->options.cancel_commit_wait;
  if (wait <= Duration::zero()) return 0;
  return core_->ScheduleWork(core_->clock->Now() + wait, [this] { core_->committer->Flush(); });
}

void Cancellation::ScheduleDeadlineLocked(Op* op) {
  core_->s.mu.AssertHeld();
  std::string id = op->rec.id;
  op->deadline_timer = core_->ScheduleWork(op->rec.deadline, [this, id] { OnDeadline(id); });
}

void Cancellation::OnDeadline(const std::string& id) {
  std::shared_ptr<core::CancelToken> token;
  {
    core::MutexLock lock(&core_->s.mu);
    Op* op = core_->s.ops.Find(id);
    if (op == nullptr || core::IsTerminal(op->rec.state)) return;
    if (op->rec.state == OperationState::kQueued) {
      core_->scheduler.Dequeue(op);
      core_->executor->FinishLocked(
          op, Failure(core::MakeError(core::Code::kDeadlineExceeded,
                                      core::reason::kDeadlineExceeded,
                                      "the operation's deadline passed while it was queued")));
      core_->executor->DispatchLocked();
    } else if (op->rec.state == OperationState::kRunning) {
      token = BeginCancelLocked(op);
      if (token) op->deadline_cancelled = true;
    }
  }
  core_->committer->Flush();
  if (token) token->RequestCancel();
}

void Cancellation::CancelAllRunning() {
  std::vector<std::shared_ptr<core::CancelToken>> tokens;
  {
    core::MutexLock lock(&core_->s.mu);
    for (const auto& [id, op] : core_->s.ops.all()) {
      if (op->rec.state != OperationState::kRunning) continue;
      if (auto token = BeginCancelLocked(op.get())) {
        op->shutdown_cancelled = true;
        tokens.push_back(std::move(token));
      }
    }
  }
  core_->committer->Flush();
  for (auto& token : tokens) token->RequestCancel();
}

// The CANCELLING event is written first so that it always precedes the terminal one; if the
// backend commits in the instant between, the operation goes on to report what really happened
// (SUCCEEDED).
std::shared_ptr<core::CancelToken> Cancellation::BeginCancelLocked(Op* op) {
  op->rec.cancel_requested = true;
  if (op->token->committed()) {
    // No event follows (the run goes on to its outcome), so the visible record shows the
    // request now; the terminal event's record carries it to the store.
    op->visible.cancel_requested = true;
    op->visible.cancelled_by = op->rec.cancelled_by;
    return nullptr;
  }
  Event ev;
  ev.state = OperationState::kCancelling;
  core_->s.log.Append(op, std::move(ev), core_->clock->Now());
  return op->token;
}

}  // namespace gpop::engine
