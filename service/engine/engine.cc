// The engine's facade and wiring. The parts keep the state (operation table, event log, streams:
// EngineState; scheduler; timers) and the rules of each concern; Impl runs the operations'
// lifecycle through them. One mutex (EngineState::mu) guards all of it; no store, backend, clock
// cancel or wake call is made while it is held. Events are numbered under the mutex, written to
// the store by one flusher at a time (group commit), and only then made visible to cursors.

#include "service/engine/engine.h"

#include <algorithm>
#include <deque>
#include <thread>
#include <utility>

#include "service/core/mutex.h"
#include "service/engine/cursors.h"
#include "service/engine/engine_errors.h"
#include "service/engine/engine_state.h"
#include "service/engine/large_result.h"
#include "service/engine/listing.h"
#include "service/engine/operation_ids.h"
#include "service/engine/outcome.h"
#include "service/engine/page_token.h"
#include "service/engine/recovery.h"
#include "service/engine/scheduler.h"
#include "service/engine/status_convert.h"
#include "service/engine/timer_set.h"
#include "service/engine/work_queue.h"

namespace gpop::engine {

using core::OperationState;

class Engine::Impl {
 public:
  Impl(EngineOptions options, core::Backend* backend, Store* store, Clock* clock)
      : options_(options),
        backend_(backend),
        store_(store),
        clock_(clock),
        s_(options, clock),
        scheduler_(options.executor_threads, PrincipalLimits::Of(options)),
        timers_(clock),
        maintenance_(1),
        fanout_(2) {
    int threads = std::max(1, options_.executor_threads);
    core::MutexLock lock(&s_.mu);
    in_run_.assign(threads, false);
    abandoned_.assign(threads, false);
    for (int i = 0; i < threads; ++i) workers_.emplace_back([this, i] { WorkerLoop(i); });
  }

  ~Impl() {
    Shutdown(Duration::zero());
    lifeline_->End();  // from here on, a run Shutdown abandoned calls nothing of the engine's
    timers_.Close();
    maintenance_.Stop();
    fanout_.Stop();
  }

  // Lets a thread the engine no longer joins (a run whose backend ignored shutdown's cancel)
  // call back into the engine only while it exists.
  class Lifeline {
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

  // --- The progress sink handed to backends ------------------------------------------------

  class Sink final : public core::ProgressSink {
   public:
    Sink(Impl* impl, std::string op_id)
        : impl_(impl), lifeline_(impl->lifeline_), op_id_(std::move(op_id)) {}
    void Progress(int64_t numerator, int64_t denominator) override {
      lifeline_->Call([&] { impl_->OnProgress(op_id_, numerator, denominator); });
    }
    void Messages(std::vector<core::StatusMessage> messages,
                  std::optional<uint32_t> hresult) override {
      lifeline_->Call([&] { impl_->OnMessages(op_id_, std::move(messages), hresult); });
    }

   private:
    Impl* const impl_;
    const std::shared_ptr<Lifeline> lifeline_;
    const std::string op_id_;
  };

  // --- Public operations -------------------------------------------------------------------

  absl::Status Recover() {
    // Records, and the newest events for the watch window (one more than it keeps, so that the
    // window's floor says whether older ones exist); streams read older events from the store.
    // Finished operations stay in the store: recovery loads the unfinished records and only
    // the ids of the finished ones (for retention).
    Store::LoadOptions load;
    load.max_events = static_cast<size_t>(std::max(0, options_.retained_revisions)) + 1;
    load.history = false;
    absl::StatusOr<Store::Snapshot> snap = store_->Load(load);
    if (!snap.ok()) return snap.status();
    absl::StatusOr<std::map<std::string, LabelsPtr>> window_labels =
        ReadWindowLabels(*snap, *store_);
    if (!window_labels.ok()) return window_labels.status();
    std::vector<std::string> running_ids, cancelling_ids;
    {
      core::MutexLock lock(&s_.mu);
      absl::StatusOr<Recovered> recovered =
          RestoreSnapshot(std::move(*snap), *backend_, &s_.ops, &s_.log, *window_labels);
      if (!recovered.ok()) return recovered.status();
      for (Op* op : recovered->queued) {
        scheduler_.Enqueue(op);
        ScheduleDeadlineLocked(op);
      }
      for (const Store::FinishedRef& ref : recovered->finished) {
        ScheduleRetentionLocked(ref.id, ref.end_time);
      }
      running_ids = std::move(recovered->running);
      cancelling_ids = std::move(recovered->cancelling);
    }
    // Resolve interrupted runs by their intents (outside the lock: backends do I/O).
    for (const std::string& id : running_ids) ResolveRun(id, /*was_cancelling=*/false);
    for (const std::string& id : cancelling_ids) ResolveRun(id, /*was_cancelling=*/true);
    {
      core::MutexLock lock(&s_.mu);
      DispatchLocked();
    }
    Flush();
    return absl::OkStatus();
  }

