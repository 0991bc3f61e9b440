// The copy operation: a GPO's settings and container half into a new GPO (new GUID, the given
// display name, which no GPO may have yet).

#ifndef GPOP_SERVICE_BACKENDS_SYSVOL_OPS_COPY_H_
#define GPOP_SERVICE_BACKENDS_SYSVOL_OPS_COPY_H_

#include <string>

#include "service/backends/sysvol/backend_context.h"
#include "service/core/backend.h"

namespace gpop::sysvol {

// RunCopy
//
// The result is the new GPO (GpoInfo).
core::Outcome RunCopy(const BackendContext& ctx, const std::string& operation_id,
                      const core::CopySpec& spec, core::ProgressSink& sink,
                      core::CancelToken& cancel);

}  // namespace gpop::sysvol

#endif  // GPOP_SERVICE_BACKENDS_SYSVOL_OPS_COPY_H_
