// The report operation: a GPO's or a backup's settings as GPMC's XML or HTML report. Nothing is
// written.

#ifndef GPOP_SERVICE_BACKENDS_SYSVOL_OPS_REPORT_H_
#define GPOP_SERVICE_BACKENDS_SYSVOL_OPS_REPORT_H_

#include "service/backends/sysvol/backend_context.h"
#include "service/backends/sysvol/backup_reader.h"
#include "service/backends/sysvol/format/report_builder.h"
#include "service/core/backend.h"

namespace gpop::sysvol {

// RunReport
//
// Reads the subject, its ADMX templates (a bad template is a warning, see AdmxCache) and
// renders the report. Effects NONE.
core::Outcome RunReport(const BackendContext& ctx, const core::ReportSpec& spec,
                        core::ProgressSink& sink, core::CancelToken& cancel);

// IdentityOfBackup
//
// The report identity (GUID, domain, name, versions, flags) of a backup, with the GPO's times
// from Windows' own gpreport.xml in it when readable (else a warning to `sink`).
ReportIdentity IdentityOfBackup(const OpenedBackup& backup, core::ProgressSink& sink);

}  // namespace gpop::sysvol

#endif  // GPOP_SERVICE_BACKENDS_SYSVOL_OPS_REPORT_H_
