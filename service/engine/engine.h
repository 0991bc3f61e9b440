// The operation engine: registry, event logs, stream cursors, resource locks, executor, limits,
// deadlines, idempotency, cancel and planned shutdown. No gRPC here: service/api adapts it.

#ifndef GPOP_SERVICE_ENGINE_ENGINE_H_
#define GPOP_SERVICE_ENGINE_ENGINE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "service/core/backend.h"
#include "service/engine/clock.h"
#include "service/engine/filter.h"
#include "service/engine/principal_limits.h"
#include "service/engine/store.h"
#include "service/engine/types.h"

namespace gpop::engine {

// EngineOptions
//
// Limits and timings. Defaults suit one gpopd.
struct EngineOptions {
  int executor_threads = 4;           // operations running at once, overall
  int max_running_per_principal = 4;  // more stay queued
  int max_queued = 1000;              // Start past this: RESOURCE_EXHAUSTED (QUEUE_FULL)
  int max_queued_per_principal = 200;
  int max_streams = 20000;               // open status + watch streams
  int max_streams_per_principal = 5000;  // past these: RESOURCE_EXHAUSTED (TOO_MANY_STREAMS)
  // Principals' own max_*_per_principal values (the policy file's "limit" lines); null: none.
  LimitOverridesLookup principal_limits;
  Duration default_timeout = std::chrono::hours(1);
  Duration max_timeout = std::chrono::hours(24);
  Duration heartbeat_interval = std::chrono::seconds(15);
  // Progress on status streams is paced: the streams of one operation are sent at most this
  // many progress items per second in all (each stream gets the newest value when its turn
  // comes; events are never delayed), so that thousands of watchers cannot take the CPU from
  // the operation they watch. The pause between two values grows with the operation's streams
  // (1 stream: 1/N s; N streams: 1 s) and is at most max_progress_interval. 0: no pacing.
  int stream_progress_per_second = 5000;
  Duration max_progress_interval = std::chrono::seconds(1);
  Duration retention = std::chrono::hours(24 * 7);  // finished operations are kept this long
  int retained_operations = 10000;                  // and at most this many
  // When the store refuses to remove an operation retention expired, it stays and retention
  // tries again after this long.
  Duration removal_retry = std::chrono::seconds(30);
  // Finished operations kept in memory besides the live ones; older ones are read from the
  // store (Get, List, request_id, status streams), so memory does not grow with history.
  int cached_finished_operations = 1000;
  // Events kept in memory for WatchOperations; a watch from an older revision reads the store.
  int retained_revisions = 10000;
  int max_events_per_operation = 10000;  // later message events are folded into one count
  // Shutdown: after the grace period, cancelled runs get this long to stop; a backend that still
  // has not returned is abandoned (its operation is resolved by Recover at the next start).
  Duration shutdown_cancel_bound = std::chrono::seconds(10);
  // Cancel of a running operation waits up to this long (the engine's clock) for the run's
  // outcome before it commits CANCELLING alone: a backend that stops at once then has CANCELLING
  // and its terminal event durable in one commit instead of two in series (a watcher sees the
  // terminal event one commit sooner). Either way Cancel answers once CANCELLING is durable.
  // 0: CANCELLING is committed at once (gpopd's --cancel_commit_wait sets it).
  Duration cancel_commit_wait = Duration::zero();
  // With a store whose commits block (SQLite's fsync), a batch that nobody waits for (only run
  // ends of operations with no status stream open while no client watch is open: no Start
  // answer, no Cancel, no WaitDurable caller) waits up to this long (the engine's clock) for the
  // next commit something awaited asks for, and rides in it: one sync instead of two in series
  // when a client starts its next operation as soon as the last one is answered. The held
  // changes stay invisible (Get shows the old state) until that commit; anything awaited, a
  // stream opening, Cancel or Shutdown ends the hold at once. 0: every batch is committed at
  // once (gpopd's --end_commit_hold sets it).
  Duration end_commit_hold = Duration::zero();
  // A listing page ends before its records' estimated size passes this (a default client
  // accepts 4 MiB), and at page_size records.
  size_t max_list_bytes = size_t{2} << 20;
  // What a status stream reads from the store at once when it replays events no longer in
  // memory (a finished operation's, or those from before a restart).
  Store::PageLimits history_page{256, size_t{256} << 10};
};

// StartRequest
//
// A validated request to start an operation. `fingerprint` identifies the request's content
// (service/api hashes the deterministic serialization) for request_id reuse checks.
struct StartRequest {
  std::string principal;
  std::string request_id;
  std::string fingerprint;
  core::OperationSpec spec;
  std::optional<Duration> timeout;
  std::map<std::string, std::string> labels;
};

// ListRequest / ListResponse
//
// One AIP-158 page of operations, newest first. `page_token` is opaque (it carries the position
// and the filter it was issued for); `revision` is the server revision the first page reflected.
struct ListRequest {
  std::string filter;
  int page_size = 0;
  std::string page_token;
};
struct ListResponse {
  std::vector<OperationRecord> operations;
  std::string next_page_token;
  uint64_t revision = 0;
};

// Cursor
//
// One stream's position: a status stream over one operation's events, or a watch stream over all
// events. Not thread-safe except `Wake`-related calls as documented; one reactor owns it. Holds
// no events itself (it reads the engine's logs by position), so a stalled reader costs nothing
// but the cursor.
class Cursor {
 public:
  virtual ~Cursor() = default;

