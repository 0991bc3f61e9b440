// The engine's facade and wiring. The parts (engine_parts.h) keep the state and the rules of
// each concern: admission (Start), the executor and the backends' outcomes, cancellation, the
// reads, removals (retention, Delete), group commit and the streams' wiring; this file recovers
// the state at start-up, runs planned shutdown through them, and answers readiness and stats.
// One mutex (EngineState::mu) guards all of it; no store, backend, clock cancel or wake call is
// made while it is held. Events are numbered under the mutex, written to the store by one
// flusher at a time (group commit), and only then made visible to cursors.

#include "service/engine/engine.h"

#include <algorithm>
#include <utility>

#include "service/core/mutex.h"
#include "service/engine/engine_parts.h"
#include "service/engine/recovery.h"

namespace gpop::engine {

class Engine::Impl {
 public:
  Impl(EngineOptions options, core::Backend* backend, Store* store, Clock* clock)
      : parts_(options, backend, store, clock) {}
  ~Impl() { Shutdown(Duration::zero()); }  // then ~EngineParts stops the threads

  absl::Status Recover();
  void Shutdown(Duration grace);
  Stats stats();

  bool serving() {
    core::MutexLock lock(&parts_.core.s.mu);
    return !parts_.core.shutting_down && !parts_.core.s.log.failed();
  }
  void SetServingObserver(std::function<void(bool)> observer) {
    core::MutexLock lock(&parts_.core.s.mu);
    parts_.core.serving_observer = std::move(observer);
  }

  EngineParts& parts() { return parts_; }

