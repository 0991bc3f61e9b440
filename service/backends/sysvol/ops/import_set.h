// The import-set operation: every backup of a backup set (a baseline package) imported as one
// operation, each into the GPO that has its backup's GPO display name (created when none has
// it), through the import operation (ops/import.h) with one migration table for all.
//
// Each backup's import is its own transaction: its own intent ("<operation id>.set-<index>"),
// its own commit point on a token of its own, its own safety backup. A cancel reaches the
// import running at that moment (which then leaves its GPO untouched, unless it already passed
// its commit point) and no later backup is started; the result lists every backup's outcome.

#ifndef GPOP_SERVICE_BACKENDS_SYSVOL_OPS_IMPORT_SET_H_
#define GPOP_SERVICE_BACKENDS_SYSVOL_OPS_IMPORT_SET_H_

#include <optional>
#include <string>
#include <vector>

#include "service/backends/sysvol/backend_context.h"
#include "service/core/backend.h"

namespace gpop::sysvol {

// ImportSetTargets
//
// The import of each backup of `spec`, in order: the backup, its GPO's display name as the
// create-if-needed target, and the set's options. INVALID_ARGUMENT when two backups name one
// GPO (the second would overwrite the first); the errors of OpenBackup otherwise.
core::Result<std::vector<core::ImportSpec>> ImportSetTargets(const BackendContext& ctx,
                                                             const core::ImportSetSpec& spec);

// RunImportSet
//
// The result is a core::ImportSetResult, also on a failed or cancelled ending. Effects:
// APPLIED when at least one GPO was imported, NONE when none was (a dry run: always NONE),
// UNKNOWN when an import could not tell.
core::Outcome RunImportSet(const BackendContext& ctx, const std::string& operation_id,
                           const core::ImportSetSpec& spec, core::ProgressSink& sink,
                           core::CancelToken& cancel);

// RecoverImportSet
//
// After a restart: the imports of the set `operation_id` that are (or are now) published, as a
// failed Outcome (ABORTED, SERVER_RESTARTED) with effects APPLIED and their entries; nullopt
// when none was published (effects NONE). Each import's intent is resolved by RecoverIntent.
std::optional<core::Outcome> RecoverImportSet(const BackendContext& ctx,
                                              const std::string& operation_id);

}  // namespace gpop::sysvol

#endif  // GPOP_SERVICE_BACKENDS_SYSVOL_OPS_IMPORT_SET_H_
