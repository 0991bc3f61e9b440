// The engine's implementation. One mutex (`mu_`) guards all state; no store, backend, clock
// cancel or wake call is made while it is held. Events are numbered under the mutex, written to
// the store by one flusher at a time (group commit), and only then made visible to cursors.

#include "service/engine/engine.h"

#include <algorithm>
#include <deque>
#include <random>
#include <set>
#include <thread>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "service/core/mutex.h"
#include "service/engine/status_convert.h"

namespace gpop::engine {

using core::OperationState;

namespace {

using EventPtr = std::shared_ptr<const Event>;
using LabelsPtr = std::shared_ptr<const std::map<std::string, std::string>>;

absl::Status NotFound(const std::string& id) {
  return MakeStatus(core::Code::kNotFound, core::reason::kOperationNotFound,
                    "no operation \"" + id + "\"", {{"operation_id", id}});
}
absl::Status Expired(const std::string& id) {
  return MakeStatus(core::Code::kNotFound, core::reason::kOperationExpired,
                    "operation \"" + id + "\" was removed by retention", {{"operation_id", id}});
}
absl::Status ShuttingDown() {
  return MakeStatus(core::Code::kUnavailable, core::reason::kShuttingDown,
                    "the server is shutting down; retry after it restarts");
}

bool Conflicts(core::ResourceClaim::Access a, core::ResourceClaim::Access b) {
  return a == core::ResourceClaim::Access::kWrite || b == core::ResourceClaim::Access::kWrite;
}

}  // namespace

class Engine::Impl {
 public:
  Impl(EngineOptions options, core::Backend* backend, Store* store, Clock* clock)
      : options_(options), backend_(backend), store_(store), clock_(clock) {
    for (int i = 0; i < std::max(1, options_.executor_threads); ++i) {
      workers_.emplace_back([this] { WorkerLoop(); });
    }
  }

  ~Impl() {
    Shutdown(Duration::zero());
    // Cancel every timer; RealClock::Cancel waits for a callback that is running, and a running
    // callback cannot schedule new ones once closing_ is set.
    for (;;) {
      std::vector<Clock::TimerId> timers;
      {
        core::MutexLock lock(&mu_);
        closing_ = true;
        timers.assign(timers_.begin(), timers_.end());
      }
      if (timers.empty()) break;
      for (Clock::TimerId t : timers) CancelTimer(t);
    }
  }

  struct Op;
  class CursorBase;
  class StatusCursor;
  class WatchCursor;
  using Wakes = std::vector<std::pair<CursorBase*, std::function<void()>>>;

  struct Op {
    OperationRecord rec;      // current, including changes not yet durable
    OperationRecord visible;  // as of the last durable change
    LabelsPtr labels;
    uint64_t create_index = 0;
    std::vector<EventPtr> events;  // events[i].sequence == i + 1
    uint64_t visible_sequence = 0;
    std::shared_ptr<core::CancelToken> token = std::make_shared<core::CancelToken>();
    std::vector<core::ResourceClaim> claims;
    Clock::TimerId deadline_timer = 0;
    bool deadline_cancelled = false;
    bool shutdown_cancelled = false;
    int folded_messages = 0;
    std::set<CursorBase*> cursors;
  };

  // --- Cursors -----------------------------------------------------------------------------

  class CursorBase : public Cursor {
   public:
    CursorBase(Impl* impl, std::string principal) : impl_(impl), principal_(std::move(principal)) {}
    // Detaches the cursor from the engine; each final class calls it first in its destructor
    // (while its Unregister is still callable).
    void Close() {
      Clock::TimerId timer;
      {
        core::MutexLock lock(&impl_->mu_);
        wake_ = nullptr;  // from here on, nobody can take a wake
        timer = timer_;
        timer_ = 0;
      }
      if (timer != 0) impl_->clock_->Cancel(timer);
      core::MutexLock lock(&impl_->mu_);
      Unregister();
      while (wakes_in_flight_ > 0) impl_->wake_cv_.Wait(&impl_->mu_);
      --impl_->open_streams_;
      if (--impl_->streams_per_principal_[principal_] == 0) {
        impl_->streams_per_principal_.erase(principal_);
      }
    }

    Next Poll() override {
      core::MutexLock lock(&impl_->mu_);
      Next next = PollLocked();
      if (std::holds_alternative<StreamItem>(next)) last_sent_ = impl_->clock_->Now();
      return next;
    }

    bool Arm(std::function<void()> wake) override {
      Time due;
      {
        core::MutexLock lock(&impl_->mu_);
        if (ReadyLocked()) return false;
        wake_ = std::move(wake);
        if (timer_ != 0) return true;
        due = last_sent_ + impl_->options_.heartbeat_interval;
        // Scheduling under mu_ is safe: clocks never run callbacks inside Schedule.
        timer_ = impl_->clock_->Schedule(due, [this] { OnHeartbeatDue(); });
      }
      return true;
    }

    // Takes the armed wake, if any, for the caller to run after unlocking.
    void TakeWakeLocked(Wakes* wakes) {
      impl_->mu_.AssertHeld();
      if (!wake_) return;
      ++wakes_in_flight_;
      wakes->emplace_back(this, std::move(wake_));
      wake_ = nullptr;
    }

    void InitLastSent(Time now) {
      impl_->mu_.AssertHeld();
      last_sent_ = now;
    }

    void WakeDoneLocked() {
      impl_->mu_.AssertHeld();
      --wakes_in_flight_;
      impl_->wake_cv_.SignalAll();
    }

   protected:
    virtual Next PollLocked() GPOP_REQUIRES(impl_->mu_) = 0;
    virtual bool ReadyLocked() GPOP_REQUIRES(impl_->mu_) = 0;
    virtual void Unregister() GPOP_REQUIRES(impl_->mu_) = 0;

    bool HeartbeatDueLocked() GPOP_REQUIRES(impl_->mu_) {
      return impl_->clock_->Now() - last_sent_ >= impl_->options_.heartbeat_interval;
    }

    Impl* const impl_;
    const std::string principal_;
    Time last_sent_ GPOP_GUARDED_BY(impl_->mu_){};
    bool ended_ GPOP_GUARDED_BY(impl_->mu_) = false;

   private:
    void OnHeartbeatDue() {
      Wakes wakes;
      {
        core::MutexLock lock(&impl_->mu_);
        timer_ = 0;
        TakeWakeLocked(&wakes);
      }
      impl_->RunWakes(&wakes);
    }

    std::function<void()> wake_ GPOP_GUARDED_BY(impl_->mu_);
    Clock::TimerId timer_ GPOP_GUARDED_BY(impl_->mu_) = 0;
    int wakes_in_flight_ GPOP_GUARDED_BY(impl_->mu_) = 0;
  };

  class StatusCursor final : public CursorBase {
   public:
    StatusCursor(Impl* impl, std::string principal, std::string op_id, uint64_t position)
        : CursorBase(impl, std::move(principal)), op_id_(std::move(op_id)), position_(position) {}
    ~StatusCursor() override { Close(); }

