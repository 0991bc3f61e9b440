// Recovery of interrupted writing operations: each open intent is rolled forward (COMMITTING)
// or back (STAGING) by the publish code of its kind.

#ifndef GPOP_SERVICE_BACKENDS_SYSVOL_TXN_RECOVERY_H_
#define GPOP_SERVICE_BACKENDS_SYSVOL_TXN_RECOVERY_H_

#include <optional>
#include <string>
#include <vector>

#include "service/backends/sysvol/backend_context.h"
#include "service/core/backend.h"

namespace gpop::sysvol {

// RecoverIntent
//
// Resolves the intent of `operation_id`: the successful Outcome when it is (or is now)
// published, nullopt when it was or is now rolled back (effects NONE), a failed Outcome with
// effects UNKNOWN when it cannot be resolved now (it stays open). An intent of a kind this
// build does not know stays open and is reported.
std::optional<core::Outcome> RecoverIntent(const BackendContext& ctx,
                                           const std::string& operation_id);

// ResolveAllLeftovers
//
// At start-up: resolves every open intent, then removes staging folders and temporary files no
// open intent owns. Returns the ids of the operations it resolved.
core::Result<std::vector<std::string>> ResolveAllLeftovers(const BackendContext& ctx);

}  // namespace gpop::sysvol

#endif  // GPOP_SERVICE_BACKENDS_SYSVOL_TXN_RECOVERY_H_
