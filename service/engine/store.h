// The persistence interface the engine writes through. Every operation and event reaches the
// store before any caller or stream can see it ("durable before streamed"); implementations live
// in service/store (SqliteStore, gpopd's default; MemoryStore for tests).
//
// The store, not the engine, holds history: the engine keeps live operations and a bounded
// window of recent events in memory and reads older events from here, in pages. Large results
// (a report's content) are kept once, beside the operation, never inside its record or events.

#ifndef GPOP_SERVICE_ENGINE_STORE_H_
#define GPOP_SERVICE_ENGINE_STORE_H_

#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "service/engine/types.h"

namespace gpop::engine {

// Removal
//
// Why a finished operation left the store: retention (by age or count) or an explicit LRO
// DeleteOperation. Each removed id keeps its reason, so that it answers OPERATION_EXPIRED or
// OPERATION_DELETED, also after a restart.
enum class Removal { kExpired, kDeleted };

// Store
//
// Durable operations, events and results. Thread-safe; the engine calls `Commit` from one
// thread at a time (group commit: a batch holds every change made while the previous batch was
// written). Reads may run concurrently with a commit and see a batch entirely or not at all.
class Store {
 public:
  virtual ~Store() = default;

  // One change: the operation's record as it is after the change, the event that made it (none
  // for a progress-only change), and, on the terminal change of an operation with a large
  // result, that result's bytes (a report's content). The record and the event carry the
  // result without those bytes; `ReadResult` returns them.
  struct Change {
    Change() = default;
    Change(OperationRecord r, std::optional<Event> e,
           std::shared_ptr<const std::string> content = nullptr)
        : record(std::move(r)), event(std::move(e)), result_content(std::move(content)) {}

    OperationRecord record;
    std::optional<Event> event;
    std::shared_ptr<const std::string> result_content;
  };

  // Makes a batch durable, atomically, in order. When it returns OK, every change survives a
  // crash. An error leaves the store as it was before the batch.
  virtual absl::Status Commit(const std::vector<Change>& batch) = 0;

  // True when Commit may block its caller on I/O (an fsync). The engine then leads the group
  // commits a Start asks for on a thread of its own (Engine::StartAsync's caller, a gRPC
  // thread, never waits for the disk); false (memory) lets that caller lead them itself.
  virtual bool CommitBlocks() const { return true; }

  // Removes a finished operation, its events and its result, by retention (`why` kExpired) or
  // LRO DeleteOperation (kDeleted); its id is remembered with `why` (Snapshot::expired or
  // ::deleted, RemovalOf) so that it answers OPERATION_EXPIRED or OPERATION_DELETED after a
  // restart. An id already removed keeps its first reason.
  virtual absl::Status Delete(const std::string& operation_id, Removal why) = 0;

  // Removes several finished operations as Delete does, in order; `*removed` is set to how many
  // of them (a prefix) were removed, the error is the first. A store that can (SQLite) removes
  // them in one transaction, one sync for all: then an error removes none. Retention removes
  // the operations beyond its count this way, so that past the cap a Start does not cost a
  // durable transaction of its own for its removal. This default calls Delete for each.
  virtual absl::Status DeleteAll(const std::vector<std::string>& operation_ids, Removal why,
                                 size_t* removed) {
    *removed = 0;
    for (const std::string& id : operation_ids) {
      if (absl::Status s = Delete(id, why); !s.ok()) return s;
      ++*removed;
    }
    return absl::OkStatus();
  }

  // What recovery loads at start-up: the unfinished records, the ids of the finished ones (for
  // retention) and the newest events, never all history.
  struct LoadOptions {
    // At most this many events, the newest (the engine's window of recent events).
    size_t max_events = std::numeric_limits<size_t>::max();
    // true: every record and every expired id (tests and tools). false (the engine): only the
    // unfinished records; finished operations come as `finished` references, removed ids not
    // at all (RemovalOf answers for them).
    bool history = true;
  };
  // A finished operation recovery does not load: what retention needs of it.
  struct FinishedRef {
    std::string id;
    Time end_time;
  };
  struct Snapshot {
    std::vector<OperationRecord> operations;  // any order; results without their content
    std::vector<FinishedRef> finished;        // history = false: oldest end first
    std::vector<Event> events;                // the newest max_events, in revision order
    uint64_t revision = 0;                    // the highest revision ever assigned
    // history = true: ids removed by Delete, oldest first (bounded together): by retention,
    // and by DeleteOperation.
    std::vector<std::string> expired;
    std::vector<std::string> deleted;
  };
  virtual absl::StatusOr<Snapshot> Load(const LoadOptions& options) = 0;
  // Everything (tests and tools).
  absl::StatusOr<Snapshot> Load() { return Load(LoadOptions{}); }

  // One page of history. A page holds at least one event when there is one (however large),
  // then stops before `max_events` or before its events' encoded size would pass `max_bytes`.
  struct PageLimits {
    size_t max_events = 1000;
    size_t max_bytes = size_t{1} << 20;
  };

  // One operation's events with sequence > `after_sequence`, in sequence order (an operation
  // without events, or an unknown one, gives an empty page).
  virtual absl::StatusOr<std::vector<Event>> ReadEvents(const std::string& operation_id,
                                                        uint64_t after_sequence,
                                                        const PageLimits& limits) = 0;

  // Every retained operation's events with revision > `after_revision`, in revision order
  // (watch streams that fell behind the engine's window). Revisions may have gaps where
  // operations were removed.
  virtual absl::StatusOr<std::vector<Event>> ReadRevisions(uint64_t after_revision,
                                                           const PageLimits& limits) = 0;

  // --- Retained operations, by key (the engine keeps live operations and a bounded cache of
  // finished ones; it reads the rest from here). Each is an indexed lookup: its cost does not
  // depend on how many operations are retained.

  // The record of a retained operation (result without its content). NOT_FOUND when none.
  virtual absl::StatusOr<OperationRecord> ReadOperation(const std::string& operation_id) = 0;

  // The retained operation `principal` created with `request_id` (non-empty). NOT_FOUND when
  // none.
  virtual absl::StatusOr<OperationRecord> FindRequest(const std::string& principal,
                                                      const std::string& request_id) = 0;

  // Why `operation_id` was removed by Delete, while it is still remembered; nullopt for an id
  // never removed (or forgotten: the memory of removed ids is bounded).
  virtual absl::StatusOr<std::optional<Removal>> RemovalOf(const std::string& operation_id) = 0;

  // A place in creation order: the revision of an operation's first change (its QUEUED event).
  // The default is past the newest operation.
  struct ListPosition {
    uint64_t create_revision = std::numeric_limits<uint64_t>::max();
  };
  // At most `max` retained records created before `before` (exclusive), newest first, each with
  // its position.
  struct Listed {
    OperationRecord record;
    ListPosition position;
  };
  virtual absl::StatusOr<std::vector<Listed>> ListOperations(const ListPosition& before,
                                                             size_t max) = 0;

  // The large result stored with `operation_id`'s terminal change. NOT_FOUND when there is
  // none (the operation has no large result, is unknown, or was removed).
  virtual absl::StatusOr<std::string> ReadResult(const std::string& operation_id) = 0;
};

}  // namespace gpop::engine

#endif  // GPOP_SERVICE_ENGINE_STORE_H_
