// The ADMX central store (Policies/PolicyDefinitions) as the sysvol backend reads it for
// reports: loaded once, kept while no template changes.

#ifndef GPOP_SERVICE_BACKENDS_SYSVOL_ADMX_CACHE_H_
#define GPOP_SERVICE_BACKENDS_SYSVOL_ADMX_CACHE_H_

#include <memory>
#include <string>
#include <vector>

#include "service/backends/sysvol/format/admx.h"
#include "service/backends/sysvol/safe_fs.h"
#include "service/core/mutex.h"
#include "service/core/operation.h"

namespace gpop::sysvol {

// LoadedAdmx
//
// A catalog (null when the store has no PolicyDefinitions folder or it cannot be read) and the
// warnings loading it gave: each unreadable or malformed template is left out and named here.
struct LoadedAdmx {
  std::shared_ptr<const AdmxCatalog> catalog;
  std::vector<core::StatusMessage> warnings;
};

// AdmxCache
//
// Thread-safe. The cache key is a fingerprint of the folder and of every template in it (name,
// size, modification time), so that a template edited in place is noticed, not only a file
// added or removed.
class AdmxCache {
 public:
  // Load
  //
  // The catalog of `policies`/PolicyDefinitions (folder and names matched case-insensitively,
  // read through open folders without following links). Never fails for a bad template.
  LoadedAdmx Load(const Dir& policies) const;

 private:
  mutable core::Mutex mu_;
  mutable LoadedAdmx loaded_ GPOP_GUARDED_BY(mu_);
  mutable std::string fingerprint_ GPOP_GUARDED_BY(mu_);
  mutable bool valid_ GPOP_GUARDED_BY(mu_) = false;
};

}  // namespace gpop::sysvol

#endif  // GPOP_SERVICE_BACKENDS_SYSVOL_ADMX_CACHE_H_
