// Applying a migration table to a GPT's settings files (import, copy): the principals and UNC
// paths in GptTmpl.inf (privilege rights, restricted groups, and the SIDs of the security
// descriptors of files, registry keys and services), scripts.ini / psscripts.ini,
// folder redirection (fdeploy*.ini) and Group Policy Preferences XML (Groups.xml members and
// names, the user / run-as fields of ScheduledTasks.xml, Services.xml, Drives.xml, ..., and
// UNC paths in any of them), and the SIDs of audit.csv's global object access SACLs.

#ifndef GPOP_SERVICE_BACKENDS_SYSVOL_OPS_MIGRATION_H_
#define GPOP_SERVICE_BACKENDS_SYSVOL_OPS_MIGRATION_H_

#include <map>
#include <string>
#include <vector>

#include "service/backends/sysvol/backend_context.h"
#include "service/backends/sysvol/format/backup_xml.h"
#include "service/backends/sysvol/format/migration_table.h"
#include "service/backends/sysvol/gpt_reader.h"
#include "service/core/backend.h"

namespace gpop::sysvol {

// MigrationReference
//
// One principal or UNC path a settings file names, where it was met (the file's display path
// and the setting), in file order: every domain principal (well-known SIDs, BUILTIN\ and bare
// local names are the same in every domain) and every UNC path.
struct MigrationReference {
  bool unc_path = false;
  std::string value;  // as written in the file ("*S-1-5-21-...", "HARDEN\\x", "\\\\srv\\x")
  std::string file;
  std::string setting;
};

// MigratedFiles
//
// The new bytes of every settings file the table changes, by "Machine/..." or "User/..." path
// (names as found); one error status message per domain principal or UNC path the table does
// not map (the first place it is named; reported always, fatal with "migration table only");
// warnings on what the table's DestinationNone removed or left empty (`notes`); and every
// principal and path met (what a migration table template lists).
struct MigratedFiles {
  std::map<std::string, std::string> replacements;
  std::vector<core::StatusMessage> unmapped;
  std::vector<core::StatusMessage> notes;
  std::vector<MigrationReference> references;
};

// LoadMigrationTable
//
// The table named `name` (a plain file name, ".migtable" added when missing) in the
// configured migration table folder.
core::Result<MigrationTable> LoadMigrationTable(const SysvolConfig& config,
                                                const std::string& name);

// MigrateGpt
//
// Reads every settings file of `tree` below `gpt` that can name principals or UNC paths and
// maps them through `table`. `target_domain` resolves relative names; `groups` (a backup's
// SecurityGroups) gives the account names of the SIDs the settings hold. Files are not written.
core::Result<MigratedFiles> MigrateGpt(const Dir& gpt, const GptTree& tree,
                                       const MigrationTable& table,
                                       const std::string& target_domain,
                                       const std::vector<SecurityGroup>& groups);

// Migrate
//
// What import and copy do with a request's table: none (empty name) gives no replacements;
// otherwise the table is loaded and applied to the source `gpt`. Unmapped entries are status
// messages to `sink` (errors with `table_only`, else warnings), and so are the notes; with
// `table_only` unmapped entries fail the operation here, before anything is written
// (FAILED_PRECONDITION, effects NONE).
core::Result<std::map<std::string, std::string>> Migrate(
    const BackendContext& ctx, const std::string& table_name, bool table_only, const Dir& gpt,
    const GptTree& tree, const std::vector<SecurityGroup>& groups, core::ProgressSink& sink);

}  // namespace gpop::sysvol

#endif  // GPOP_SERVICE_BACKENDS_SYSVOL_OPS_MIGRATION_H_
