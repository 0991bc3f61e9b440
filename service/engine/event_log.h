// The event log: numbers events (sequence per operation, revision server-wide), queues them for
// the store as group-commit batches, and makes them visible only once the store made them
// durable. Keeps the server-wide window of recent events that watch streams replay.

#ifndef GPOP_SERVICE_ENGINE_EVENT_LOG_H_
#define GPOP_SERVICE_ENGINE_EVENT_LOG_H_

#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "service/engine/operation.h"
#include "service/engine/store.h"

namespace gpop::engine {

// WatchEntry
//
// One event in the server-wide log, with its operation's labels for watch filters.
struct WatchEntry {
  EventPtr event;
  LabelsPtr labels;
};

// EventLog
//
// Not thread-safe (the engine guards it with its mutex). One batch is committed at a time:
// TakeBatch hands the leader everything appended since the last batch, Committed or Failed ends
// it. Nothing of a batch is visible before Committed.
class EventLog {
 public:
  explicit EventLog(size_t retained_revisions);

  // Numbers `ev` as the op's next event at `now`, applies it to op->rec and queues the change.
  // `ev.state` is the new state (the first event is always QUEUED). A large result (report
  // content) leaves the event and the record here and travels to the store in the change only.
  // Returns the event.
  EventPtr Append(Op* op, Event ev, Time now);

  // The changes to commit now, or empty when there are none, a batch is being committed, or the
  // store failed. A non-empty result makes the caller the batch's leader.
  std::vector<Store::Change> TakeBatch();
  // The leader's batch is durable: its revisions become visible.
  void Committed(const std::vector<Store::Change>& batch);
  // The leader's batch failed: fail-stop, nothing more is committed or shown.
  void Failed(absl::Status error);

  bool failed() const { return failed_; }
  const absl::Status& error() const { return error_; }
  bool has_pending() const { return !pending_.empty(); }
  size_t pending_count() const { return pending_.size(); }

  // The highest durable revision; events up to it may be shown.
  uint64_t visible_revision() const { return visible_revision_; }
  // The highest revision appended (durable or not).
  uint64_t last_revision() const { return next_revision_ - 1; }

  // The watch window: events in revision order (with gaps), and the floor below which a watch
  // position may have missed trimmed events.
  const std::deque<WatchEntry>& window() const { return window_; }
  uint64_t floor() const { return floor_; }
  // Drops the oldest durable events beyond the retained count. True if any were dropped.
  bool Trim();

  // Recovery: a stored event (in revision order), then the highest revision ever assigned.
  void Restore(EventPtr event, LabelsPtr labels);
  void RestoreRevision(uint64_t revision);

 private:
  const size_t retained_revisions_;
  uint64_t next_revision_ = 1;
  uint64_t visible_revision_ = 0;
  std::vector<Store::Change> pending_;
  bool committing_ = false;
  bool failed_ = false;
  absl::Status error_;
  std::deque<WatchEntry> window_;
  uint64_t floor_ = 0;
};

}  // namespace gpop::engine

#endif  // GPOP_SERVICE_ENGINE_EVENT_LOG_H_