  // The outcome of `Next`.
  struct Pending {};  // nothing to send now; call Arm to be woken
  struct End {        // the stream is over: OK after the terminal event, or an error
    absl::Status status;
  };
  using Next = std::variant<StreamItem, Pending, End>;

  // The next item to send: every event after the position in order, then the newest progress
  // (only when it changed since last sent), then a heartbeat when idle for the heartbeat
  // interval; End after the terminal event was returned, or when the server shuts down
  // (UNAVAILABLE, reason SHUTTING_DOWN), or when the store fails to read history.
  virtual Next Poll() = 0;

  // Asks for `wake` to be called once, from an engine or clock thread, when Poll may return
  // something other than Pending (new event, new progress, heartbeat due, shutdown). Returns false
  // without arming when Poll would already return something. `wake` must not block and must not
  // call back into the cursor; it is never called after the cursor is destroyed. Destroying the
  // cursor waits for a wake call in progress, so do not hold a lock that `wake` takes while
  // destroying it.
  virtual bool Arm(std::function<void()> wake) = 0;
};

// Engine
//
// Thread-safe. Owns the executor threads; the backend, store and clock must outlive it, and
// every Cursor it opened must be destroyed before it.
//
// Blocking: Start and Cancel wait until their event is durable (group commit; microseconds with
// the memory store, one fsync with a durable one), and Cancel runs the backend's cancel
// subscribers on the calling thread. Cursor::Poll and Cursor::Arm only take the engine's mutex.
class Engine {
 public:
  Engine(EngineOptions options, core::Backend* backend, Store* store, Clock* clock);
  ~Engine();  // Shutdown(0) if not done yet.
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Loads the store: finished operations and events come back; QUEUED ones run again; RUNNING
  // ones are resolved by the backend's Recover (SUCCEEDED, or FAILED with reason
  // SERVER_RESTARTED and effects NONE); CANCELLING ones end CANCELLED. Call once, before use.
  absl::Status Recover();

  // Records and queues an operation; returns it once durable (state QUEUED).
  absl::StatusOr<OperationRecord> Start(const StartRequest& request);

  // Start without waiting: `done` is called exactly once with what Start would return, when
  // the operation is durable (or refused, or its commit failed, or the engine is destroyed
  // first: UNAVAILABLE, SHUTTING_DOWN). A refusal known at once (validation, limits, a
  // request_id reused) is answered on this thread before StartAsync returns; otherwise `done`
  // runs on the thread that leads the group commit carrying the operation. With a store whose
  // commits block (Store::CommitBlocks: SQLite's fsync) that is never this thread: the
  // committer's flusher thread, or an engine thread already leading a batch, so the call
  // returns without waiting for the disk. With the memory store this thread may lead the batch
  // itself (microseconds) and answer before returning. `done` runs without engine locks and
  // must not block.
  void StartAsync(const StartRequest& request,
                  std::function<void(absl::StatusOr<OperationRecord>)> done);

  // Requests a cancel on behalf of `principal` (the authenticated caller, already authorized
  // at the edge); returns at once with the record as it then is. Idempotent: the first caller
  // to ask is recorded as cancelled_by. Past the backend's commit point the cancel no longer
  // applies, but the record shows it was asked at once (cancel_requested, cancelled_by).
  absl::StatusOr<OperationRecord> Cancel(const std::string& principal,
                                         const std::string& operation_id);

