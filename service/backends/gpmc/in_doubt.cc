// Resources GPMC may still be writing (see in_doubt.h).

#include "service/backends/gpmc/in_doubt.h"

#include <utility>

namespace gpop::gpmc {

InDoubtResources::MarkId InDoubtResources::Mark(std::string operation_id,
                                                std::vector<core::ResourceClaim> claims) {
  core::MutexLock lock(&mu_);
  const MarkId id = next_id_++;
  marks_.emplace(id, Entry{std::move(operation_id), std::move(claims)});
  return id;
}

void InDoubtResources::Clear(MarkId id) {
  core::MutexLock lock(&mu_);
  marks_.erase(id);
}

std::optional<std::string> InDoubtResources::Conflict(const core::ResourceClaim& claim) const {
  using Access = core::ResourceClaim::Access;
  core::MutexLock lock(&mu_);
  for (const auto& [id, entry] : marks_) {
    for (const core::ResourceClaim& held : entry.claims) {
      if (held.resource == claim.resource &&
          (held.access == Access::kWrite || claim.access == Access::kWrite)) {
        return entry.operation_id;
      }
    }
  }
  return std::nullopt;
}

size_t InDoubtResources::size() const {
  core::MutexLock lock(&mu_);
  return marks_.size();
}

}  // namespace gpop::gpmc
