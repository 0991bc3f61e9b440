// The streams' side of the engine: opening status and watch cursors (the checks a position
// must pass), and waking armed cursors when what they wait for became visible. The thread that
// reports progress or leads a group commit never runs a watcher's wake: it queues at most one
// wake pass per operation (and one for watches) on the fan-out pool, in O(1). A pass takes the
// wakes of the cursors armed at that moment, so changes that arrive while one is queued cost
// nothing more (watchers get the newest value); a watch is woken only by an event its filter
// matches.

#ifndef GPOP_SERVICE_ENGINE_STREAM_WIRING_H_
#define GPOP_SERVICE_ENGINE_STREAM_WIRING_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "service/engine/cursors.h"
#include "service/engine/engine_core.h"

namespace gpop::engine {

// StreamWiring
//
// Thread-safe. Methods named *Locked need core->s.mu (asserted); the others must be called
// without it. Owns the fan-out pool (2 threads).
class StreamWiring {
 public:
  explicit StreamWiring(EngineCore* core) : core_(core), fanout_(2) {}

  // See Engine::OpenStatusStream and Engine::OpenWatch.
  absl::StatusOr<std::unique_ptr<Cursor>> OpenStatusStream(const std::string& principal,
                                                           const std::string& id,
                                                           uint64_t after_sequence);
  // A status stream or a client's watch opening ends the committer's hold (Committer::
  // EndHold): its watcher gets the held events at once.
  absl::StatusOr<std::unique_ptr<Cursor>> OpenWatch(
      const std::string& principal, uint64_t after_revision, const std::string& filter_text,
      Engine::WatchFor who = Engine::WatchFor::kClient);

  // `op` changed in a way its status streams may show (a durable event, new progress): queues
  // a wake pass over its armed cursors, unless one is queued already.
  void OperationChangedLocked(Op* op);
  // `op`'s progress changed (rec.progress): its status streams are shown the new value now,
  // or, when they were shown one less than the pacing interval ago (EngineOptions::
  // stream_progress_per_second), the newest value once the interval has passed (a clock timer
  // that only posts to the fan-out pool). O(1) under the mutex.
  void ProgressChangedLocked(Op* op);
  // Events became visible: queues a wake pass over the armed watches, unless one is queued.
  void WatchesChangedLocked();

  // Takes the wakes of every cursor armed on `op` (removal and shutdown end them), to run with
  // RunWakes after unlocking.
  static void TakeOpWakesLocked(Op* op, Wakes* wakes);

  // Waits for the queued wake passes (tests); stops the pool (the engine's destructor).
  void Drain() { fanout_.Drain(); }
  void Stop() { fanout_.Stop(); }

 private:
  // The cursors, opened under the mutex (the public calls then end the committer's hold).
  absl::StatusOr<std::unique_ptr<Cursor>> OpenStatusCursor(const std::string& principal,
                                                           const std::string& id,
                                                           uint64_t after_sequence);
  absl::StatusOr<std::unique_ptr<Cursor>> OpenWatchCursor(const std::string& principal,
                                                          uint64_t after_revision,
                                                          const std::string& filter_text,
                                                          bool client);
  void WakeOperation(const std::string& id);
  // The pause between two progress values shown to an operation with `streams` status streams.
  Duration ProgressInterval(int streams) const;
  void ShowProgressLocked(Op* op, Time now);
  void ShowScheduledProgress(const std::string& id);
  void WakeWatches();

  EngineCore* const core_;
  WorkQueue fanout_;
  bool watch_fanout_pending_ GPOP_GUARDED_BY(core_->s.mu) = false;  // a WakeWatches is queued
  uint64_t watch_woken_revision_ GPOP_GUARDED_BY(core_->s.mu) = 0;  // events up to it passed
};

}  // namespace gpop::engine

#endif  // GPOP_SERVICE_ENGINE_STREAM_WIRING_H_
