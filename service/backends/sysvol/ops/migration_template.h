// Migration table templates: the report option (ReportFormat MIGRATION_TABLE) that lists every
// principal and UNC path a GPO's or a backup's settings name, each mapped to itself, as GPMC's
// migration table editor populates a table from a GPO or a backup. The administrator fills in
// the destinations; import and copy then read the file back (ops/migration.h).

#ifndef GPOP_SERVICE_BACKENDS_SYSVOL_OPS_MIGRATION_TEMPLATE_H_
#define GPOP_SERVICE_BACKENDS_SYSVOL_OPS_MIGRATION_TEMPLATE_H_

#include <string>
#include <vector>

#include "service/backends/sysvol/backend_context.h"
#include "service/backends/sysvol/format/backup_xml.h"
#include "service/backends/sysvol/format/migration_table.h"
#include "service/backends/sysvol/ops/migration.h"
#include "service/core/backend.h"

namespace gpop::sysvol {

// MigrationTemplate
//
// One DestinationSameAsSource mapping per distinct principal and path, in the order first met:
// `references` (from the settings files), then `groups` that Backup.xml records from the
// settings, those it records from the DACL only with `include_dacl` (as GPMC's
// GPM_PROCESS_SECURITY), and `file_paths` (Backup.xml's FilePaths). A SID that `groups` names is
// written as GPMC writes the account
// ("NETBIOS\\user" for users and computers, "name@dns.domain" for groups) with its type; other
// principals as found (a SID without its '*'), type Unknown; paths type UNCPath.
MigrationTable MigrationTemplate(const std::vector<MigrationReference>& references,
                                 const std::vector<SecurityGroup>& groups,
                                 const std::vector<std::string>& file_paths,
                                 bool include_dacl = false);

// RunMigrationTableReport
//
// The report operation with format MIGRATION_TABLE: the template of the subject (a GPO or a
// backup) as .migtable text (WriteMigrationTable) in ReportInfo.content, with the DACL's
// principals when `spec.include_dacl_principals` (a backup's: Backup.xml records them; a live
// GPO's: the sysvol store keeps no permissions, which a status message says). Nothing is
// written; effects NONE.
core::Outcome RunMigrationTableReport(const BackendContext& ctx, const core::ReportSpec& spec,
                                      core::ProgressSink& sink, core::CancelToken& cancel);

}  // namespace gpop::sysvol

#endif  // GPOP_SERVICE_BACKENDS_SYSVOL_OPS_MIGRATION_TEMPLATE_H_
