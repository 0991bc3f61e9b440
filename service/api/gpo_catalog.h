// The backend's GPO listing as OperationsApi resolves names with it (GUID <-> display name, the
// versions the audit log records), read once and reused while the backend says it is unchanged,
// so that a StartOperation does not scan the GPO store.

#ifndef GPOP_SERVICE_API_GPO_CATALOG_H_
#define GPOP_SERVICE_API_GPO_CATALOG_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "service/core/backend.h"
#include "service/core/mutex.h"

namespace gpop::api {

// GpoCatalog
//
// Thread-safe; `backend` must outlive it. The cached listing is kept together with the
// backend's GposGeneration read before it was listed: a later call reuses it only when the
// backend reports that same generation again. A backend that cannot say (nullopt) is listed on
// every call.
class GpoCatalog {
 public:
  using Listing = std::shared_ptr<const std::vector<core::GpoInfo>>;

  explicit GpoCatalog(const core::Backend* backend) : backend_(backend) {}
  GpoCatalog(const GpoCatalog&) = delete;
  GpoCatalog& operator=(const GpoCatalog&) = delete;

  // The backend's listing, current as of its generation now.
  core::Result<Listing> Get() GPOP_EXCLUDES(mu_);

  // True when Get would answer from the cache now, without listing the backend (it reads the
  // backend's GposGeneration, which is meant to be cheap).
  bool Current() GPOP_EXCLUDES(mu_);

  // How often Get listed the backend (tests).
  int64_t listings() GPOP_EXCLUDES(mu_);

 private:
  const core::Backend* const backend_;
  core::Mutex mu_;
  std::optional<uint64_t> generation_ GPOP_GUARDED_BY(mu_);  // of `cached_`
  Listing cached_ GPOP_GUARDED_BY(mu_);
  int64_t listings_ GPOP_GUARDED_BY(mu_) = 0;
};

}  // namespace gpop::api

#endif  // GPOP_SERVICE_API_GPO_CATALOG_H_
