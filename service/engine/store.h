// The persistence interface the engine writes through. Every operation and event reaches the
// store before any caller or stream can see it ("durable before streamed"); implementations live
// in service/store (SqliteStore, gpopd's default; MemoryStore for tests).

#ifndef GPOP_SERVICE_ENGINE_STORE_H_
#define GPOP_SERVICE_ENGINE_STORE_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "service/engine/types.h"

namespace gpop::engine {

// Store
//
// Durable operations and events. Thread-safe; the engine calls `Commit` from one thread at a
// time (group commit: a batch holds every change made while the previous batch was written).
class Store {
 public:
  virtual ~Store() = default;

  // One change: the operation's record as it is after the change, and the event that made it
  // (none for a progress-only change).
  struct Change {
    OperationRecord record;
    std::optional<Event> event;
  };

  // Makes a batch durable, atomically, in order. When it returns OK, every change survives a
  // crash. An error leaves the store as it was before the batch.
  virtual absl::Status Commit(const std::vector<Change>& batch) = 0;

  // Removes a finished operation and its events (retention, or LRO DeleteOperation); its id is
  // remembered as expired (Snapshot::expired) so that it answers OPERATION_EXPIRED after a restart.
  virtual absl::Status Delete(const std::string& operation_id) = 0;

  // Everything stored, for recovery at start-up.
  struct Snapshot {
    std::vector<OperationRecord> operations;  // any order
    std::vector<Event> events;                // in revision order
    uint64_t revision = 0;                    // the highest revision ever assigned
    std::vector<std::string> expired;         // ids removed by Delete, oldest first (bounded)
  };
  virtual absl::StatusOr<Snapshot> Load() = 0;
};

}  // namespace gpop::engine

#endif  // GPOP_SERVICE_ENGINE_STORE_H_