  absl::StatusOr<OperationRecord> Start(const StartRequest& request) {
    if (core::Status s = core::ValidateSpec(request.spec); !s.ok()) return ToStatus(s);
    if (core::Status s = backend_->Validate(request.spec); !s.ok()) return ToStatus(s);
    if (request.timeout &&
        (*request.timeout <= Duration::zero() || *request.timeout > options_.max_timeout)) {
      return MakeStatus(core::Code::kInvalidArgument, core::reason::kInvalidField,
                        "timeout: must be positive and at most the server's maximum",
                        {{"field", "timeout"}});
    }
    absl::StatusOr<StoredRequest> stored = ReadStoredRequest(request);
    if (!stored.ok()) return stored.status();
    OperationRecord snapshot;
    uint64_t revision = 0;
    bool retry = false;
    {
      core::MutexLock lock(&s_.mu);
      if (shutting_down_) return ShuttingDown();
      if (s_.log.failed()) return StoreFailedLocked();
      if (!request.request_id.empty()) {
        if (Op* op = s_.ops.FindByRequest(request.principal, request.request_id)) {
          if (op->rec.fingerprint != request.fingerprint) {
            return RequestIdReused(request.request_id, op->rec.id);
          }
          snapshot = FirstRecordLocked(op);
          // Wait like the first call while its QUEUED event (still in memory) is not durable.
          revision = op->visible_sequence > 0 ? 0 : op->events.front()->revision;
        } else if (stored->record) {  // finished, and in the store only
          if (stored->record->fingerprint != request.fingerprint) {
            return RequestIdReused(request.request_id, stored->record->id);
          }
          snapshot = *std::move(stored->record);
        } else if (stored->evictions != s_.ops.evictions()) {
          retry = true;  // it may have been created and left memory since the store was read
        }
      }
      if (snapshot.id.empty() && !retry) {
        if (scheduler_.queued() >= options_.max_queued) {
          return MakeStatus(core::Code::kResourceExhausted, core::reason::kQueueFull,
                            "too many queued operations on this server; retry later",
                            {{"scope", "server"}, {"limit", std::to_string(options_.max_queued)}});
        }
        if (absl::Status room = scheduler_.RoomToQueue(request.principal); !room.ok()) return room;
        auto owned = std::make_unique<Op>();
        Time now = clock_->Now();
        owned->rec.id = ids_.Next();
        owned->rec.kind = core::KindOf(request.spec);
        owned->rec.state = OperationState::kQueued;
        owned->rec.spec = request.spec;
        owned->rec.labels = request.labels;
        owned->rec.principal = request.principal;
        owned->rec.request_id = request.request_id;
        owned->rec.fingerprint = request.fingerprint;
        owned->rec.create_time = now;
        owned->rec.deadline = now + request.timeout.value_or(options_.default_timeout);
        owned->labels = std::make_shared<const std::map<std::string, std::string>>(request.labels);
        owned->claims = backend_->Claims(request.spec);
        Op* op = s_.ops.Add(std::move(owned));
        AppendEventLocked(op, Event{});
        snapshot = op->rec;
        revision = op->rec.revision;
        scheduler_.Enqueue(op);
        ScheduleDeadlineLocked(op);
        DispatchLocked();
      }
    }
    if (retry) return Start(request);
    Flush();
    if (absl::Status s = WaitDurable(revision); !s.ok()) {
      ForgetUndurable(snapshot.id);
      return s;
    }
    return snapshot;
  }

  absl::StatusOr<OperationRecord> Cancel(const std::string& principal, const std::string& id) {
    absl::StatusOr<Pin> pin = PinResident(id);
    if (!pin.ok()) return pin.status();
    std::shared_ptr<core::CancelToken> token;
    {
      core::MutexLock lock(&s_.mu);
      absl::Status found = FoundLocked(id);
      if (!found.ok()) return found;
      Op* op = s_.ops.Find(id);
      if (core::IsTerminal(op->rec.state)) return op->visible;
      op->rec.cancel_requested = true;
      if (op->rec.cancelled_by.empty()) op->rec.cancelled_by = principal;
      if (op->rec.state == OperationState::kQueued) {
        scheduler_.Dequeue(op);
        FinishLocked(op, Failure(core::MakeError(core::Code::kCancelled, core::reason::kCancelled,
                                                 "cancelled while queued")));
        DispatchLocked();
      } else if (op->rec.state == OperationState::kRunning) {
        token = BeginCancelLocked(op);
      }
    }
    Flush();
    if (token) token->RequestCancel();
    uint64_t want;
    {
      core::MutexLock lock(&s_.mu);
      Op* op = s_.ops.Find(id);
      if (op == nullptr) return RemovedLocked(id);
      want = op->rec.revision;
    }
    if (absl::Status s = WaitDurable(want); !s.ok()) return s;
    core::MutexLock lock(&s_.mu);
    Op* op = s_.ops.Find(id);  // again: retention or Delete may have removed it meanwhile
    if (op == nullptr) return RemovedLocked(id);
    return op->visible;
  }

  // The record with its large result, which is read from the store (outside the mutex).
  absl::StatusOr<OperationRecord> Get(const std::string& id) {  // any principal: see engine.h
    absl::StatusOr<Pin> pin = PinResident(id);
    if (!pin.ok()) return pin.status();
    OperationRecord rec;
    {
      core::MutexLock lock(&s_.mu);
      absl::Status found = FoundLocked(id);
      if (!found.ok()) return found;
      rec = s_.ops.Find(id)->visible;
    }
    if (rec.state != OperationState::kSucceeded || !HasDetachedResult(rec.result)) return rec;
    absl::StatusOr<std::string> content = store_->ReadResult(id);
    if (content.ok()) {
      AttachLargeResult(&rec.result, *std::move(content));
      return rec;
    }
    if (!absl::IsNotFound(content.status())) return content.status();
    // Removed meanwhile, or a result without a large part (an empty report).
    core::MutexLock lock(&s_.mu);
    if (s_.ops.Find(id) == nullptr) return RemovedLocked(id);
    return rec;
  }

