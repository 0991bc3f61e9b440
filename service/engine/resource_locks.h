// Reader/writer locks on named resources (a GPO, a backup location), taken by the claims an
// operation declares before it runs.

#ifndef GPOP_SERVICE_ENGINE_RESOURCE_LOCKS_H_
#define GPOP_SERVICE_ENGINE_RESOURCE_LOCKS_H_

#include <map>
#include <string>
#include <vector>

#include "service/core/backend.h"

namespace gpop::engine {

// ResourceLocks
//
// The locks held by running operations: any number of readers or one writer per resource.
// Not thread-safe.
class ResourceLocks {
 public:
  // True when every claim could be granted now.
  bool Available(const std::vector<core::ResourceClaim>& claims) const;
  void Acquire(const std::vector<core::ResourceClaim>& claims);
  void Release(const std::vector<core::ResourceClaim>& claims);
  size_t locked_resources() const { return locks_.size(); }

 private:
  struct State {
    int readers = 0;
    bool writer = false;
  };
  std::map<std::string, State> locks_;
};

// WaitingClaims
//
// The claims of operations that wait ahead in the queue, collected during one dispatch pass (or
// kept for the whole queue, counted per claim, so that they can be taken back), so that a later
// operation never overtakes an earlier one on a resource they share (FIFO per resource, no
// writer starvation). Not thread-safe.
class WaitingClaims {
 public:
  // True when a claim conflicts with a claim of an earlier waiter (any access with a write).
  bool Blocks(const std::vector<core::ResourceClaim>& claims) const;
  void Add(const std::vector<core::ResourceClaim>& claims);
  // Takes back claims added before (the operation left the queue).
  void Remove(const std::vector<core::ResourceClaim>& claims);

 private:
  struct Count {
    int reads = 0;
    int writes = 0;
  };
  std::map<std::string, Count> waiting_;
};

}  // namespace gpop::engine

#endif  // GPOP_SERVICE_ENGINE_RESOURCE_LOCKS_H_