 private:
  EngineParts parts_;
  core::CondVar shutdown_cv_;  // shutdown_done_
  bool shutdown_started_ GPOP_GUARDED_BY(parts_.core.s.mu) = false;
  bool shutdown_done_ GPOP_GUARDED_BY(parts_.core.s.mu) = false;
};

absl::Status Engine::Impl::Recover() {
  EngineCore& c = parts_.core;
  // Records, and the newest events for the watch window (one more than it keeps, so that the
  // window's floor says whether older ones exist); streams read older events from the store.
  // Finished operations stay in the store: recovery loads the unfinished records and only the
  // ids of the finished ones (for retention).
  Store::LoadOptions load;
  load.max_events = static_cast<size_t>(std::max(0, c.options.retained_revisions)) + 1;
  load.history = false;
  absl::StatusOr<Store::Snapshot> snap = c.store->Load(load);
  if (!snap.ok()) return snap.status();
  absl::StatusOr<std::map<std::string, LabelsPtr>> window_labels =
      ReadWindowLabels(*snap, *c.store);
  if (!window_labels.ok()) return window_labels.status();
  std::vector<std::string> queued_ids, running_ids, cancelling_ids;
  {
    core::MutexLock lock(&c.s.mu);
    absl::StatusOr<Recovered> recovered =
        RestoreSnapshot(std::move(*snap), *c.backend, &c.s.ops, &c.s.log, *window_labels);
    if (!recovered.ok()) return recovered.status();
    for (Op* op : recovered->queued) queued_ids.push_back(op->rec.id);
    for (const Store::FinishedRef& ref : recovered->finished) {
      parts_.removals.ScheduleLocked(ref.id, ref.end_time);
    }
    running_ids = std::move(recovered->running);
    cancelling_ids = std::move(recovered->cancelling);
  }
  // Resolve interrupted runs by their intents (outside the lock: backends do I/O). A backend
  // whose runs may begin before their RUNNING commit (RecoversEveryRun) is asked about the
  // QUEUED operations too; the others run again, in creation order.
  std::vector<std::string> requeued;
  for (std::string& id : queued_ids) {
    if (!c.backend->RecoversEveryRun() || !parts_.executor.ResolveQueued(id)) {
      requeued.push_back(std::move(id));
    }
  }
  {
    core::MutexLock lock(&c.s.mu);
    for (const std::string& id : requeued) {
      Op* op = c.s.ops.Find(id);
      if (op == nullptr) continue;
      c.scheduler.Enqueue(op);
      parts_.cancellation.ScheduleDeadlineLocked(op);
    }
  }
  for (const std::string& id : running_ids) parts_.executor.ResolveRun(id, false);
  for (const std::string& id : cancelling_ids) parts_.executor.ResolveRun(id, true);
  {
    core::MutexLock lock(&c.s.mu);
    parts_.executor.DispatchLocked();
  }
  parts_.committer.Flush();
  return absl::OkStatus();
}

void Engine::Impl::Shutdown(Duration grace) {
  {
    core::MutexLock lock(&parts_.core.s.mu);
    if (shutdown_started_) {
      while (!shutdown_done_) shutdown_cv_.Wait(&parts_.core.s.mu);
      return;
    }
    shutdown_started_ = true;
    parts_.core.shutting_down = true;  // no new starts, queued operations stay queued
  }
  parts_.core.NotifyNotServing();
  // Let running operations finish within the grace period, then cancel the rest.
  Clock::TimerId grace_timer = 0;
  {
    core::MutexLock lock(&parts_.core.s.mu);
    if (parts_.core.scheduler.running() > 0) {
      grace_timer = parts_.core.clock->Schedule(parts_.core.clock->Now() + grace, [this] {
        parts_.core.maintenance.Post([this] { parts_.cancellation.CancelAllRunning(); });
      });
    }
  }
  if (grace <= Duration::zero()) parts_.cancellation.CancelAllRunning();
  // Cancelled runs get shutdown_cancel_bound to stop; a backend that ignores the cancel does
  // not keep the server up. Its operation stays CANCELLING (or RUNNING past its commit point)
  // in the store, and the next start's Recover resolves it by the backend's intent.
  parts_.executor.AwaitRunsEnded(parts_.core.clock->Now() + std::max(grace, Duration::zero()) +
                                 parts_.core.options.shutdown_cancel_bound);
  if (grace_timer != 0) parts_.core.clock->Cancel(grace_timer);
  parts_.committer.Flush();
  // Flush returns at once while another thread (the flusher) leads a batch: the terminal events
  // of the runs that just ended must be visible before the streams close, or their watchers
  // miss them.
  uint64_t last = 0;
  {
    core::MutexLock lock(&parts_.core.s.mu);
    last = parts_.core.s.log.last_revision();
  }
  (void)parts_.committer.WaitDurable(last);  // UNAVAILABLE when the store failed: nothing to wait for
  Wakes wakes;
  {
    core::MutexLock lock(&parts_.core.s.mu);
    parts_.core.s.streams.Close();
    for (const auto& [id, op] : parts_.core.s.ops.all()) StreamWiring::TakeOpWakesLocked(op.get(), &wakes);
    std::vector<StreamCursor*> watches(parts_.core.s.streams.watches().begin(),
                                       parts_.core.s.streams.watches().end());
    for (StreamCursor* cursor : watches) cursor->TakeWakeLocked(&wakes);
  }
  RunWakes(&parts_.core.s, &wakes);
  parts_.executor.StopWorkers();
  core::MutexLock lock(&parts_.core.s.mu);
  shutdown_done_ = true;
  shutdown_cv_.SignalAll();
}

Engine::Stats Engine::Impl::stats() {
  EngineCore& c = parts_.core;
  core::MutexLock lock(&c.s.mu);
  Stats s;
  s.queued = c.scheduler.queued();
  s.running = c.scheduler.running();
  s.open_streams = c.s.streams.open();
  s.open_watches = c.s.streams.open_watches();
  s.resumed_status_streams = c.s.streams.resumes(StreamRegistry::Kind::kStatus);
  s.resumed_watches = c.s.streams.resumes(StreamRegistry::Kind::kWatch);
  s.retained_operations = static_cast<int>(c.s.ops.retained());
  s.resident_operations = static_cast<int>(c.s.ops.size());
  for (const auto& [id, op] : c.s.ops.all()) {
    s.retained_events += static_cast<int64_t>(op->events.size());
  }
  s.retained_events += static_cast<int64_t>(c.s.log.window().size());
  s.revision = c.s.log.visible_revision();
  return s;
}

// --- The facade ----------------------------------------------------------------------------

Engine::Engine(EngineOptions options, core::Backend* backend, Store* store, Clock* clock)
    : impl_(std::make_unique<Impl>(options, backend, store, clock)) {}
Engine::~Engine() = default;
absl::Status Engine::Recover() { return impl_->Recover(); }
absl::StatusOr<OperationRecord> Engine::Start(const StartRequest& r) {
  return impl_->parts().admission.Start(r);
}

void Engine::StartAsync(const StartRequest& r,
                        std::function<void(absl::StatusOr<OperationRecord>)> done) {
  impl_->parts().admission.StartAsync(r, std::move(done));
}
absl::StatusOr<OperationRecord> Engine::Cancel(const std::string& principal,
                                               const std::string& id) {
  return impl_->parts().cancellation.Cancel(principal, id);
}
absl::StatusOr<OperationRecord> Engine::Get(const std::string& /*principal*/,
                                            const std::string& id) {
  return impl_->parts().reads.Get(id);
}
absl::StatusOr<ListResponse> Engine::List(const ListRequest& r) {
  return impl_->parts().reads.List(r);
}
absl::Status Engine::Delete(const std::string& /*principal*/, const std::string& id) {
  return impl_->parts().removals.Delete(id);
}
absl::StatusOr<std::unique_ptr<Cursor>> Engine::OpenStatusStream(const std::string& principal,
                                                                 const std::string& id,
                                                                 uint64_t after) {
  return impl_->parts().streams.OpenStatusStream(principal, id, after);
}
absl::StatusOr<std::unique_ptr<Cursor>> Engine::OpenWatch(const std::string& principal,
                                                          uint64_t after, const std::string& filter,
                                                          WatchFor who) {
  return impl_->parts().streams.OpenWatch(principal, after, filter, who);
}
void Engine::Shutdown(Duration grace) { impl_->Shutdown(grace); }
void Engine::AwaitMaintenance() { impl_->parts().core.maintenance.Drain(); }
bool Engine::serving() { return impl_->serving(); }
void Engine::SetServingObserver(std::function<void(bool)> observer) {
  impl_->SetServingObserver(std::move(observer));
}
Engine::Stats Engine::stats() { return impl_->stats(); }

}  // namespace gpop::engine