   protected:
    Next PollLocked() override GPOP_REQUIRES(impl_->mu_) {
      if (ended_) return End{end_status_};
      Op* op = impl_->FindLocked(op_id_);
      if (op == nullptr) return Finish(Expired(op_id_));
      if (position_ < op->visible_sequence) {
        const EventPtr& ev = op->events[position_];
        ++position_;
        if (core::IsTerminal(ev->state)) terminal_sent_ = true;
        return StreamItem(*ev);
      }
      if (terminal_sent_ || core::IsTerminal(op->visible.state)) return Finish(absl::OkStatus());
      if (impl_->streams_closed_) return Finish(ShuttingDown());
      const Progress& p = op->rec.progress;
      if (p.after_sequence <= position_ && !(p == last_progress_) &&
          (p.numerator != 0 || p.denominator != 0)) {
        last_progress_ = p;
        return StreamItem(p);
      }
      if (HeartbeatDueLocked()) {
        return StreamItem(Heartbeat{position_, 0, impl_->clock_->Now()});
      }
      return Pending{};
    }

    bool ReadyLocked() override GPOP_REQUIRES(impl_->mu_) {
      if (ended_ || impl_->streams_closed_) return true;
      Op* op = impl_->FindLocked(op_id_);
      if (op == nullptr || position_ < op->visible_sequence || terminal_sent_ ||
          core::IsTerminal(op->visible.state)) {
        return true;
      }
      const Progress& p = op->rec.progress;
      if (p.after_sequence <= position_ && !(p == last_progress_) &&
          (p.numerator != 0 || p.denominator != 0)) {
        return true;
      }
      return HeartbeatDueLocked();
    }

    void Unregister() override GPOP_REQUIRES(impl_->mu_) {
      if (Op* op = impl_->FindLocked(op_id_)) op->cursors.erase(this);
    }

   private:
    Next Finish(absl::Status status) GPOP_REQUIRES(impl_->mu_) {
      ended_ = true;
      end_status_ = status;
      return End{std::move(status)};
    }

    const std::string op_id_;
    uint64_t position_ GPOP_GUARDED_BY(impl_->mu_);
    bool terminal_sent_ GPOP_GUARDED_BY(impl_->mu_) = false;
    Progress last_progress_ GPOP_GUARDED_BY(impl_->mu_);
    absl::Status end_status_ GPOP_GUARDED_BY(impl_->mu_);
  };

  class WatchCursor final : public CursorBase {
   public:
    WatchCursor(Impl* impl, std::string principal, uint64_t position, Filter filter)
        : CursorBase(impl, std::move(principal)), position_(position), filter_(std::move(filter)) {}
    ~WatchCursor() override { Close(); }

   protected:
    Next PollLocked() override GPOP_REQUIRES(impl_->mu_) {
      if (ended_) return End{end_status_};
      if (position_ < impl_->watch_floor_) {
        return Finish(MakeStatus(core::Code::kFailedPrecondition, core::reason::kCursorExpired,
                                 "the watch fell behind the events the server retains; list "
                                 "again, then watch from the listed revision"));
      }
      // Revisions are increasing but may have gaps (operations deleted before a restart).
      auto& log = impl_->watch_log_;
      auto it = std::upper_bound(
          log.begin(), log.end(), position_,
          [](uint64_t rev, const WatchEntry& e) { return rev < e.event->revision; });
      for (; it != log.end() && it->event->revision <= impl_->visible_revision_; ++it) {
        position_ = it->event->revision;
        if (filter_.Matches(it->event->kind, it->event->state, *it->labels)) {
          return StreamItem(*it->event);
        }
      }
      position_ = std::max(position_, impl_->visible_revision_);
      if (impl_->streams_closed_) return Finish(ShuttingDown());
      if (HeartbeatDueLocked()) return StreamItem(Heartbeat{0, position_, impl_->clock_->Now()});
      return Pending{};
    }

    bool ReadyLocked() override GPOP_REQUIRES(impl_->mu_) {
      return ended_ || impl_->streams_closed_ || position_ < impl_->visible_revision_ ||
             position_ < impl_->watch_floor_ || HeartbeatDueLocked();
    }

    void Unregister() override GPOP_REQUIRES(impl_->mu_) { impl_->watch_cursors_.erase(this); }

   private:
    Next Finish(absl::Status status) GPOP_REQUIRES(impl_->mu_) {
      ended_ = true;
      end_status_ = status;
      return End{std::move(status)};
    }

    uint64_t position_ GPOP_GUARDED_BY(impl_->mu_);
    const Filter filter_;
    absl::Status end_status_ GPOP_GUARDED_BY(impl_->mu_);
  };

  // --- The progress sink handed to backends ------------------------------------------------

  class Sink final : public core::ProgressSink {
   public:
    Sink(Impl* impl, std::string op_id) : impl_(impl), op_id_(std::move(op_id)) {}
    void Progress(int64_t numerator, int64_t denominator) override {
      impl_->OnProgress(op_id_, numerator, denominator);
    }
    void Messages(std::vector<core::StatusMessage> messages,
                  std::optional<uint32_t> hresult) override {
      impl_->OnMessages(op_id_, std::move(messages), hresult);
    }

   private:
    Impl* const impl_;
    const std::string op_id_;
  };

  struct WatchEntry {
    EventPtr event;
    LabelsPtr labels;
  };

  // --- Public operations -------------------------------------------------------------------

