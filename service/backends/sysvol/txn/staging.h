// Staging folders: where a writing operation prepares everything before its commit point.

#ifndef GPOP_SERVICE_BACKENDS_SYSVOL_TXN_STAGING_H_
#define GPOP_SERVICE_BACKENDS_SYSVOL_TXN_STAGING_H_

#include <string>

#include "service/backends/sysvol/metadata_store.h"
#include "service/backends/sysvol/safe_fs.h"
#include "service/core/error.h"

namespace gpop::sysvol {

// NewStagingName
//
// "op-<guid without braces>": the staging folder of one operation.
std::string NewStagingName();

// RemoveStaging
//
// Removes `root`/.gpop-staging/`staging` (missing is fine) and fsyncs the staging area.
core::Status RemoveStaging(const Dir& root, const std::string& staging);

// RemoveAllStaging
//
// Removes every staging folder of `root` (at start-up, when no open intent owns one).
core::Status RemoveAllStaging(const Dir& root);

}  // namespace gpop::sysvol

#endif  // GPOP_SERVICE_BACKENDS_SYSVOL_TXN_STAGING_H_
