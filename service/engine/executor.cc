#include "service/engine/executor.h"

#include <algorithm>
#include <functional>
#include <utility>

#include "service/engine/committer.h"
#include "service/engine/removals.h"
#include "service/engine/stream_wiring.h"

namespace gpop::engine {

using core::OperationState;

// Lets a thread the engine no longer joins (a run whose backend ignored shutdown's cancel) call
// back into the engine only while it exists.
class Executor::Lifeline {
 public:
  // Runs `fn` if the engine still exists; End waits for calls in progress.
  void Call(const std::function<void()>& fn) {
    {
      core::MutexLock lock(&mu_);
      if (!alive_) return;
      ++calls_;
    }
    fn();
    core::MutexLock lock(&mu_);
    if (--calls_ == 0) cv_.SignalAll();
  }
  void End() {
    core::MutexLock lock(&mu_);
    alive_ = false;
    while (calls_ > 0) cv_.Wait(&mu_);
  }

 private:
  core::Mutex mu_;
  core::CondVar cv_;
  bool alive_ GPOP_GUARDED_BY(mu_) = true;
  int calls_ GPOP_GUARDED_BY(mu_) = 0;
};

// The progress sink handed to the backend for one run.
class Executor::Sink final : public core::ProgressSink {
 public:
  Sink(Executor* executor, std::shared_ptr<Lifeline> lifeline, std::string op_id)
      : executor_(executor), lifeline_(std::move(lifeline)), op_id_(std::move(op_id)) {}
  void Progress(int64_t numerator, int64_t denominator) override {
    lifeline_->Call([&] { executor_->OnProgress(op_id_, numerator, denominator); });
  }
  void Messages(std::vector<core::StatusMessage> messages,
                std::optional<uint32_t> hresult) override {
    lifeline_->Call([&] { executor_->OnMessages(op_id_, std::move(messages), hresult); });
  }