  absl::Status Recover() {
    absl::StatusOr<Store::Snapshot> snap = store_->Load();
    if (!snap.ok()) return snap.status();
    std::vector<std::string> running_ids, cancelling_ids;
    {
      core::MutexLock lock(&mu_);
      std::vector<OperationRecord> records = std::move(snap->operations);
      std::sort(records.begin(), records.end(), [](const auto& a, const auto& b) {
        return a.create_time < b.create_time || (a.create_time == b.create_time && a.id < b.id);
      });
      for (OperationRecord& rec : records) {
        auto op = std::make_unique<Op>();
        op->rec = rec;
        op->visible = rec;
        op->labels = std::make_shared<const std::map<std::string, std::string>>(rec.labels);
        op->create_index = next_create_index_++;
        op->claims = backend_->Claims(rec.spec);
        by_index_[op->create_index] = rec.id;
        if (!rec.request_id.empty()) idempotency_[{rec.principal, rec.request_id}] = rec.id;
        ops_[rec.id] = std::move(op);
      }
      for (Event& ev : snap->events) {
        auto it = ops_.find(ev.operation_id);
        auto ptr = std::make_shared<const Event>(std::move(ev));
        LabelsPtr labels = it != ops_.end()
                               ? it->second->labels
                               : std::make_shared<std::map<std::string, std::string>>();
        if (it != ops_.end()) {
          if (ptr->sequence != it->second->events.size() + 1) {
            return absl::DataLossError("store: operation " + ptr->operation_id +
                                       " has a gap in its events at sequence " +
                                       std::to_string(ptr->sequence));
          }
          it->second->events.push_back(ptr);
          it->second->visible_sequence = ptr->sequence;
        }
        watch_log_.push_back({ptr, labels});
      }
      while (watch_log_.size() > static_cast<size_t>(options_.retained_revisions)) {
        watch_floor_ = watch_log_.front().event->revision;
        watch_log_.pop_front();
      }
      for (std::string& id : snap->expired) {
        if (ops_.count(id) == 0 && expired_.insert(id).second) expired_order_.push_back(id);
      }
      next_revision_ = snap->revision + 1;
      visible_revision_ = snap->revision;
      for (auto& [index, id] : by_index_) {
        Op* op = ops_[id].get();
        switch (op->rec.state) {
          case OperationState::kQueued:
            queue_.push_back(op);
            ++queued_;
            ++queued_per_principal_[op->rec.principal];
            ScheduleDeadlineLocked(op);
            break;
          case OperationState::kRunning:
            running_ids.push_back(id);
            break;
          case OperationState::kCancelling:
            cancelling_ids.push_back(id);
            break;
          default:
            finished_.push_back(id);
            ScheduleRetentionLocked(op);
            break;
        }
      }
    }
    // Resolve interrupted runs by their intents (outside the lock: backends do I/O).
    for (const std::string& id : running_ids) ResolveInterrupted(id, /*was_cancelling=*/false);
    for (const std::string& id : cancelling_ids) ResolveInterrupted(id, /*was_cancelling=*/true);
    {
      core::MutexLock lock(&mu_);
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
    OperationRecord snapshot;
    uint64_t revision = 0;
    {
      core::MutexLock lock(&mu_);
      if (shutting_down_) return ShuttingDown();
      if (store_failed_) return StoreFailedLocked();
      if (!request.request_id.empty()) {
        auto it = idempotency_.find({request.principal, request.request_id});
        if (it != idempotency_.end()) {
          Op* op = FindLocked(it->second);
          if (op != nullptr) {
            if (op->rec.fingerprint != request.fingerprint) {
              return MakeStatus(core::Code::kAlreadyExists, core::reason::kRequestIdReused,
                                "request_id \"" + request.request_id +
                                    "\" was already used for a different request",
                                {{"request_id", request.request_id}, {"operation_id", op->rec.id}});
            }
            snapshot = FirstRecordLocked(op);
            revision = op->events.front()->revision;
          }
        }
      }
      if (snapshot.id.empty()) {
        if (queued_ >= options_.max_queued) {
          return MakeStatus(core::Code::kResourceExhausted, core::reason::kQueueFull,
                            "too many queued operations on this server; retry later",
                            {{"scope", "server"}, {"limit", std::to_string(options_.max_queued)}});
        }
        auto queued_mine = queued_per_principal_.find(request.principal);
        if (queued_mine != queued_per_principal_.end() &&
            queued_mine->second >= options_.max_queued_per_principal) {
          return MakeStatus(core::Code::kResourceExhausted, core::reason::kQueueFull,
                            "too many queued operations for this caller; retry later",
                            {{"scope", "principal"},
                             {"limit", std::to_string(options_.max_queued_per_principal)}});
        }
        auto owned = std::make_unique<Op>();
        Op* op = owned.get();
        Time now = clock_->Now();
        op->rec.id = NewIdLocked();
        op->rec.kind = core::KindOf(request.spec);
        op->rec.state = OperationState::kQueued;
        op->rec.spec = request.spec;
        op->rec.labels = request.labels;
        op->rec.principal = request.principal;
        op->rec.request_id = request.request_id;
        op->rec.fingerprint = request.fingerprint;
        op->rec.create_time = now;
        op->rec.deadline = now + request.timeout.value_or(options_.default_timeout);
        op->labels = std::make_shared<const std::map<std::string, std::string>>(request.labels);
        op->claims = backend_->Claims(request.spec);
        op->create_index = next_create_index_++;
        by_index_[op->create_index] = op->rec.id;
        if (!request.request_id.empty()) {
          idempotency_[{request.principal, request.request_id}] = op->rec.id;
        }
        ops_[op->rec.id] = std::move(owned);
        AppendEventLocked(op, Event{});
        snapshot = op->rec;
        revision = op->rec.revision;
        queue_.push_back(op);
        ++queued_;
        ++queued_per_principal_[request.principal];
        ScheduleDeadlineLocked(op);
        DispatchLocked();
      }
    }
    Flush();
    if (absl::Status s = WaitDurable(revision); !s.ok()) {
      ForgetUndurable(snapshot.id);
      return s;
    }
    return snapshot;
  }

  absl::StatusOr<OperationRecord> Cancel(const std::string& id) {
    std::shared_ptr<core::CancelToken> token;
    {
      core::MutexLock lock(&mu_);
      absl::Status found = FoundLocked(id);
      if (!found.ok()) return found;
      Op* op = ops_[id].get();
      if (core::IsTerminal(op->rec.state)) return op->visible;
      op->rec.cancel_requested = true;
      if (op->rec.state == OperationState::kQueued) {
        RemoveFromQueueLocked(op);
        FinishLocked(op,
                     core::MakeError(core::Code::kCancelled, core::reason::kCancelled,
                                     "cancelled while queued"),
                     core::Effects::kNone, {}, std::nullopt);
        DispatchLocked();
      } else if (op->rec.state == OperationState::kRunning) {
        token = BeginCancelLocked(op);
      }
    }
    Flush();
    if (token) token->RequestCancel();
    uint64_t want;
    {
      core::MutexLock lock(&mu_);
      Op* op = FindLocked(id);
      if (op == nullptr) return Expired(id);
      want = op->rec.revision;
    }
    if (absl::Status s = WaitDurable(want); !s.ok()) return s;
    core::MutexLock lock(&mu_);
    Op* op = FindLocked(id);  // again: retention or Delete may have removed it meanwhile
    if (op == nullptr) return Expired(id);
    return op->visible;
  }

  absl::StatusOr<OperationRecord> Get(const std::string& id) {
    core::MutexLock lock(&mu_);
    absl::Status found = FoundLocked(id);
    if (!found.ok()) return found;
    return ops_[id]->visible;
  }

  absl::StatusOr<ListResponse> List(const ListRequest& request) {
    absl::StatusOr<Filter> filter = Filter::Parse(request.filter);
    if (!filter.ok()) return filter.status();
    if (request.page_size < 0) {
      return MakeStatus(core::Code::kInvalidArgument, core::reason::kInvalidField,
                        "page_size: must not be negative", {{"field", "page_size"}});
    }
    int page_size = request.page_size == 0 ? 50 : std::min(request.page_size, 1000);
    core::MutexLock lock(&mu_);
    ListResponse response;
    uint64_t start_before = UINT64_MAX;
    response.revision = visible_revision_;
    if (!request.page_token.empty()) {
      auto token = ParsePageToken(request.page_token, filter->Canonical());
      if (!token) {
        return MakeStatus(core::Code::kInvalidArgument, core::reason::kInvalidField,
                          "page_token: invalid, or issued for another filter",
                          {{"field", "page_token"}});
      }
      start_before = token->first;
      response.revision = token->second;
    }
    auto it = by_index_.lower_bound(start_before);
    while (it != by_index_.begin()) {
      --it;
      Op* op = ops_[it->second].get();
      const OperationRecord& rec = op->visible;
      if (op->visible_sequence == 0) continue;  // not durable yet
      if (!filter->Matches(rec.kind, rec.state, rec.labels)) continue;
      if (static_cast<int>(response.operations.size()) == page_size) {
        response.next_page_token =
            MakePageToken(it->first + 1, response.revision, filter->Canonical());
        break;
      }
      response.operations.push_back(rec);
    }
    return response;
  }

  absl::Status Delete(const std::string& id) {
    {
      core::MutexLock lock(&mu_);
      absl::Status found = FoundLocked(id);
      if (!found.ok()) return found;
      Op* op = ops_[id].get();
      if (!core::IsTerminal(op->visible.state)) {
        return MakeStatus(core::Code::kFailedPrecondition, core::reason::kOperationNotFinished,
                          "operation \"" + id + "\" has not finished; cancel it first",
                          {{"operation_id", id}});
      }
    }
    RemoveOperations({id});
    return absl::OkStatus();
  }

  absl::StatusOr<std::unique_ptr<Cursor>> OpenStatusStream(const std::string& principal,
                                                           const std::string& id,
                                                           uint64_t after_sequence) {
    core::MutexLock lock(&mu_);
    if (streams_closed_) return ShuttingDown();
    absl::Status found = FoundLocked(id);
    if (!found.ok()) return found;
    Op* op = ops_[id].get();
    if (after_sequence > op->visible_sequence) {
      return MakeStatus(core::Code::kOutOfRange, core::reason::kSequenceOutOfRange,
                        "after_sequence " + std::to_string(after_sequence) +
                            " is beyond the operation's current sequence " +
                            std::to_string(op->visible_sequence),
                        {{"field", "after_sequence"},
                         {"current_sequence", std::to_string(op->visible_sequence)}});
    }
    if (absl::Status s = ReserveStreamLocked(principal); !s.ok()) return s;
    auto cursor = std::make_unique<StatusCursor>(this, principal, id, after_sequence);
    if (after_sequence > 0) ++resumed_status_streams_;
    InitCursorLocked(cursor.get());
    op->cursors.insert(cursor.get());
    return std::unique_ptr<Cursor>(std::move(cursor));
  }

  absl::StatusOr<std::unique_ptr<Cursor>> OpenWatch(const std::string& principal,
                                                    uint64_t after_revision,
                                                    const std::string& filter_text) {
    absl::StatusOr<Filter> filter = Filter::Parse(filter_text);
    if (!filter.ok()) return filter.status();
    core::MutexLock lock(&mu_);
    if (streams_closed_) return ShuttingDown();
    if (after_revision > visible_revision_) {
      return MakeStatus(
          core::Code::kOutOfRange, core::reason::kSequenceOutOfRange,
          "after_revision is beyond the server's current revision " +
              std::to_string(visible_revision_),
          {{"field", "after_revision"}, {"current_revision", std::to_string(visible_revision_)}});
    }
    if (after_revision < watch_floor_) {
      return MakeStatus(core::Code::kFailedPrecondition, core::reason::kCursorExpired,
                        "after_revision is older than the events the server retains; list "
                        "again, then watch from the listed revision",
                        {{"oldest_revision", std::to_string(watch_floor_)}});
    }
    if (absl::Status s = ReserveStreamLocked(principal); !s.ok()) return s;
    auto cursor = std::make_unique<WatchCursor>(this, principal, after_revision, *filter);
    if (after_revision > 0) ++resumed_watches_;
    InitCursorLocked(cursor.get());
    watch_cursors_.insert(cursor.get());
    return std::unique_ptr<Cursor>(std::move(cursor));
  }

  void Shutdown(Duration grace) {
    {
      core::MutexLock lock(&mu_);
      if (shutdown_started_) {
        while (!shutdown_done_) shutdown_cv_.Wait(&mu_);
        return;
      }
      shutdown_started_ = true;
      shutting_down_ = true;
    }
    NotifyNotServing();
    // Let running operations finish within the grace period, then cancel the rest.
    Clock::TimerId grace_timer = 0;
    {
      core::MutexLock lock(&mu_);
      if (running_ > 0) {
        grace_timer = clock_->Schedule(clock_->Now() + grace, [this] { CancelAllRunning(); });
      }
    }
    if (grace <= Duration::zero()) CancelAllRunning();
    {
      core::MutexLock lock(&mu_);
      while (running_ > 0) idle_cv_.Wait(&mu_);
    }
    if (grace_timer != 0) clock_->Cancel(grace_timer);
    Flush();
    Wakes wakes;
    {
      core::MutexLock lock(&mu_);
      streams_closed_ = true;
      stop_workers_ = true;
      work_cv_.SignalAll();
      for (auto& [id, op] : ops_) {
        for (CursorBase* c : op->cursors) c->TakeWakeLocked(&wakes);
      }
      for (CursorBase* c : watch_cursors_) c->TakeWakeLocked(&wakes);
    }
    RunWakes(&wakes);
    for (std::thread& t : workers_) t.join();
    workers_.clear();
    core::MutexLock lock(&mu_);
    shutdown_done_ = true;
    shutdown_cv_.SignalAll();
  }

  bool serving() {
    core::MutexLock lock(&mu_);
    return !shutting_down_ && !store_failed_;
  }

  void SetServingObserver(std::function<void(bool)> observer) {
    core::MutexLock lock(&mu_);
    serving_observer_ = std::move(observer);
  }

  void NotifyNotServing() GPOP_EXCLUDES(mu_) {
    std::function<void(bool)> observer;
    {
      core::MutexLock lock(&mu_);
      observer = serving_observer_;
    }
    if (observer) observer(false);
  }

  Stats stats() {
    core::MutexLock lock(&mu_);
    Stats s;
    s.queued = queued_;
    s.running = running_;
    s.open_streams = open_streams_;
    s.open_watches = static_cast<int>(watch_cursors_.size());
    s.resumed_status_streams = resumed_status_streams_;
    s.resumed_watches = resumed_watches_;
    s.retained_operations = static_cast<int>(ops_.size());
    for (auto& [id, op] : ops_) s.retained_events += static_cast<int64_t>(op->events.size());
    s.retained_events += static_cast<int64_t>(watch_log_.size());
    s.revision = visible_revision_;
    return s;
  }

  void RunWakes(Wakes* wakes) GPOP_EXCLUDES(mu_) {
    if (wakes->empty()) return;
    for (auto& [cursor, fn] : *wakes) fn();
    core::MutexLock lock(&mu_);
    for (auto& [cursor, fn] : *wakes) cursor->WakeDoneLocked();
    wakes->clear();
  }

 private:
  // --- Events and durability ---------------------------------------------------------------

  // Numbers `ev` as the op's next event, applies it to the op's record and queues both for the
  // store. `ev.state` defaults to the op's current state.
  void AppendEventLocked(Op* op, Event ev) GPOP_REQUIRES(mu_) {
    ev.operation_id = op->rec.id;
    ev.kind = op->rec.kind;
    ev.sequence = op->rec.last_sequence + 1;
    ev.revision = next_revision_++;
    ev.time = clock_->Now();
    if (ev.sequence == 1) ev.state = OperationState::kQueued;
    op->rec.state = ev.state;
    op->rec.last_sequence = ev.sequence;
    op->rec.revision = ev.revision;
    if (ev.hresult) op->rec.hresult = ev.hresult;
    if (core::IsTerminal(ev.state)) {
      op->rec.end_time = ev.time;
      op->rec.result = ev.result;
      op->rec.error = ev.error;
      op->rec.effects = ev.effects;
    }
    auto ptr = std::make_shared<const Event>(std::move(ev));
    op->events.push_back(ptr);
    watch_log_.push_back({ptr, op->labels});
    pending_.push_back({op->rec, *ptr});
  }

  // Writes pending changes to the store (one flusher at a time; a batch holds everything queued
  // meanwhile), then makes them visible and wakes the cursors that wait for them.
  void Flush() GPOP_EXCLUDES(mu_) {
    Wakes wakes;
    std::vector<Clock::TimerId> timers_to_cancel;
    bool failed_now = false;
    {
      core::MutexLock lock(&mu_);
      while (!pending_.empty() && !flushing_ && !store_failed_) {
        flushing_ = true;
        std::vector<Store::Change> batch;
        batch.swap(pending_);
        mu_.Unlock();
        absl::Status s = store_->Commit(batch);
        mu_.Lock();
        flushing_ = false;
        if (!s.ok()) {
          // Fail-stop: nothing of the batch is durable, so none of it is ever shown (no number
          // is reused), nothing more is dispatched or committed, and readiness goes down. The
          // operator restarts gpopd once the store is healthy; recovery starts from what is
          // durable.
          store_failed_ = true;
          store_error_ = s;
          failed_now = true;
          durable_cv_.SignalAll();
          break;
        }
        for (Store::Change& change : batch) {
          Op* op = FindLocked(change.record.id);
          if (change.event) visible_revision_ = change.event->revision;
          if (op == nullptr) continue;
          op->visible = change.record;
          op->visible.progress = op->rec.progress;  // progress is a current value, not an event
          if (change.event) {
            op->visible_sequence = change.event->sequence;
            for (CursorBase* c : op->cursors) c->TakeWakeLocked(&wakes);
          }
        }
        for (CursorBase* c : watch_cursors_) c->TakeWakeLocked(&wakes);
        TrimWatchLogLocked(&wakes);
        durable_cv_.SignalAll();
        DispatchLocked();  // operations are dispatched only once their QUEUED event is durable
      }
      timers_to_cancel.swap(timers_to_cancel_);
    }
    RunWakes(&wakes);
    for (Clock::TimerId t : timers_to_cancel) CancelTimer(t);
    if (failed_now) NotifyNotServing();
  }

  absl::Status WaitDurable(uint64_t revision) GPOP_EXCLUDES(mu_) {
    core::MutexLock lock(&mu_);
    while (visible_revision_ < revision) {
      if (store_failed_) return StoreFailedLocked();
      durable_cv_.Wait(&mu_);
    }
    return absl::OkStatus();
  }

  absl::Status StoreFailedLocked() GPOP_REQUIRES(mu_) {
    return MakeStatus(core::Code::kUnavailable, core::reason::kInternal,
                      "the operation store failed (" + std::string(store_error_.message()) +
                          "); the server accepts no work until it is restarted");
  }

  // Drops an operation whose QUEUED event never became durable (its Start was refused), so that
  // it can neither run nor reappear.
  void ForgetUndurable(const std::string& id) GPOP_EXCLUDES(mu_) {
    core::MutexLock lock(&mu_);
    Op* op = FindLocked(id);
    if (op == nullptr || op->visible_sequence > 0) return;
    RemoveFromQueueLocked(op);
    by_index_.erase(op->create_index);
    if (!op->rec.request_id.empty()) idempotency_.erase({op->rec.principal, op->rec.request_id});
    ops_.erase(id);
  }

  void TrimWatchLogLocked(Wakes* wakes) GPOP_REQUIRES(mu_) {
    bool trimmed = false;
    while (watch_log_.size() > static_cast<size_t>(options_.retained_revisions) &&
           watch_log_.front().event->revision <= visible_revision_) {
      watch_floor_ = watch_log_.front().event->revision;
      watch_log_.pop_front();
      trimmed = true;
    }
    if (trimmed) {
      for (CursorBase* c : watch_cursors_) c->TakeWakeLocked(wakes);
    }
  }

  // --- Scheduling ---------------------------------------------------------------------------

  void DispatchLocked() GPOP_REQUIRES(mu_) {
    if (shutting_down_ || store_failed_) return;
    std::map<std::string, core::ResourceClaim::Access> waiting;  // claims of earlier waiters
    for (auto it = queue_.begin(); it != queue_.end();) {
      if (running_ >= std::max(1, options_.executor_threads)) break;
      Op* op = *it;
      if (op->visible_sequence == 0) break;  // not durable yet; later ones neither (FIFO)
      bool grantable = RunningOf(op->rec.principal) < options_.max_running_per_principal;
      for (const core::ResourceClaim& c : op->claims) {
        auto w = waiting.find(c.resource);
        if (w != waiting.end() && Conflicts(w->second, c.access)) grantable = false;
        auto l = locks_.find(c.resource);
        if (l != locks_.end() &&
            (l->second.writer ||
             (c.access == core::ResourceClaim::Access::kWrite && l->second.readers > 0))) {
          grantable = false;
        }
      }
      if (!grantable) {
        for (const core::ResourceClaim& c : op->claims) {
          auto [w, inserted] = waiting.emplace(c.resource, c.access);
          if (!inserted && c.access == core::ResourceClaim::Access::kWrite) w->second = c.access;
        }
        ++it;
        continue;
      }
      for (const core::ResourceClaim& c : op->claims) {
        LockState& l = locks_[c.resource];
        if (c.access == core::ResourceClaim::Access::kWrite)
          l.writer = true;
        else
          ++l.readers;
      }
      it = queue_.erase(it);
      --queued_;
      DecrementLocked(&queued_per_principal_, op->rec.principal);
      ++running_;
      ++running_per_principal_[op->rec.principal];
      op->rec.start_time = clock_->Now();
      Event ev;
      ev.state = OperationState::kRunning;
      AppendEventLocked(op, std::move(ev));
      ready_.push_back(op->rec.id);
      work_cv_.Signal();
    }
  }

  void ReleaseLocksLocked(Op* op) GPOP_REQUIRES(mu_) {
    for (const core::ResourceClaim& c : op->claims) {
      auto l = locks_.find(c.resource);
      if (l == locks_.end()) continue;
      if (c.access == core::ResourceClaim::Access::kWrite)
        l->second.writer = false;
      else
        --l->second.readers;
      if (!l->second.writer && l->second.readers <= 0) locks_.erase(l);
    }
  }

  void WorkerLoop() {
    for (;;) {
      std::string id;
      core::RunRequest request;
      std::shared_ptr<core::CancelToken> token;
      uint64_t running_revision = 0;
      {
        core::MutexLock lock(&mu_);
        while (ready_.empty() && !stop_workers_) work_cv_.Wait(&mu_);
        if (ready_.empty()) return;
        id = ready_.front();
        ready_.pop_front();
        Op* op = FindLocked(id);
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
        core::MutexLock lock(&mu_);
        if (Op* op = FindLocked(id)) EndRunLocked(op);
        continue;
      }
      Sink sink(this, id);
      core::Outcome outcome = backend_->Run(request, sink, *token);
      {
        core::MutexLock lock(&mu_);
        Op* op = FindLocked(id);
        if (op != nullptr) {
          op->rec.committed = token->committed();
          std::optional<core::Error> error = outcome.error;
          if (error && error->code == core::Code::kCancelled &&
              op->rec.state != OperationState::kCancelling) {
            // Nobody asked: the backend stopped by itself. CANCELLED must follow CANCELLING.
            error->code = core::Code::kAborted;
            error->reason = core::reason::kBackendFailure;
            error->message = "the backend stopped the operation by itself: " + error->message;
          } else if (error && error->code == core::Code::kCancelled) {
            if (op->deadline_cancelled) {
              error =
                  core::MakeError(core::Code::kDeadlineExceeded, core::reason::kDeadlineExceeded,
                                  "the operation did not finish before its deadline");
            } else if (op->shutdown_cancelled) {
              error->reason = core::reason::kShuttingDown;
              error->message = "cancelled: the server shut down before the operation finished";
            }
          }
          FinishLocked(op, error, outcome.effects, std::move(outcome.result), outcome.hresult);
          EndRunLocked(op);
        }
      }
      Flush();
    }
  }

  // A dispatched run is over (finished, or never started because the store failed): its locks
  // and its place in the running counts go to the next.
  void EndRunLocked(Op* op) GPOP_REQUIRES(mu_) {
    ReleaseLocksLocked(op);
    --running_;
    DecrementLocked(&running_per_principal_, op->rec.principal);
    idle_cv_.SignalAll();
    DispatchLocked();
  }

  // Appends the terminal event. `error` empty = SUCCEEDED.
  void FinishLocked(Op* op, std::optional<core::Error> error, core::Effects effects,
                    core::OperationResult result, std::optional<uint32_t> hresult)
      GPOP_REQUIRES(mu_) {
    Event ev;
    if (!error) {
      ev.state = OperationState::kSucceeded;
      ev.result = std::move(result);
    } else {
      ev.state = error->code == core::Code::kCancelled ? OperationState::kCancelled
                                                       : OperationState::kFailed;
      if (op->rec.cancel_requested && ev.state == OperationState::kFailed) {
        error->metadata["cancel_requested"] = "true";
      }
      ev.error = std::move(error);
    }
    ev.effects = effects;
    ev.hresult = hresult;
    if (op->folded_messages > 0) {
      core::StatusMessage note;
      note.severity = core::Severity::kWarning;
      note.message = std::to_string(op->folded_messages) +
                     " further status message events were not recorded (per-operation limit)";
      ev.messages.push_back(std::move(note));
    }
    AppendEventLocked(op, std::move(ev));
    finished_.push_back(op->rec.id);
    ScheduleRetentionLocked(op);
    if (op->deadline_timer != 0) {
      timers_to_cancel_.push_back(op->deadline_timer);  // cancelled by Flush, outside mu_
      op->deadline_timer = 0;
    }
    if (finished_.size() > static_cast<size_t>(options_.retained_operations) &&
        !excess_removal_scheduled_) {
      // Removal touches the store: defer to a clock callback so it runs without mu_.
      excess_removal_scheduled_ = true;
      TrackTimerLocked(clock_->Now(), [this] { RemoveExcess(); });
    }
  }

  // Count-based retention: removes the oldest finished operations beyond the limit.
  void RemoveExcess() GPOP_EXCLUDES(mu_) {
    std::vector<std::string> remove;
    {
      core::MutexLock lock(&mu_);
      excess_removal_scheduled_ = false;
      size_t excess = finished_.size() > static_cast<size_t>(options_.retained_operations)
                          ? finished_.size() - options_.retained_operations
                          : 0;
      for (auto it = finished_.begin(); it != finished_.end() && remove.size() < excess; ++it) {
        remove.push_back(*it);
      }
    }
    RemoveOperations(remove);
  }

  void OnProgress(const std::string& id, int64_t numerator, int64_t denominator) {
    Wakes wakes;
    {
      core::MutexLock lock(&mu_);
      Op* op = FindLocked(id);
      if (op == nullptr || core::IsTerminal(op->rec.state)) return;
      op->rec.progress = Progress{numerator, denominator, op->rec.last_sequence};
      op->visible.progress = op->rec.progress;
      for (CursorBase* c : op->cursors) c->TakeWakeLocked(&wakes);
    }
    RunWakes(&wakes);
  }

  void OnMessages(const std::string& id, std::vector<core::StatusMessage> messages,
                  std::optional<uint32_t> hresult) {
    {
      core::MutexLock lock(&mu_);
      Op* op = FindLocked(id);
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

  void CancelAllRunning() {
    std::vector<std::pair<std::string, std::shared_ptr<core::CancelToken>>> tokens;
    {
      core::MutexLock lock(&mu_);
      for (auto& [id, op] : ops_) {
        if (op->rec.state == OperationState::kRunning) {
          if (auto token = BeginCancelLocked(op.get())) {
            op->shutdown_cancelled = true;
            tokens.emplace_back(id, token);
          }
        }
      }
    }
    Flush();
    for (auto& [id, token] : tokens) token->RequestCancel();
  }

  void OnDeadline(const std::string& id) {
    std::shared_ptr<core::CancelToken> token;
    {
      core::MutexLock lock(&mu_);
      Op* op = FindLocked(id);
      if (op == nullptr || core::IsTerminal(op->rec.state)) return;
      if (op->rec.state == OperationState::kQueued) {
        RemoveFromQueueLocked(op);
        FinishLocked(op,
                     core::MakeError(core::Code::kDeadlineExceeded, core::reason::kDeadlineExceeded,
                                     "the operation's deadline passed while it was queued"),
                     core::Effects::kNone, {}, std::nullopt);
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
  std::shared_ptr<core::CancelToken> BeginCancelLocked(Op* op) GPOP_REQUIRES(mu_) {
    op->rec.cancel_requested = true;
    if (op->token->committed()) return nullptr;
    Event ev;
    ev.state = OperationState::kCancelling;
    AppendEventLocked(op, std::move(ev));
    return op->token;
  }

  void ResolveInterrupted(const std::string& id, bool was_cancelling) {
    std::optional<core::Outcome> outcome = backend_->Recover(id);
    core::MutexLock lock(&mu_);
    Op* op = FindLocked(id);
    if (op == nullptr) return;
    if (outcome && !outcome->error) {
      FinishLocked(op, std::nullopt, core::Effects::kApplied, std::move(outcome->result),
                   outcome->hresult);
    } else if (outcome && outcome->effects != core::Effects::kNone) {
      // The backend could neither finish nor undo the run: say so, never claim a rollback.
      core::Error error = *outcome->error;
      error.metadata["server_restarted"] = "true";
      FinishLocked(op, std::move(error), outcome->effects, {}, outcome->hresult);
    } else if (was_cancelling) {
      FinishLocked(op,
                   core::MakeError(core::Code::kCancelled, core::reason::kCancelled,
                                   "cancelled; the server restarted before the backend stopped"),
                   core::Effects::kNone, {}, std::nullopt);
    } else {
      FinishLocked(op,
                   core::MakeError(core::Code::kAborted, core::reason::kServerRestarted,
                                   "the server restarted while the operation ran; its changes "
                                   "were rolled back"),
                   core::Effects::kNone, {}, std::nullopt);
    }
  }

  void ScheduleDeadlineLocked(Op* op) GPOP_REQUIRES(mu_) {
    std::string id = op->rec.id;
    op->deadline_timer = TrackTimerLocked(op->rec.deadline, [this, id] { OnDeadline(id); });
  }

  void ScheduleRetryLocked(const std::string& id) GPOP_REQUIRES(mu_) {
    TrackTimerLocked(clock_->Now() + std::chrono::seconds(1),
                     [this, id] { RemoveOperations({id}); });
  }

  void ScheduleRetentionLocked(Op* op) GPOP_REQUIRES(mu_) {
    std::string id = op->rec.id;
    Time when = op->rec.end_time.value_or(clock_->Now()) + options_.retention;
    TrackTimerLocked(when, [this, id] { RemoveOperations({id}); });
  }

  // Schedules `fn`, remembering the timer so that the engine can cancel it when destroyed.
  // Returns 0 (and schedules nothing) while the engine is being destroyed.
  Clock::TimerId TrackTimerLocked(Time when, std::function<void()> fn) GPOP_REQUIRES(mu_) {
    if (closing_) return 0;
    auto id_holder = std::make_shared<Clock::TimerId>(0);
    Clock::TimerId id = clock_->Schedule(when, [this, id_holder, fn = std::move(fn)] {
      fn();
      core::MutexLock lock(&mu_);
      timers_.erase(*id_holder);  // after fn: ~Impl waits for callbacks still in timers_
    });
    *id_holder = id;
    timers_.insert(id);
    return id;
  }

  void CancelTimer(Clock::TimerId id) GPOP_EXCLUDES(mu_) {
    clock_->Cancel(id);
    core::MutexLock lock(&mu_);
    timers_.erase(id);
  }

  void RemoveOperations(const std::vector<std::string>& ids) GPOP_EXCLUDES(mu_) {
    std::vector<std::string> removed;
    Wakes wakes;
    {
      core::MutexLock lock(&mu_);
      for (const std::string& id : ids) {
        auto it = ops_.find(id);
        if (it == ops_.end()) continue;
        Op* op = it->second.get();
        // Only once its terminal event is durable: no change of it can still reach the store
        // after the delete. Otherwise retention tries again later.
        if (!core::IsTerminal(op->visible.state) || op->visible_sequence != op->rec.last_sequence) {
          if (!closing_) ScheduleRetryLocked(id);
          continue;
        }
        for (CursorBase* c : op->cursors) c->TakeWakeLocked(&wakes);
        // Cursors of a removed operation end with OPERATION_EXPIRED on their next poll.
        by_index_.erase(op->create_index);
        if (!op->rec.request_id.empty()) {
          idempotency_.erase({op->rec.principal, op->rec.request_id});
        }
        finished_.erase(std::remove(finished_.begin(), finished_.end(), id), finished_.end());
        expired_.insert(id);
        expired_order_.push_back(id);
        while (expired_order_.size() > 100000) {
          expired_.erase(expired_order_.front());
          expired_order_.pop_front();
        }
        ops_.erase(it);
        removed.push_back(id);
      }
    }
    RunWakes(&wakes);
    for (const std::string& id : removed) (void)store_->Delete(id);
  }

  // --- Helpers ------------------------------------------------------------------------------

  struct LockState {
    int readers = 0;
    bool writer = false;
  };

  Op* FindLocked(const std::string& id) GPOP_REQUIRES(mu_) {
    auto it = ops_.find(id);
    return it == ops_.end() ? nullptr : it->second.get();
  }

  absl::Status FoundLocked(const std::string& id) GPOP_REQUIRES(mu_) {
    Op* op = FindLocked(id);
    if (op != nullptr && op->visible_sequence > 0) return absl::OkStatus();
    if (op != nullptr) return NotFound(id);  // not durable yet: not visible to anyone
    return expired_.count(id) > 0 ? Expired(id) : NotFound(id);
  }

  OperationRecord FirstRecordLocked(Op* op) GPOP_REQUIRES(mu_) {
    // The record as Start first returned it: the visible one, or the current one if the QUEUED
    // event is still being written.
    return op->visible_sequence > 0 ? op->visible : op->rec;
  }

  void RemoveFromQueueLocked(Op* op) GPOP_REQUIRES(mu_) {
    auto it = std::find(queue_.begin(), queue_.end(), op);
    if (it == queue_.end()) return;
    queue_.erase(it);
    --queued_;
    DecrementLocked(&queued_per_principal_, op->rec.principal);
  }

  int RunningOf(const std::string& principal) GPOP_REQUIRES(mu_) {
    auto it = running_per_principal_.find(principal);
    return it == running_per_principal_.end() ? 0 : it->second;
  }

  static void DecrementLocked(std::map<std::string, int>* counts, const std::string& key) {
    auto it = counts->find(key);
    if (it != counts->end() && --it->second <= 0) counts->erase(it);
  }

  absl::Status ReserveStreamLocked(const std::string& principal) GPOP_REQUIRES(mu_) {
    if (open_streams_ >= options_.max_streams) {
      return MakeStatus(core::Code::kResourceExhausted, core::reason::kTooManyStreams,
                        "too many open streams on this server; retry later",
                        {{"scope", "server"}, {"limit", std::to_string(options_.max_streams)}});
    }
    auto mine = streams_per_principal_.find(principal);
    if (mine != streams_per_principal_.end() &&
        mine->second >= options_.max_streams_per_principal) {
      return MakeStatus(
          core::Code::kResourceExhausted, core::reason::kTooManyStreams,
          "too many open streams for this caller; close some and retry",
          {{"scope", "principal"}, {"limit", std::to_string(options_.max_streams_per_principal)}});
    }
    ++open_streams_;
    ++streams_per_principal_[principal];
    return absl::OkStatus();
  }

  void InitCursorLocked(CursorBase* cursor) GPOP_REQUIRES(mu_) {
    cursor->InitLastSent(clock_->Now());
  }

  std::string NewIdLocked() GPOP_REQUIRES(mu_) {
    static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
    std::string id = "op-";
    for (int i = 0; i < 26; ++i) id += kAlphabet[rng_() % 32];
    return id;
  }

  static std::string MakePageToken(uint64_t before_index, uint64_t revision,
                                   const std::string& filter) {
    return absl::WebSafeBase64Escape(absl::StrCat("v1|", before_index, "|", revision, "|", filter));
  }

  static std::optional<std::pair<uint64_t, uint64_t>> ParsePageToken(const std::string& token,
                                                                     const std::string& filter) {
    std::string raw;
    if (!absl::WebSafeBase64Unescape(token, &raw)) return std::nullopt;
    std::vector<std::string> parts = absl::StrSplit(raw, absl::MaxSplits('|', 3));
    if (parts.size() != 4 || parts[0] != "v1" || parts[3] != filter) return std::nullopt;
    uint64_t index, revision;
    if (!absl::SimpleAtoi(parts[1], &index) || !absl::SimpleAtoi(parts[2], &revision)) {
      return std::nullopt;
    }
    return std::make_pair(index, revision);
  }

 public:
  const EngineOptions options_;
  core::Backend* const backend_;
  Store* const store_;
  Clock* const clock_;

  core::Mutex mu_;
  core::CondVar durable_cv_;   // visible_revision_ advanced or the store failed
  core::CondVar work_cv_;      // ready_ has work, or stop
  core::CondVar idle_cv_;      // running_ decreased
  core::CondVar wake_cv_;      // a wake call finished
  core::CondVar shutdown_cv_;  // shutdown_done_

  std::map<std::string, std::unique_ptr<Op>> ops_ GPOP_GUARDED_BY(mu_);
  std::map<uint64_t, std::string> by_index_ GPOP_GUARDED_BY(mu_);  // creation order
  uint64_t next_create_index_ GPOP_GUARDED_BY(mu_) = 1;
  std::map<std::pair<std::string, std::string>, std::string> idempotency_ GPOP_GUARDED_BY(mu_);
  std::set<std::string> expired_ GPOP_GUARDED_BY(mu_);
  std::deque<std::string> expired_order_ GPOP_GUARDED_BY(mu_);
  std::deque<std::string> finished_ GPOP_GUARDED_BY(mu_);

  std::deque<Op*> queue_ GPOP_GUARDED_BY(mu_);
  std::deque<std::string> ready_ GPOP_GUARDED_BY(mu_);
  std::map<std::string, LockState> locks_ GPOP_GUARDED_BY(mu_);
  int queued_ GPOP_GUARDED_BY(mu_) = 0;
  int running_ GPOP_GUARDED_BY(mu_) = 0;
  std::map<std::string, int> queued_per_principal_ GPOP_GUARDED_BY(mu_);
  std::map<std::string, int> running_per_principal_ GPOP_GUARDED_BY(mu_);

  uint64_t next_revision_ GPOP_GUARDED_BY(mu_) = 1;
  uint64_t visible_revision_ GPOP_GUARDED_BY(mu_) = 0;
  std::vector<Store::Change> pending_ GPOP_GUARDED_BY(mu_);
  bool flushing_ GPOP_GUARDED_BY(mu_) = false;
  bool store_failed_ GPOP_GUARDED_BY(mu_) = false;
  absl::Status store_error_ GPOP_GUARDED_BY(mu_);
  std::deque<WatchEntry> watch_log_ GPOP_GUARDED_BY(mu_);
  // Watch positions below this revision may have lost events to trimming: CURSOR_EXPIRED.
  uint64_t watch_floor_ GPOP_GUARDED_BY(mu_) = 0;

  std::set<CursorBase*> watch_cursors_ GPOP_GUARDED_BY(mu_);
  int open_streams_ GPOP_GUARDED_BY(mu_) = 0;
  uint64_t resumed_status_streams_ GPOP_GUARDED_BY(mu_) = 0;
  uint64_t resumed_watches_ GPOP_GUARDED_BY(mu_) = 0;
  std::map<std::string, int> streams_per_principal_ GPOP_GUARDED_BY(mu_);

  std::set<Clock::TimerId> timers_ GPOP_GUARDED_BY(mu_);
  std::vector<Clock::TimerId> timers_to_cancel_ GPOP_GUARDED_BY(mu_);
  std::function<void(bool)> serving_observer_ GPOP_GUARDED_BY(mu_);
  bool closing_ GPOP_GUARDED_BY(mu_) = false;
  bool excess_removal_scheduled_ GPOP_GUARDED_BY(mu_) = false;
  bool shutting_down_ GPOP_GUARDED_BY(mu_) = false;
  bool shutdown_started_ GPOP_GUARDED_BY(mu_) = false;
  bool shutdown_done_ GPOP_GUARDED_BY(mu_) = false;
  bool streams_closed_ GPOP_GUARDED_BY(mu_) = false;
  bool stop_workers_ GPOP_GUARDED_BY(mu_) = false;
  std::mt19937_64 rng_ GPOP_GUARDED_BY(mu_){std::random_device{}()};

  std::vector<std::thread> workers_;  // written only by the constructor and Shutdown
};

Engine::Engine(EngineOptions options, core::Backend* backend, Store* store, Clock* clock)
    : impl_(std::make_unique<Impl>(options, backend, store, clock)) {}
Engine::~Engine() = default;
absl::Status Engine::Recover() { return impl_->Recover(); }
absl::StatusOr<OperationRecord> Engine::Start(const StartRequest& r) { return impl_->Start(r); }
absl::StatusOr<OperationRecord> Engine::Cancel(const std::string& id) { return impl_->Cancel(id); }
absl::StatusOr<OperationRecord> Engine::Get(const std::string& id) { return impl_->Get(id); }
absl::StatusOr<ListResponse> Engine::List(const ListRequest& r) { return impl_->List(r); }
absl::Status Engine::Delete(const std::string& id) { return impl_->Delete(id); }
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
bool Engine::serving() { return impl_->serving(); }
void Engine::SetServingObserver(std::function<void(bool)> observer) {
  impl_->SetServingObserver(std::move(observer));
}
Engine::Stats Engine::stats() { return impl_->stats(); }

}  // namespace gpop::engine