  absl::StatusOr<ListResponse> List(const ListRequest& request) {
    absl::StatusOr<Filter> filter = Filter::Parse(request.filter);
    if (!filter.ok()) return filter.status();
    if (request.page_size < 0) {
      return MakeStatus(core::Code::kInvalidArgument, core::reason::kInvalidField,
                        "page_size: must not be negative", {{"field", "page_size"}});
    }
    int page_size = request.page_size == 0 ? 50 : std::min(request.page_size, 1000);
    ListResponse response;
    Store::ListPosition from;
    if (!request.page_token.empty()) {
      std::optional<PageToken> token = DecodePageToken(request.page_token, filter->Canonical());
      if (!token) {
        return MakeStatus(core::Code::kInvalidArgument, core::reason::kInvalidField,
                          "page_token: invalid, or issued for another filter",
                          {{"field", "page_token"}});
      }
      from.create_revision = token->before_revision;
      response.revision = token->revision;
    } else {
      // Read before the store: a watch from this revision sees every later change again.
      core::MutexLock lock(&s_.mu);
      response.revision = s_.log.visible_revision();
    }
    // Every retained operation is in the store (records become visible once durable there).
    absl::StatusOr<ListPage> page = ReadListPage(
        *store_, *filter, from, static_cast<size_t>(page_size), options_.max_list_bytes);
    if (!page.ok()) return page.status();
    response.operations = std::move(page->operations);
    if (page->next) {
      response.next_page_token =
          EncodePageToken({page->next->create_revision, response.revision}, filter->Canonical());
    }
    core::MutexLock lock(&s_.mu);
    for (OperationRecord& rec : response.operations) {
      if (const Op* op = s_.ops.Find(rec.id)) rec.progress = op->visible.progress;  // current
    }
    return response;
  }

  absl::Status Delete(const std::string& id) {
    {
      absl::StatusOr<Pin> pin = PinResident(id);
      if (!pin.ok()) return pin.status();
      core::MutexLock lock(&s_.mu);
      absl::Status found = FoundLocked(id);
      if (!found.ok()) return found;
      if (!core::IsTerminal(s_.ops.Find(id)->visible.state)) {
        return MakeStatus(core::Code::kFailedPrecondition, core::reason::kOperationNotFinished,
                          "operation \"" + id + "\" has not finished; cancel it first",
                          {{"operation_id", id}});
      }
    }
    RemoveOperations({id}, Removal::kDeleted);
    return absl::OkStatus();
  }

  absl::StatusOr<std::unique_ptr<Cursor>> OpenStatusStream(const std::string& principal,
                                                           const std::string& id,
                                                           uint64_t after_sequence) {
    absl::StatusOr<Pin> pin = PinResident(id);  // the cursor then holds its own pin
    if (!pin.ok()) return pin.status();
    core::MutexLock lock(&s_.mu);
    if (s_.streams.closed()) return ShuttingDown();
    absl::Status found = FoundLocked(id);
    if (!found.ok()) return found;
    Op* op = s_.ops.Find(id);
    if (after_sequence > op->visible_sequence) {
      return MakeStatus(core::Code::kOutOfRange, core::reason::kSequenceOutOfRange,
                        "after_sequence " + std::to_string(after_sequence) +
                            " is beyond the operation's current sequence " +
                            std::to_string(op->visible_sequence),
                        {{"field", "after_sequence"},
                         {"current_sequence", std::to_string(op->visible_sequence)}});
    }
    if (absl::Status s = s_.streams.Reserve(principal); !s.ok()) return s;
    auto cursor = std::make_unique<StatusCursor>(&s_, store_, principal, id, after_sequence);
    if (after_sequence > 0) s_.streams.CountResume(StreamRegistry::Kind::kStatus);
    return std::unique_ptr<Cursor>(std::move(cursor));
  }

  absl::StatusOr<std::unique_ptr<Cursor>> OpenWatch(const std::string& principal,
                                                    uint64_t after_revision,
                                                    const std::string& filter_text) {
    absl::StatusOr<Filter> filter = Filter::Parse(filter_text);
    if (!filter.ok()) return filter.status();
    core::MutexLock lock(&s_.mu);
    if (s_.streams.closed()) return ShuttingDown();
    uint64_t current = s_.log.visible_revision();
    if (after_revision > current) {
      return MakeStatus(
          core::Code::kOutOfRange, core::reason::kSequenceOutOfRange,
          "after_revision is beyond the server's current revision " + std::to_string(current),
          {{"field", "after_revision"}, {"current_revision", std::to_string(current)}});
    }
    if (after_revision < s_.log.floor()) {
      return MakeStatus(core::Code::kFailedPrecondition, core::reason::kCursorExpired,
                        "after_revision is older than the events the server retains; list "
                        "again, then watch from the listed revision",
                        {{"oldest_revision", std::to_string(s_.log.floor())}});
    }
    if (absl::Status s = s_.streams.Reserve(principal); !s.ok()) return s;
    auto cursor = std::make_unique<WatchCursor>(&s_, principal, after_revision, *filter);
    s_.streams.WatchOpened();  // ~WatchCursor counts it closed
    if (after_revision > 0) s_.streams.CountResume(StreamRegistry::Kind::kWatch);
    return std::unique_ptr<Cursor>(std::move(cursor));
  }

