// Op: everything the engine keeps about one resident operation (live, or finished and cached).
// Shared by the engine's parts (operation table, event log, scheduler, cursors); guarded by the
// engine's mutex.

#ifndef GPOP_SERVICE_ENGINE_OPERATION_H_
#define GPOP_SERVICE_ENGINE_OPERATION_H_

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "service/core/backend.h"
#include "service/engine/clock.h"
#include "service/engine/types.h"

namespace gpop::engine {

class StreamCursor;  // service/engine/cursors.h

using EventPtr = std::shared_ptr<const Event>;
using LabelsPtr = std::shared_ptr<const std::map<std::string, std::string>>;

// Op
//
// One operation's state. Not thread-safe: the engine's mutex guards every Op it owns.
struct Op {
  OperationRecord rec;      // current, including changes not yet durable
  OperationRecord visible;  // as of the last durable change
  LabelsPtr labels;
  uint64_t create_index = 0;  // creation order, assigned by OperationTable::Add
  // The events still in memory: events[i]->sequence == events_base + i + 1. Older ones (every
  // event of a finished operation, and those from before a restart) are read from the store.
  std::vector<EventPtr> events;
  uint64_t events_base = 0;
  uint64_t visible_sequence = 0;  // events up to this one are durable
  std::shared_ptr<core::CancelToken> token = std::make_shared<core::CancelToken>();
  std::vector<core::ResourceClaim> claims;
  Clock::TimerId deadline_timer = 0;
  bool deadline_cancelled = false;
  bool shutdown_cancelled = false;
  int folded_messages = 0;        // message events dropped by the per-operation limit
  bool admitted = false;          // dispatched by the scheduler and its run not yet ended
  uint64_t finish_index = 0;      // place in OperationTable's finished order (0: not finished)
  uint64_t cache_index = 0;       // place in OperationTable's cache of finished ones (0: none)
  bool evictable = false;         // finished and durable: may leave memory when unpinned
  int pins = 0;                   // streams and calls that keep it resident
  std::set<StreamCursor*> armed;  // status streams over this operation waiting for a wake
  bool fanout_pending = false;    // a wake pass over `armed` is queued
  // Progress pacing (StreamWiring::ProgressChangedLocked): what status streams show of
  // rec.progress, when it was last set, whether a later update is scheduled.
  int status_streams = 0;  // status cursors open on it
  Progress streamed_progress;
  Time progress_streamed_at{};
  bool progress_update_scheduled = false;
};

}  // namespace gpop::engine

#endif  // GPOP_SERVICE_ENGINE_OPERATION_H_
