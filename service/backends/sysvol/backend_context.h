// What every operation of the sysvol backend works with: the configuration, the stores, the
// backup locations, the ADMX cache and the fault injector. Owned by SysvolBackend.

#ifndef GPOP_SERVICE_BACKENDS_SYSVOL_BACKEND_CONTEXT_H_
#define GPOP_SERVICE_BACKENDS_SYSVOL_BACKEND_CONTEXT_H_

#include <string>

#include "service/backends/sysvol/admx_cache.h"
#include "service/backends/sysvol/backup_locations.h"
#include "service/backends/sysvol/gpo_store.h"
#include "service/backends/sysvol/metadata_store.h"
#include "service/backends/sysvol/sysvol_config.h"
#include "service/backends/sysvol/txn/fault_injector.h"

namespace gpop::sysvol {

// BackendContext
//
// References only; every referenced object is thread-safe (or immutable).
struct BackendContext {
  const SysvolConfig& config;
  MetadataStore& metadata;
  const GpoStore& store;
  const BackupLocations& locations;
  const AdmxCache& admx;
  const FaultInjector& faults;
  const std::string& domain_controller;
};

}  // namespace gpop::sysvol

#endif  // GPOP_SERVICE_BACKENDS_SYSVOL_BACKEND_CONTEXT_H_
