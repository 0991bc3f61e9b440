#include "service/engine/resource_locks.h"

namespace gpop::engine {

using Access = core::ResourceClaim::Access;

bool ResourceLocks::Available(const std::vector<core::ResourceClaim>& claims) const {
  for (const core::ResourceClaim& c : claims) {
    auto l = locks_.find(c.resource);
    if (l == locks_.end()) continue;
    if (l->second.writer || (c.access == Access::kWrite && l->second.readers > 0)) return false;
  }
  return true;
}

void ResourceLocks::Acquire(const std::vector<core::ResourceClaim>& claims) {
  for (const core::ResourceClaim& c : claims) {
    State& l = locks_[c.resource];
    if (c.access == Access::kWrite) {
      l.writer = true;
    } else {
      ++l.readers;
    }
  }
}

void ResourceLocks::Release(const std::vector<core::ResourceClaim>& claims) {
  for (const core::ResourceClaim& c : claims) {
    auto l = locks_.find(c.resource);
    if (l == locks_.end()) continue;
    if (c.access == Access::kWrite) {
      l->second.writer = false;
    } else {
      --l->second.readers;
    }
    if (!l->second.writer && l->second.readers <= 0) locks_.erase(l);
  }
}

bool WaitingClaims::Blocks(const std::vector<core::ResourceClaim>& claims) const {
  for (const core::ResourceClaim& c : claims) {
    auto w = waiting_.find(c.resource);
    if (w != waiting_.end() && (w->second.writes > 0 || c.access == Access::kWrite)) return true;
  }
  return false;
}

void WaitingClaims::Add(const std::vector<core::ResourceClaim>& claims) {
  for (const core::ResourceClaim& c : claims) {
    Count& w = waiting_[c.resource];
    ++(c.access == Access::kWrite ? w.writes : w.reads);
  }
}

void WaitingClaims::Remove(const std::vector<core::ResourceClaim>& claims) {
  for (const core::ResourceClaim& c : claims) {
    auto w = waiting_.find(c.resource);
    if (w == waiting_.end()) continue;
    --(c.access == Access::kWrite ? w->second.writes : w->second.reads);
    if (w->second.writes <= 0 && w->second.reads <= 0) waiting_.erase(w);
  }
}

}  // namespace gpop::engine
