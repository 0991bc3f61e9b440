// The backup operation: a GPO's GPT and container half into a new GPMC backup folder of a named
// location, through the commit protocol of sysvol_backend.h (txn/backup_publish.h publishes).

#ifndef GPOP_SERVICE_BACKENDS_SYSVOL_OPS_BACKUP_H_
#define GPOP_SERVICE_BACKENDS_SYSVOL_OPS_BACKUP_H_

#include <string>

#include "service/backends/sysvol/backend_context.h"
#include "service/core/backend.h"

namespace gpop::sysvol {

// RunBackup
//
// Backs up the GPO `spec` names; the result is the new backup's BackupInfo.
core::Outcome RunBackup(const BackendContext& ctx, const std::string& operation_id,
                        const core::BackupSpec& spec, core::ProgressSink& sink,
                        core::CancelToken& cancel);

// BackupGpoEntry
//
// The same for an already resolved GPO (restore and import take their safety backup with it).
core::Outcome BackupGpoEntry(const BackendContext& ctx, const std::string& operation_id,
                             const GpoEntry& gpo, const std::string& location,
                             const std::string& comment, core::ProgressSink& sink,
                             core::CancelToken& cancel);

// TakeSafetyBackup
//
// Before restore or import overwrites `gpo`: a backup of its current state into `location`,
// recorded as operation "<operation_id>.safety" (its own intent, published before the
// overwrite begins). Returns the backup's ID. It is not cancellable on its own: the caller
// checks its token before and after. On failure `*effects` is the backup's own effects: NONE
// when nothing was written, UNKNOWN when the backup may still be published (at the next start)
// or the run was stopped by a FaultHook (a simulated crash, which the caller passes on).
core::Result<std::string> TakeSafetyBackup(const BackendContext& ctx,
                                           const std::string& operation_id, const GpoEntry& gpo,
                                           const std::string& location, const std::string& why,
                                           core::ProgressSink& sink, core::Effects* effects);

}  // namespace gpop::sysvol

#endif  // GPOP_SERVICE_BACKENDS_SYSVOL_OPS_BACKUP_H_