 private:
  Executor* const executor_;
  const std::shared_ptr<Lifeline> lifeline_;
  const std::string op_id_;
};

Executor::Executor(EngineCore* core) : core_(core), lifeline_(std::make_shared<Lifeline>()) {}

Executor::~Executor() {
  StopWorkers();
  EndLifeline();
}

void Executor::Start() {
  int threads = std::max(1, core_->options.executor_threads);
  {
    core::MutexLock lock(&core_->s.mu);
    in_run_.assign(threads, false);
    abandoned_.assign(threads, false);
  }
  for (int i = 0; i < threads; ++i) workers_.emplace_back([this, i] { WorkerLoop(i); });
}

void Executor::DispatchLocked() {
  core_->s.mu.AssertHeld();
  if (core_->shutting_down || core_->s.log.failed()) return;
  for (Op* op : core_->scheduler.Admit()) {
    op->rec.start_time = core_->clock->Now();
    Event ev;
    ev.state = OperationState::kRunning;
    core_->s.log.Append(op, std::move(ev), *op->rec.start_time);
    ready_.push_back(op->rec.id);
    // Dispatched with its creation: a thread is woken once that commit is done (WakeLocked),
    // not now only to wait for it.
    if (op->visible_sequence > 0) {
      work_cv_.Signal();
    } else {
      ++unwoken_;
    }
  }
}

void Executor::WakeLocked() {
  core_->s.mu.AssertHeld();
  for (; unwoken_ > 0; --unwoken_) work_cv_.Signal();
}

std::optional<Executor::Ready> Executor::NextReady() {
  core::MutexLock lock(&core_->s.mu);
  for (;;) {
    while (ready_.empty() && !stop_workers_) work_cv_.Wait(&core_->s.mu);
    if (ready_.empty()) return std::nullopt;
    std::string id = std::move(ready_.front());
    ready_.pop_front();
    Op* op = core_->s.ops.Find(id);
    if (op == nullptr) continue;
    Ready next;
    next.request.operation_id = std::move(id);
    next.request.spec = op->rec.spec;
    next.request.labels = op->rec.labels;
    next.request.principal = op->rec.principal;
    next.token = op->token;
    next.running_revision = op->events.back()->revision;
    next.with_creation = op->visible_sequence == 0;
    return next;
  }
}

void Executor::WorkerLoop(int worker) {
  for (;;) {
    std::optional<Ready> next = NextReady();
    if (!next) return;
    const core::RunRequest& request = next->request;
    const std::string& id = request.operation_id;
    const std::shared_ptr<core::CancelToken>& token = next->token;
    const uint64_t running_revision = next->running_revision;
    const bool with_creation = next->with_creation;
    std::shared_ptr<Lifeline> lifeline;
    core::Backend* backend = nullptr;
    // A RUNNING event that rides with its creation is in the batch its Start flushes (and
    // answers from: this thread must not lead that batch). Otherwise FlushSoon: with a store
    // whose commits block, the committer's flusher leads the batch.
    if (!with_creation) core_->committer->FlushSoon();
    // The backend acts only once the operation's creation is durable (a Start the store refused
    // never runs), and, unless its Recover answers for every run, once RUNNING is durable too:
    // after a crash, recovery then knows to resolve the run by its intent instead of running it
    // a second time. A backend that answers for every run may begin at once: recovery asks it
    // about QUEUED operations too.
    const uint64_t wait_for =
        with_creation || !core_->backend->RecoversEveryRun() ? running_revision : 0;
    if (!core_->committer->WaitDurable(wait_for).ok()) {
      // The store failed (fail-stop): the run never starts, but it ends here, so that Shutdown
      // does not wait for it. Recovery finds it QUEUED or RUNNING in the store, or not at all
      // when its creation was in the failed commit: then it goes, as a refused Start's does
      // (Committer::ForgetUndurable, which ends the run itself when it comes first).
      core::MutexLock lock(&core_->s.mu);
      if (Op* op = core_->s.ops.Find(id)) {
        if (op->admitted) EndRunLocked(op);
        if (op->visible_sequence == 0) {
          core_->scheduler.Dequeue(op);
          core_->s.ops.Forget(id);
        }
      }
      continue;
    }
    if (std::optional<core::Error> refused = ConfirmClaims(id, request.spec)) {
      {
        core::MutexLock lock(&core_->s.mu);
        if (Op* op = core_->s.ops.Find(id)) {
          FinishLocked(op, Failure(std::move(*refused)));
          EndRunLocked(op);
        }
      }
      core_->committer->FlushSoon();
      continue;
    }
    {
      core::MutexLock lock(&core_->s.mu);
      // Shutdown ended waiting: never start a run it would not join. The store failed (a run
      // that did not wait for its RUNNING commit learns it here): it accepts no work.
      if (stop_workers_ || core_->s.log.failed()) {
        if (Op* op = core_->s.ops.Find(id)) EndRunLocked(op);
        continue;
      }
      in_run_[worker] = true;
      // From here on shutdown may abandon this run and free the engine: what the run needs of
      // it is taken now, under the lock, and only the lifeline reaches it afterwards.
      lifeline = lifeline_;
      backend = core_->backend;
    }
    Sink sink(this, lifeline, id);
    core::Outcome outcome = backend->Run(request, sink, *token);
    bool abandoned = true;  // stays so if the engine is gone
    bool was_cancelling = false;
    // The run's end and its terminal event in one lock.
    lifeline->Call([&] {
      core::MutexLock lock(&core_->s.mu);
      in_run_[worker] = false;
      abandoned = abandoned_[worker];
      if (abandoned) return;
      if (Op* op = core_->s.ops.Find(id)) {
        op->rec.committed = token->committed();
        was_cancelling = op->rec.state == OperationState::kCancelling;
        CancelCause cause{was_cancelling, op->deadline_cancelled, op->shutdown_cancelled};
        FinishLocked(op, {RunError(outcome.error, cause), outcome.effects,
                          std::move(outcome.result), outcome.hresult});
        // Nobody waits for the end of a run that was not cancelled, unless its operation's
        // streams (or a client's watch) do: it may wait for the next commit (FlushUnawaited).
        if (!was_cancelling) core_->committer->MarkUnawaitedLocked(*op);
        EndRunLocked(op);
      }
    });
    if (abandoned) return;  // shutdown gave up on this run; recovery resolves it
    // The terminal event (and the next run's RUNNING) go in the flusher's next batch: this
    // thread takes the next run instead of waiting for the disk. With end_commit_hold, an end
    // nobody waits for alone in it waits (a bounded time) for the next commit something
    // awaited asks for, typically the next Start's. A cancelled run's end is waited for (by
    // Cancel, and the watchers): this thread leads that commit itself, one hand-off fewer.
    if (was_cancelling) {
      core_->committer->Flush();
    } else {
      core_->committer->FlushUnawaited();
    }
  }
}

std::optional<core::Error> Executor::ConfirmClaims(const std::string& id,
                                                   const core::OperationSpec& spec) {
  // Each round locks what the last answer named, so that the next answer is computed with
  // those names held (no one can rename or make a GPO under them): a fixed point is stable.
  constexpr int kRounds = 3;
  for (int round = 0; round < kRounds; ++round) {
    std::vector<core::ResourceClaim> now = core_->backend->Claims(spec);  // may do I/O
    core::MutexLock lock(&core_->s.mu);
    Op* op = core_->s.ops.Find(id);
    if (op == nullptr) return std::nullopt;
    std::vector<core::ResourceClaim> more = core_->scheduler.Uncovered(op, now);
    if (more.empty()) return std::nullopt;
    if (!core_->scheduler.Extend(op, more)) {
      std::string names;
      for (const core::ResourceClaim& c : more) names += (names.empty() ? "" : ", ") + c.resource;
      const std::string message =
          "what this operation names resolved differently when it was due to run than when it "
          "was started (" +
          names +
          "), and another running operation holds it; nothing was "
          "done: start it again";
      return core::MakeError(core::Code::kAborted, core::reason::kResourcesChanged, message,
                             {{"resource", more.front().resource}});
    }
  }
  return core::MakeError(core::Code::kAborted, core::reason::kResourcesChanged,
                         "what this operation names kept changing while it was due to run; "
                         "nothing was done: start it again");
}

void Executor::EndRunLocked(Op* op) {
  core_->s.mu.AssertHeld();
  core_->scheduler.EndRun(op);
  idle_cv_.SignalAll();
  DispatchLocked();
}

void Executor::FinishLocked(Op* op, Ending ending) {
  core_->s.mu.AssertHeld();
  core_->s.log.Append(
      op, TerminalEvent(std::move(ending), op->rec.cancel_requested, op->folded_messages),
      core_->clock->Now());
  core_->s.ops.MarkFinished(op);
  core_->removals->ScheduleLocked(op);
  if (op->deadline_timer != 0) {
    core_->committer->CancelTimerLaterLocked(op->deadline_timer);  // outside mu, after Flush
    op->deadline_timer = 0;
  }
}

void Executor::ResolveRun(const std::string& id, bool was_cancelling) {
  std::optional<core::Outcome> outcome = core_->backend->Recover(id);  // backends do I/O
  core::MutexLock lock(&core_->s.mu);
  if (Op* op = core_->s.ops.Find(id)) {
    FinishLocked(op, ResolveInterrupted(std::move(outcome), was_cancelling));
  }
}

bool Executor::ResolveQueued(const std::string& id) {
  std::optional<core::Outcome> outcome = core_->backend->Recover(id);  // backends do I/O
  if (!outcome) return false;
  core::MutexLock lock(&core_->s.mu);
  Op* op = core_->s.ops.Find(id);
  if (op == nullptr) return true;
  op->rec.start_time = core_->clock->Now();
  Event running;
  running.state = OperationState::kRunning;
  core_->s.log.Append(op, std::move(running), *op->rec.start_time);
  FinishLocked(op, ResolveInterrupted(std::move(outcome), false));
  return true;
}

void Executor::AwaitRunsEnded(Time bound) {
  Clock::TimerId timer = 0;
  {
    core::MutexLock lock(&core_->s.mu);
    if (core_->scheduler.running() == 0) return;
    timer = core_->clock->Schedule(bound, [this] {
      core::MutexLock lock(&core_->s.mu);
      gave_up_waiting_ = true;
      idle_cv_.SignalAll();
    });
    while (core_->scheduler.running() > 0 && !gave_up_waiting_) idle_cv_.Wait(&core_->s.mu);
  }
  core_->clock->Cancel(timer);
}

void Executor::StopWorkers() {
  std::vector<bool> abandon;
  {
    core::MutexLock lock(&core_->s.mu);
    stop_workers_ = true;
    work_cv_.SignalAll();
    abandoned_ = in_run_;  // still inside the backend's Run: never joined
    abandon = abandoned_;
  }
  for (size_t i = 0; i < workers_.size(); ++i) {
    if (abandon[i]) {
      workers_[i].detach();
    } else {
      workers_[i].join();
    }
  }
  workers_.clear();
}

void Executor::EndLifeline() { lifeline_->End(); }

void Executor::OnProgress(const std::string& id, int64_t numerator, int64_t denominator) {
  core::MutexLock lock(&core_->s.mu);
  Op* op = core_->s.ops.Find(id);
  if (op == nullptr || core::IsTerminal(op->rec.state)) return;
  Progress next{numerator, denominator, op->rec.last_sequence, core_->clock->Now()};
  if (next == op->rec.progress) next.observed = op->rec.progress.observed;  // the same value
  op->rec.progress = next;
  op->visible.progress = op->rec.progress;
  core_->streams->ProgressChangedLocked(op);
}

void Executor::OnMessages(const std::string& id, std::vector<core::StatusMessage> messages,
                          std::optional<uint32_t> hresult) {
  {
    core::MutexLock lock(&core_->s.mu);
    Op* op = core_->s.ops.Find(id);
    if (op == nullptr || core::IsTerminal(op->rec.state)) return;
    // Keep room for CANCELLING and the terminal event.
    if (op->rec.last_sequence + 3 >
        static_cast<uint64_t>(core_->options.max_events_per_operation)) {
      ++op->folded_messages;
      return;
    }
    Event ev;
    ev.state = op->rec.state;
    ev.messages = std::move(messages);
    ev.hresult = hresult;
    core_->s.log.Append(op, std::move(ev), core_->clock->Now());
  }
  core_->committer->Flush();
}

}  // namespace gpop::engine
