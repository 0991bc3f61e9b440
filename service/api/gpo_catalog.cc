// The cached GPO listing (see gpo_catalog.h).

#include "service/api/gpo_catalog.h"

#include <utility>

namespace gpop::api {

core::Result<GpoCatalog::Listing> GpoCatalog::Get() {
  // The generation is read before the listing: a change while listing shows as a new
  // generation at the next call, which lists again.
  const std::optional<uint64_t> generation = backend_->GposGeneration();
  {
    core::MutexLock lock(&mu_);
    if (generation && cached_ != nullptr && generation_ == generation) return cached_;
    ++listings_;
  }
  core::Result<std::vector<core::GpoInfo>> listed = backend_->ListGpos();
  if (!listed.ok()) return listed.error();
  Listing listing = std::make_shared<const std::vector<core::GpoInfo>>(*std::move(listed));
  core::MutexLock lock(&mu_);
  if (generation) {
    generation_ = generation;
    cached_ = listing;
  } else {
    generation_.reset();
    cached_.reset();
  }
  return listing;
}

bool GpoCatalog::Current() {
  const std::optional<uint64_t> generation = backend_->GposGeneration();
  core::MutexLock lock(&mu_);
  return generation && cached_ != nullptr && generation_ == generation;
}

int64_t GpoCatalog::listings() {
  core::MutexLock lock(&mu_);
  return listings_;
}

}  // namespace gpop::api