  // The record as the store has it. `principal` is the caller (authorized at the edge, or a
  // server-internal reader); the answer does not depend on it.
  absl::StatusOr<OperationRecord> Get(const std::string& principal,
                                      const std::string& operation_id);
  absl::StatusOr<ListResponse> List(const ListRequest& request);

  // Removes a finished operation (LRO DeleteOperation) on behalf of `principal`. Unfinished:
  // FAILED_PRECONDITION. Afterwards Get, Cancel and status streams answer NOT_FOUND, reason
  // OPERATION_DELETED (retention's removals answer OPERATION_EXPIRED), also after a restart.
  // When the store cannot delete it: UNAVAILABLE, and the operation stays as it was.
  absl::Status Delete(const std::string& principal, const std::string& operation_id);

  // Opens a status stream after `after_sequence`. Errors: NOT_FOUND (OPERATION_NOT_FOUND,
  // OPERATION_EXPIRED or OPERATION_DELETED), OUT_OF_RANGE (SEQUENCE_OUT_OF_RANGE),
  // RESOURCE_EXHAUSTED (TOO_MANY_STREAMS), UNAVAILABLE (SHUTTING_DOWN).
  absl::StatusOr<std::unique_ptr<Cursor>> OpenStatusStream(const std::string& principal,
                                                           const std::string& operation_id,
                                                           uint64_t after_sequence);

  // Opens a watch stream over events with revision > `after_revision` of operations matching
  // `filter`; revisions older than the engine's window are read from the store. Errors:
  // INVALID_ARGUMENT (filter), OUT_OF_RANGE (a revision not reached yet), RESOURCE_EXHAUSTED,
  // UNAVAILABLE.
  //
  // `who`: kFollower for gpopd's own observers (the operation log, the metrics, the audit
  // recorder: api::EventFollower), whose events may come up to EngineOptions::end_commit_hold
  // later; an open client watch (kClient) keeps the engine from holding any batch.
  enum class WatchFor { kClient, kFollower };
  absl::StatusOr<std::unique_ptr<Cursor>> OpenWatch(const std::string& principal,
                                                    uint64_t after_revision,
                                                    const std::string& filter,
                                                    WatchFor who = WatchFor::kClient);

  // Planned shutdown: refuse new starts (UNAVAILABLE, SHUTTING_DOWN), keep queued operations
  // queued, let running ones finish within `grace`, then cancel the rest and wait for their
  // backends to return, at most `shutdown_cancel_bound` more: a run still going then is left as
  // the store has it (CANCELLING, or RUNNING past its commit point) for the next start's Recover
  // to resolve, and its later outcome is ignored. Finally ends every open stream. Idempotent;
  // blocks until done (at most grace + shutdown_cancel_bound on the engine's clock).
  void Shutdown(Duration grace);

  // Waits until the work timers handed over so far is done. Timers (deadlines, retention, the
  // shutdown grace period) never do blocking work on the clock's thread: they hand it to the
  // engine's maintenance thread. For tests that advance a FakeClock and then look.
  void AwaitMaintenance();

  // Readiness: false once Shutdown began or the store failed.
  bool serving();

  // Calls `observer(false)` (from an engine thread, without engine locks held) when serving()
  // turns false, so that health checks follow at once. Set it before use.
  void SetServingObserver(std::function<void(bool)> observer);

  // Counters for tests, metrics and benchmarks.
  struct Stats {
    int queued = 0;
    int running = 0;
    int open_streams = 0;  // status streams and watches
    int open_watches = 0;
    // Streams opened after a sequence (status) or a revision (watch) > 0, since start-up: the
    // resumes of cut streams (and watchers that list first, then watch from the listed revision).
    uint64_t resumed_status_streams = 0;
    uint64_t resumed_watches = 0;
    int retained_operations = 0;
    int resident_operations = 0;  // held in memory: live ones and the cache of finished ones
    int64_t retained_events = 0;  // events held in memory (operation logs + watch log)
    uint64_t revision = 0;
  };
  Stats stats();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gpop::engine

#endif  // GPOP_SERVICE_ENGINE_ENGINE_H_
