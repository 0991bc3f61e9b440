// Reading operations: Get and List, and the lookups the other calls share. Memory holds live
// operations and a bounded cache of finished ones; the others are read from the store by key
// (indexed: the cost does not depend on how many are retained) and cached while they are read.

#ifndef GPOP_SERVICE_ENGINE_READS_H_
#define GPOP_SERVICE_ENGINE_READS_H_

#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "service/engine/engine_core.h"

namespace gpop::engine {

// Reads
//
// Thread-safe. Methods named *Locked need core->s.mu (asserted); the others must be called
// without it.
class Reads {
 public:
  explicit Reads(EngineCore* core) : core_(core) {}

  // See Engine::Get and Engine::List. Get reads a large result from the store.
  absl::StatusOr<OperationRecord> Get(const std::string& id);
  absl::StatusOr<ListResponse> List(const ListRequest& request);

  // Keeps an operation resident while a call reads it.
  class Pin {
   public:
    Pin(EngineCore* core, std::string id) : core_(core), id_(std::move(id)) {}
    Pin(Pin&& other) noexcept : core_(std::exchange(other.core_, nullptr)), id_(other.id_) {}
    Pin& operator=(Pin&&) = delete;
    ~Pin();

   private:
    EngineCore* core_;
    std::string id_;
  };

  // Makes `id`'s operation resident and pins it: a finished one in the store only is read back
  // into the cache. NOT_FOUND (OPERATION_NOT_FOUND, _EXPIRED or _DELETED) as the id deserves.
  absl::StatusOr<Pin> PinResident(const std::string& id);

  // OK if the pinned `id` is resident and visible; else the NOT_FOUND it deserves.
  absl::Status FoundLocked(const std::string& id);
  // An operation that was found, and then removed (by retention or by Delete) meanwhile.
  absl::Status RemovedLocked(const std::string& id);

 private:
  EngineCore* const core_;
};

}  // namespace gpop::engine

#endif  // GPOP_SERVICE_ENGINE_READS_H_