  void Shutdown(Duration grace) {
    {
      core::MutexLock lock(&s_.mu);
      if (shutdown_started_) {
        while (!shutdown_done_) shutdown_cv_.Wait(&s_.mu);
        return;
      }
      shutdown_started_ = true;
      shutting_down_ = true;
    }
    NotifyNotServing();
    // Let running operations finish within the grace period, then cancel the rest.
    Clock::TimerId grace_timer = 0;
    {
      core::MutexLock lock(&s_.mu);
      if (scheduler_.running() > 0) {
        grace_timer = clock_->Schedule(
            clock_->Now() + grace, [this] { maintenance_.Post([this] { CancelAllRunning(); }); });
      }
    }
    if (grace <= Duration::zero()) CancelAllRunning();
    // Cancelled runs get shutdown_cancel_bound to stop; a backend that ignores the cancel does
    // not keep the server up. Its operation stays CANCELLING (or RUNNING past its commit point)
    // in the store, and the next start's Recover resolves it by the backend's intent.
    Clock::TimerId bound_timer = 0;
    {
      core::MutexLock lock(&s_.mu);
      if (scheduler_.running() > 0) {
        bound_timer = clock_->Schedule(
            clock_->Now() + std::max(grace, Duration::zero()) + options_.shutdown_cancel_bound,
            [this] {
              core::MutexLock lock(&s_.mu);
              shutdown_gave_up_ = true;
              idle_cv_.SignalAll();
            });
      }
      while (scheduler_.running() > 0 && !shutdown_gave_up_) idle_cv_.Wait(&s_.mu);
    }
    if (grace_timer != 0) clock_->Cancel(grace_timer);
    if (bound_timer != 0) clock_->Cancel(bound_timer);
    Flush();
    Wakes wakes;
    {
      core::MutexLock lock(&s_.mu);
      s_.streams.Close();
      stop_workers_ = true;
      work_cv_.SignalAll();
      for (const auto& [id, op] : s_.ops.all()) TakeOpWakesLocked(op.get(), &wakes);
      std::vector<StreamCursor*> watches(s_.streams.watches().begin(), s_.streams.watches().end());
      for (StreamCursor* c : watches) c->TakeWakeLocked(&wakes);
    }
    RunWakes(&s_, &wakes);
    std::vector<bool> abandon;
    {
      core::MutexLock lock(&s_.mu);
      abandoned_ = in_run_;  // still inside backend_->Run: never joined
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
    core::MutexLock lock(&s_.mu);
    shutdown_done_ = true;
    shutdown_cv_.SignalAll();
  }

  void AwaitMaintenance() { maintenance_.Drain(); }

  bool serving() {
    core::MutexLock lock(&s_.mu);
    return !shutting_down_ && !s_.log.failed();
  }

  void SetServingObserver(std::function<void(bool)> observer) {
    core::MutexLock lock(&s_.mu);
    serving_observer_ = std::move(observer);
  }

  Stats stats() {
    core::MutexLock lock(&s_.mu);
    Stats s;
    s.queued = scheduler_.queued();
    s.running = scheduler_.running();
    s.open_streams = s_.streams.open();
    s.open_watches = s_.streams.open_watches();
    s.resumed_status_streams = s_.streams.resumes(StreamRegistry::Kind::kStatus);
    s.resumed_watches = s_.streams.resumes(StreamRegistry::Kind::kWatch);
    s.retained_operations = static_cast<int>(s_.ops.retained());
    s.resident_operations = static_cast<int>(s_.ops.size());
    for (const auto& [id, op] : s_.ops.all()) {
      s.retained_events += static_cast<int64_t>(op->events.size());
    }
    s.retained_events += static_cast<int64_t>(s_.log.window().size());
    s.revision = s_.log.visible_revision();
    return s;
  }

 private:
  // --- Events and durability ---------------------------------------------------------------

  void AppendEventLocked(Op* op, Event ev) GPOP_REQUIRES(s_.mu) {
    s_.log.Append(op, std::move(ev), clock_->Now());
  }

  // Writes pending changes to the store (one flusher at a time; a batch holds everything queued
  // meanwhile), then makes them visible and wakes the cursors that wait for them.
  void Flush() GPOP_EXCLUDES(s_.mu) {
    Wakes wakes;
    std::vector<Clock::TimerId> timers_to_cancel;
    bool failed_now = false;
    {
      core::MutexLock lock(&s_.mu);
      for (;;) {
        std::vector<Store::Change> batch = s_.log.TakeBatch();
        if (batch.empty()) break;
        s_.mu.Unlock();
        absl::Status s = store_->Commit(batch);
        s_.mu.Lock();
        if (!s.ok()) {
          // Fail-stop: nothing of the batch is durable, so none of it is ever shown (no number
          // is reused), nothing more is dispatched or committed, and readiness goes down. The
          // operator restarts gpopd once the store is healthy; recovery starts from what is
          // durable.
          s_.log.Failed(s);
          failed_now = true;
          durable_cv_.SignalAll();
          break;
        }
        s_.log.Committed(batch);
        for (Store::Change& change : batch) {
          Op* op = s_.ops.Find(change.record.id);
          if (op == nullptr) continue;
          op->visible = change.record;
          op->visible.progress = op->rec.progress;  // progress is a current value, not an event
          if (change.event) {
            op->visible_sequence = change.event->sequence;
            FanOutLocked(op);
            if (core::IsTerminal(change.event->state)) {
              // Finished and durable: its events are the store's (streams page them from
              // there); memory keeps the record only.
              op->events_base = op->visible_sequence;
              std::vector<EventPtr>().swap(op->events);
              s_.ops.Cache(op);  // may leave memory: `op` is not used after this
            }
          }
        }
        s_.log.Trim();
        FanOutWatchesLocked();
        durable_cv_.SignalAll();
        DispatchLocked();  // operations are dispatched only once their QUEUED event is durable
        RemoveExcessLaterLocked();
      }
      timers_to_cancel.swap(timers_to_cancel_);
    }
    RunWakes(&s_, &wakes);
    for (Clock::TimerId t : timers_to_cancel) timers_.Cancel(t);
    if (failed_now) NotifyNotServing();
  }

  absl::Status WaitDurable(uint64_t revision) GPOP_EXCLUDES(s_.mu) {
    core::MutexLock lock(&s_.mu);
    while (s_.log.visible_revision() < revision) {
      if (s_.log.failed()) return StoreFailedLocked();
      durable_cv_.Wait(&s_.mu);
    }
    return absl::OkStatus();
  }

  absl::Status StoreFailedLocked() GPOP_REQUIRES(s_.mu) {
    return MakeStatus(core::Code::kUnavailable, core::reason::kInternal,
                      "the operation store failed (" + std::string(s_.log.error().message()) +
                          "); the server accepts no work until it is restarted");
  }

  // Drops an operation whose QUEUED event never became durable (its Start was refused), so that
  // it can neither run nor reappear.
  void ForgetUndurable(const std::string& id) GPOP_EXCLUDES(s_.mu) {
    core::MutexLock lock(&s_.mu);
    Op* op = s_.ops.Find(id);
    if (op == nullptr || op->visible_sequence > 0) return;
    scheduler_.Dequeue(op);
    s_.ops.Forget(id);
  }

  void NotifyNotServing() GPOP_EXCLUDES(s_.mu) {
    std::function<void(bool)> observer;
    {
      core::MutexLock lock(&s_.mu);
      observer = serving_observer_;
    }
    if (observer) observer(false);
  }

  // --- Scheduling and the executor ------------------------------------------------------------

  void DispatchLocked() GPOP_REQUIRES(s_.mu) {
    if (shutting_down_ || s_.log.failed()) return;
    for (Op* op : scheduler_.Admit()) {
      op->rec.start_time = clock_->Now();
      Event ev;
      ev.state = OperationState::kRunning;
      AppendEventLocked(op, std::move(ev));
      ready_.push_back(op->rec.id);
      work_cv_.Signal();
    }
  }

  void WorkerLoop(int worker) {
    for (;;) {
      std::string id;
      core::RunRequest request;
      std::shared_ptr<core::CancelToken> token;
      uint64_t running_revision = 0;
      {
        core::MutexLock lock(&s_.mu);
        while (ready_.empty() && !stop_workers_) work_cv_.Wait(&s_.mu);
        if (ready_.empty()) return;
        id = ready_.front();
        ready_.pop_front();
        Op* op = s_.ops.Find(id);
        if (op == nullptr) continue;
        request.operation_id = id;
        request.spec = op->rec.spec;
        request.labels = op->rec.labels;
        request.principal = op->rec.principal;
        token = op->token;
        running_revision = op->events.back()->revision;
      }
      Flush();
      // The backend may act only once RUNNING is durable: after a crash, recovery then knows to
      // resolve the run by its intent instead of running it a second time.
      if (!WaitDurable(running_revision).ok()) {
        // The store failed (fail-stop): the run never starts, but it ends here, so that Shutdown
        // does not wait for it. Recovery finds it QUEUED or RUNNING in the store.
        core::MutexLock lock(&s_.mu);
        if (Op* op = s_.ops.Find(id)) EndRunLocked(op);
        continue;
      }
      {
        core::MutexLock lock(&s_.mu);
        if (stop_workers_) {  // shutdown ended waiting: never start a run it would not join
          if (Op* op = s_.ops.Find(id)) EndRunLocked(op);
          continue;
        }
        in_run_[worker] = true;
      }
      std::shared_ptr<Lifeline> lifeline = lifeline_;
      Sink sink(this, id);
      core::Outcome outcome = backend_->Run(request, sink, *token);
      bool abandoned = true;  // stays so if the engine is gone
      lifeline->Call([&] {
        core::MutexLock lock(&s_.mu);
        in_run_[worker] = false;
        abandoned = abandoned_[worker];
      });
      if (abandoned) return;  // shutdown gave up on this run; recovery resolves it
      {
        core::MutexLock lock(&s_.mu);
        if (Op* op = s_.ops.Find(id)) {
          op->rec.committed = token->committed();
          CancelCause cause{op->rec.state == OperationState::kCancelling, op->deadline_cancelled,
                            op->shutdown_cancelled};
          FinishLocked(op, {RunError(outcome.error, cause), outcome.effects,
                            std::move(outcome.result), outcome.hresult});
          EndRunLocked(op);
        }
      }
      Flush();
    }
  }

  // A dispatched run is over (finished, or never started because the store failed): its locks
  // and its place in the running counts go to the next.
  void EndRunLocked(Op* op) GPOP_REQUIRES(s_.mu) {
    scheduler_.EndRun(op);
    idle_cv_.SignalAll();
    DispatchLocked();
  }

  // Appends the terminal event and hands the operation to retention.
  void FinishLocked(Op* op, Ending ending) GPOP_REQUIRES(s_.mu) {
    AppendEventLocked(
        op, TerminalEvent(std::move(ending), op->rec.cancel_requested, op->folded_messages));
    s_.ops.MarkFinished(op);
    ScheduleRetentionLocked(op);
    if (op->deadline_timer != 0) {
      timers_to_cancel_.push_back(op->deadline_timer);  // cancelled by Flush, outside mu
      op->deadline_timer = 0;
    }
  }

  void ResolveRun(const std::string& id, bool was_cancelling) {
    std::optional<core::Outcome> outcome = backend_->Recover(id);
    core::MutexLock lock(&s_.mu);
    if (Op* op = s_.ops.Find(id)) {
      FinishLocked(op, ResolveInterrupted(std::move(outcome), was_cancelling));
    }
  }

  void OnProgress(const std::string& id, int64_t numerator, int64_t denominator) {
    core::MutexLock lock(&s_.mu);
    Op* op = s_.ops.Find(id);
    if (op == nullptr || core::IsTerminal(op->rec.state)) return;
    op->rec.progress = Progress{numerator, denominator, op->rec.last_sequence};
    op->visible.progress = op->rec.progress;
    FanOutLocked(op);
  }

  // --- Wake fan-out ---------------------------------------------------------------------------
  //
  // The thread that reports progress or leads a group commit never runs a watcher's wake: it
  // queues at most one wake pass per operation (and one for watches) on the fan-out pool, in
  // O(1). A pass takes the wakes of the cursors armed at that moment, so changes that arrive
  // while one is queued cost nothing more (watchers get the newest value).

  void FanOutLocked(Op* op) GPOP_REQUIRES(s_.mu) {
    if (op->armed.empty() || op->fanout_pending) return;
    op->fanout_pending = true;
    fanout_.Post([this, id = op->rec.id] { WakeOperation(id); });
  }

  void WakeOperation(const std::string& id) GPOP_EXCLUDES(s_.mu) {
    Wakes wakes;
    {
      core::MutexLock lock(&s_.mu);
      Op* op = s_.ops.Find(id);
      if (op == nullptr) return;
      op->fanout_pending = false;
      TakeOpWakesLocked(op, &wakes);
    }
    RunWakes(&s_, &wakes);
  }

  void TakeOpWakesLocked(Op* op, Wakes* wakes) GPOP_REQUIRES(s_.mu) {
    std::set<StreamCursor*> armed;
    armed.swap(op->armed);
    for (StreamCursor* c : armed) c->TakeWakeLocked(wakes);
  }

  void FanOutWatchesLocked() GPOP_REQUIRES(s_.mu) {
    if (s_.streams.watches().empty() || watch_fanout_pending_) return;
    watch_fanout_pending_ = true;
    fanout_.Post([this] { WakeWatches(); });
  }

  // Wakes the armed watches that the events made visible since the last pass concern: a watch
  // is woken only by an event its filter matches (or by falling out of retention).
  void WakeWatches() GPOP_EXCLUDES(s_.mu) {
    Wakes wakes;
    {
      core::MutexLock lock(&s_.mu);
      watch_fanout_pending_ = false;
      const auto& window = s_.log.window();
      auto it = std::upper_bound(
          window.begin(), window.end(), watch_woken_revision_,
          [](uint64_t rev, const WatchEntry& e) { return rev < e.event->revision; });
      std::vector<const WatchEntry*> fresh;
      for (; it != window.end() && it->event->revision <= s_.log.visible_revision(); ++it) {
        fresh.push_back(&*it);
      }
      watch_woken_revision_ = std::max(watch_woken_revision_, s_.log.visible_revision());
      std::vector<StreamCursor*> due;
      for (StreamCursor* c : s_.streams.watches()) {
        if (static_cast<WatchCursor*>(c)->WantsWakeLocked(fresh)) due.push_back(c);
      }
      for (StreamCursor* c : due) c->TakeWakeLocked(&wakes);
    }
    RunWakes(&s_, &wakes);
  }

  void OnMessages(const std::string& id, std::vector<core::StatusMessage> messages,
                  std::optional<uint32_t> hresult) {
    {
      core::MutexLock lock(&s_.mu);
      Op* op = s_.ops.Find(id);
      if (op == nullptr || core::IsTerminal(op->rec.state)) return;
      // Keep room for CANCELLING and the terminal event.
      if (op->rec.last_sequence + 3 > static_cast<uint64_t>(options_.max_events_per_operation)) {
        ++op->folded_messages;
        return;
      }
      Event ev;
      ev.state = op->rec.state;
      ev.messages = std::move(messages);
      ev.hresult = hresult;
      AppendEventLocked(op, std::move(ev));
    }
    Flush();
  }

  // --- Cancel, deadlines, shutdown --------------------------------------------------------------

  void CancelAllRunning() {
    std::vector<std::shared_ptr<core::CancelToken>> tokens;
    {
      core::MutexLock lock(&s_.mu);
      for (const auto& [id, op] : s_.ops.all()) {
        if (op->rec.state == OperationState::kRunning) {
          if (auto token = BeginCancelLocked(op.get())) {
            op->shutdown_cancelled = true;
            tokens.push_back(std::move(token));
          }
        }
      }
    }
    Flush();
    for (auto& token : tokens) token->RequestCancel();
  }

  void OnDeadline(const std::string& id) {
    std::shared_ptr<core::CancelToken> token;
    {
      core::MutexLock lock(&s_.mu);
      Op* op = s_.ops.Find(id);
      if (op == nullptr || core::IsTerminal(op->rec.state)) return;
      if (op->rec.state == OperationState::kQueued) {
        scheduler_.Dequeue(op);
        FinishLocked(op, Failure(core::MakeError(
                             core::Code::kDeadlineExceeded, core::reason::kDeadlineExceeded,
                             "the operation's deadline passed while it was queued")));
        DispatchLocked();
      } else if (op->rec.state == OperationState::kRunning) {
        token = BeginCancelLocked(op);
        if (token) op->deadline_cancelled = true;
      }
    }
    Flush();
    if (token) token->RequestCancel();
  }

  // Moves a running operation to CANCELLING and returns its token, for the caller to call
  // RequestCancel on after unlocking (the backend's cancel callbacks may call back into the
  // engine). Returns null when the backend already passed its commit point: the cancel no
  // longer applies. The CANCELLING event is written first so that it always precedes the
  // terminal one; if the backend commits in the instant between, the operation goes on to
  // report what really happened (SUCCEEDED).
  std::shared_ptr<core::CancelToken> BeginCancelLocked(Op* op) GPOP_REQUIRES(s_.mu) {
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
    AppendEventLocked(op, std::move(ev));
    return op->token;
  }

  // --- Timers and retention ---------------------------------------------------------------------

  // Timers only hand work to the maintenance thread: a deadline's cancel and retention's removal
  // write the store, and the clock's thread never blocks.
  Clock::TimerId ScheduleTimerLocked(Time when, std::function<void()> work) GPOP_REQUIRES(s_.mu) {
    return timers_.Schedule(when, [this, work = std::move(work)] { maintenance_.Post(work); });
  }

  void ScheduleDeadlineLocked(Op* op) GPOP_REQUIRES(s_.mu) {
    std::string id = op->rec.id;
    op->deadline_timer = ScheduleTimerLocked(op->rec.deadline, [this, id] { OnDeadline(id); });
  }

  void ScheduleRetentionLocked(Op* op) GPOP_REQUIRES(s_.mu) {
    ScheduleRetentionLocked(op->rec.id, op->rec.end_time.value_or(clock_->Now()));
  }
  void ScheduleRetentionLocked(const std::string& id, Time end_time) GPOP_REQUIRES(s_.mu) {
    ScheduleTimerLocked(end_time + options_.retention,
                        [this, id] { RemoveOperations({id}, Removal::kExpired); });
  }

  // Count-based retention, once terminal events are durable (only those may be removed): the
  // maintenance thread removes the oldest finished operations beyond the limit, without mu.
  void RemoveExcessLaterLocked() GPOP_REQUIRES(s_.mu) {
    if (s_.ops.finished_count() <= static_cast<size_t>(options_.retained_operations) ||
        excess_removal_scheduled_) {
      return;
    }
    excess_removal_scheduled_ = true;
    maintenance_.Post([this] { RemoveExcess(); });
  }

  // Count-based retention: removes the oldest finished operations beyond the limit.
  void RemoveExcess() GPOP_EXCLUDES(s_.mu) {
    std::vector<std::string> remove;
    {
      core::MutexLock lock(&s_.mu);
      excess_removal_scheduled_ = false;
      size_t limit = static_cast<size_t>(options_.retained_operations);
      size_t finished = s_.ops.finished_count();
      if (finished > limit) remove = s_.ops.OldestFinished(finished - limit);
    }
    RemoveOperations(remove, Removal::kExpired);
  }

  // Removes finished operations by retention or DeleteOperation (`why`): afterwards they answer
  // OPERATION_EXPIRED or OPERATION_DELETED.
  void RemoveOperations(const std::vector<std::string>& ids, Removal why) GPOP_EXCLUDES(s_.mu) {
    std::vector<std::string> removed;
    Wakes wakes;
    {
      core::MutexLock lock(&s_.mu);
      for (const std::string& id : ids) {
        if (!s_.ops.IsFinished(id)) continue;  // unknown, removed, or not finished
        // A resident one only once its terminal event is durable: no change of it can still
        // reach the store after the delete. Otherwise retention tries again later. (One in the
        // store only is durable.)
        if (Op* op = s_.ops.Find(id)) {
          if (!core::IsTerminal(op->visible.state) ||
              op->visible_sequence != op->rec.last_sequence) {
            ScheduleTimerLocked(clock_->Now() + std::chrono::seconds(1),
                                [this, id, why] { RemoveOperations({id}, why); });
            continue;
          }
          // Cursors of a removed operation end with OPERATION_EXPIRED (or _DELETED) on their
          // next poll.
          TakeOpWakesLocked(op, &wakes);
        }
        s_.ops.Remove(id, why);
        removed.push_back(id);
      }
    }
    RunWakes(&s_, &wakes);
    for (const std::string& id : removed) {
      (void)store_->Delete(id, why);
      core::MutexLock lock(&s_.mu);
      s_.ops.RemoveDone(id);  // from here on the store answers why it was removed
    }
  }

  // --- Lookups --------------------------------------------------------------------------------
  //
  // Memory holds live operations and a bounded cache of finished ones; the others are read
  // from the store by key (indexed: the cost does not depend on how many are retained).

  // Keeps an operation resident while a call reads it.
  class Pin {
   public:
    Pin(Impl* impl, std::string id) : impl_(impl), id_(std::move(id)) {}
    Pin(Pin&& other) noexcept : impl_(std::exchange(other.impl_, nullptr)), id_(other.id_) {}
    Pin& operator=(Pin&&) = delete;
    ~Pin() {
      if (impl_ == nullptr) return;
      core::MutexLock lock(&impl_->s_.mu);
      impl_->s_.ops.Unpin(id_);
    }

   private:
    Impl* impl_;
    std::string id_;
  };

  // Makes `id`'s operation resident and pins it: a finished one in the store only is read back
  // into the cache. NOT_FOUND / OPERATION_EXPIRED / OPERATION_DELETED as the id deserves.
  absl::StatusOr<Pin> PinResident(const std::string& id) GPOP_EXCLUDES(s_.mu) {
    for (;;) {
      uint64_t removals;
      {
        core::MutexLock lock(&s_.mu);
        if (Op* op = s_.ops.Find(id)) {
          if (op->visible_sequence == 0) return OperationNotFound(id);  // not durable yet
          s_.ops.Pin(op);
          return Pin(this, id);
        }
        if (s_.ops.IsRemoving(id)) return RemovedLocked(id);
        removals = s_.ops.removals();
      }
      absl::StatusOr<OperationRecord> rec = store_->ReadOperation(id);
      if (absl::IsNotFound(rec.status())) {
        absl::StatusOr<std::optional<Removal>> removal = store_->RemovalOf(id);
        if (!removal.ok()) return removal.status();
        return *removal ? OperationRemoved(id, **removal) : OperationNotFound(id);
      }
      if (!rec.ok()) return rec.status();
      core::MutexLock lock(&s_.mu);
      // Resident meanwhile (another reader), or removed meanwhile (the record read may be
      // stale): look again.
      if (s_.ops.Find(id) != nullptr || s_.ops.removals() != removals) continue;
      if (!core::IsTerminal(rec->state)) continue;  // unfinished ones are always resident
      auto op = std::make_unique<Op>();
      op->labels = std::make_shared<const std::map<std::string, std::string>>(rec->labels);
      op->visible_sequence = rec->last_sequence;
      op->events_base = rec->last_sequence;  // its events are the store's
      op->rec = *rec;
      op->visible = *std::move(rec);
      Op* raw = s_.ops.Add(std::move(op));
      s_.ops.Pin(raw);
      s_.ops.Cache(raw);  // finished and durable: evictable once unpinned
      return Pin(this, id);
    }
  }

  // A request_id's operation when it is in the store only (finished, left memory).
  struct StoredRequest {
    std::optional<OperationRecord> record;
    uint64_t evictions = 0;  // the table's count before the store was read
  };
  absl::StatusOr<StoredRequest> ReadStoredRequest(const StartRequest& request)
      GPOP_EXCLUDES(s_.mu) {
    StoredRequest stored;
    if (request.request_id.empty()) return stored;
    {
      core::MutexLock lock(&s_.mu);
      stored.evictions = s_.ops.evictions();
      if (s_.ops.FindByRequest(request.principal, request.request_id)) return stored;
    }
    absl::StatusOr<OperationRecord> rec =
        store_->FindRequest(request.principal, request.request_id);
    if (rec.ok()) {
      stored.record = *std::move(rec);
    } else if (!absl::IsNotFound(rec.status())) {
      return rec.status();
    }
    return stored;
  }

  absl::Status RequestIdReused(const std::string& request_id, const std::string& operation_id) {
    return MakeStatus(core::Code::kAlreadyExists, core::reason::kRequestIdReused,
                      "request_id \"" + request_id + "\" was already used for a different request",
                      {{"request_id", request_id}, {"operation_id", operation_id}});
  }

  absl::Status FoundLocked(const std::string& id) GPOP_REQUIRES(s_.mu) {
    Op* op = s_.ops.Find(id);
    if (op != nullptr && op->visible_sequence > 0) return absl::OkStatus();
    if (op != nullptr) return OperationNotFound(id);  // not durable yet: not visible to anyone
    // Not resident although PinResident found it: removed meanwhile.
    return RemovedLocked(id);
  }

  // An operation that was found, and then removed (by retention or by Delete) meanwhile.
  absl::Status RemovedLocked(const std::string& id) GPOP_REQUIRES(s_.mu) {
    return OperationRemoved(id, s_.ops.RemovalOf(id).value_or(Removal::kExpired));
  }

  // The record as Start first returned it: the visible one, or the current one if the QUEUED
  // event is still being written.
  OperationRecord FirstRecordLocked(Op* op) GPOP_REQUIRES(s_.mu) {
    return op->visible_sequence > 0 ? op->visible : op->rec;
  }

  const EngineOptions options_;
  core::Backend* const backend_;
  Store* const store_;
  Clock* const clock_;

  EngineState s_;
  core::CondVar durable_cv_;   // the visible revision advanced or the store failed
  core::CondVar work_cv_;      // ready_ has work, or stop
  core::CondVar idle_cv_;      // the running count decreased
  core::CondVar shutdown_cv_;  // shutdown_done_

  Scheduler scheduler_ GPOP_GUARDED_BY(s_.mu);
  std::deque<std::string> ready_ GPOP_GUARDED_BY(s_.mu);  // admitted, for the executor threads
  OperationIdGenerator ids_ GPOP_GUARDED_BY(s_.mu);
  TimerSet timers_;
  WorkQueue maintenance_;
  WorkQueue fanout_;                                          // wake passes
  bool watch_fanout_pending_ GPOP_GUARDED_BY(s_.mu) = false;  // a WakeWatches is queued
  uint64_t watch_woken_revision_ GPOP_GUARDED_BY(s_.mu) =
      0;  // events up to it were passed  // timer consequences that block: store writes, backend
          // cancels
  std::vector<Clock::TimerId> timers_to_cancel_ GPOP_GUARDED_BY(s_.mu);
  std::function<void(bool)> serving_observer_ GPOP_GUARDED_BY(s_.mu);
  bool excess_removal_scheduled_ GPOP_GUARDED_BY(s_.mu) = false;
  bool shutting_down_ GPOP_GUARDED_BY(s_.mu) = false;
  bool shutdown_started_ GPOP_GUARDED_BY(s_.mu) = false;
  bool shutdown_done_ GPOP_GUARDED_BY(s_.mu) = false;
  bool stop_workers_ GPOP_GUARDED_BY(s_.mu) = false;
  bool shutdown_gave_up_ GPOP_GUARDED_BY(s_.mu) = false;
  std::vector<bool> in_run_ GPOP_GUARDED_BY(s_.mu);     // per worker: inside backend_->Run
  std::vector<bool> abandoned_ GPOP_GUARDED_BY(s_.mu);  // per worker: detached by Shutdown
  const std::shared_ptr<Lifeline> lifeline_ = std::make_shared<Lifeline>();

  std::vector<std::thread> workers_;  // written only by the constructor and Shutdown
};

Engine::Engine(EngineOptions options, core::Backend* backend, Store* store, Clock* clock)
    : impl_(std::make_unique<Impl>(options, backend, store, clock)) {}
Engine::~Engine() = default;
absl::Status Engine::Recover() { return impl_->Recover(); }
absl::StatusOr<OperationRecord> Engine::Start(const StartRequest& r) { return impl_->Start(r); }
absl::StatusOr<OperationRecord> Engine::Cancel(const std::string& principal,
                                               const std::string& id) {
  return impl_->Cancel(principal, id);
}
absl::StatusOr<OperationRecord> Engine::Get(const std::string& /*principal*/,
                                            const std::string& id) {
  return impl_->Get(id);
}
absl::StatusOr<ListResponse> Engine::List(const ListRequest& r) { return impl_->List(r); }
absl::Status Engine::Delete(const std::string& /*principal*/, const std::string& id) {
  return impl_->Delete(id);
}
absl::StatusOr<std::unique_ptr<Cursor>> Engine::OpenStatusStream(const std::string& principal,
                                                                 const std::string& id,
                                                                 uint64_t after) {
  return impl_->OpenStatusStream(principal, id, after);
}
absl::StatusOr<std::unique_ptr<Cursor>> Engine::OpenWatch(const std::string& principal,
                                                          uint64_t after,
                                                          const std::string& filter) {
  return impl_->OpenWatch(principal, after, filter);
}
void Engine::Shutdown(Duration grace) { impl_->Shutdown(grace); }
void Engine::AwaitMaintenance() { impl_->AwaitMaintenance(); }
bool Engine::serving() { return impl_->serving(); }
void Engine::SetServingObserver(std::function<void(bool)> observer) {
  impl_->SetServingObserver(std::move(observer));
}
Engine::Stats Engine::stats() { return impl_->stats(); }

}  // namespace gpop::engine
