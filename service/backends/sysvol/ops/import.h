// The import operation: a backup's settings (from any domain) into an existing GPO or, with
// create_if_needed, into a new GPO of the given display name (as Import-GPO -CreateIfNeeded).
// The target's old settings are erased, its GUID, name and flags kept, its versions moved
// forward. Files a publisher left in the backup that are not GPMC's are reported and never
// copied. An existing target is backed up first (safety backup, unless turned off).

#ifndef GPOP_SERVICE_BACKENDS_SYSVOL_OPS_IMPORT_H_
#define GPOP_SERVICE_BACKENDS_SYSVOL_OPS_IMPORT_H_

#include <string>

#include "service/backends/sysvol/backend_context.h"
#include "service/core/backend.h"

namespace gpop::sysvol {

// RunImport
//
// The result is the target GPO (GpoInfo) with the safety backup's ID.
core::Outcome RunImport(const BackendContext& ctx, const std::string& operation_id,
                        const core::ImportSpec& spec, core::ProgressSink& sink,
                        core::CancelToken& cancel);

}  // namespace gpop::sysvol

#endif  // GPOP_SERVICE_BACKENDS_SYSVOL_OPS_IMPORT_H_
