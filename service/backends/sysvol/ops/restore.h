// The restore operation: a backup back into its own GPO (same GUID, same domain), settings and
// container half, versions moved forward; a GPO that no longer exists is re-created. A backup
// of another domain is refused (that is what import is for). Before an existing GPO is
// overwritten, a safety backup of it is taken (unless turned off).

#ifndef GPOP_SERVICE_BACKENDS_SYSVOL_OPS_RESTORE_H_
#define GPOP_SERVICE_BACKENDS_SYSVOL_OPS_RESTORE_H_

#include <string>
#include <vector>

#include "service/backends/sysvol/backend_context.h"
#include "service/backends/sysvol/backup_reader.h"
#include "service/core/backend.h"

namespace gpop::sysvol {

// RunRestore
//
// The result is the restored GPO (GpoInfo) with the safety backup's ID.
core::Outcome RunRestore(const BackendContext& ctx, const std::string& operation_id,
                         const core::RestoreSpec& spec, core::ProgressSink& sink,
                         core::CancelToken& cancel);

// NotRestoredParts
//
// What a restore (and its dry run) says about the parts of the backed-up GPO beside its
// settings that GPMC's restore puts back: a warning that the WMI filter link (Backup.xml's
// WMIFilter) is not restored (the store keeps no WMI filters), and a note that the security
// descriptor (SecurityDescriptor) is restored into the container half but enforced by nothing.
// Links are not part of a backup and GPMC's restore does not touch them either.
std::vector<core::StatusMessage> NotRestoredParts(const OpenedBackup& backup);

// CheckBackupComplete
//
// FAILED_PRECONDITION / CORRUPT_FILE, with one error message to `sink` naming each file, when a
// file Backup.xml lists is not a readable regular file in the backup folder
// (OpenedBackup::ListedFileProblems), or FAILED_PRECONDITION / PATH_OUTSIDE_ROOT (naming the
// Location) when one of them leaves the backup folder; OK otherwise. Restore and import (also
// inside an import set) call it before they read settings or write anything.
core::Status CheckBackupComplete(const OpenedBackup& backup, core::ProgressSink& sink);

// SettingsTreeOf
//
// The settings tree of a backup (empty when it has none), refused as CheckBackupComplete
// refuses an incomplete backup, its badly named entries refused
// (error messages to `sink`), its stray files reported to `sink` and left out by `skip`.
struct BackupSettings {
  GptTree tree;
  std::function<bool(const TreeEntry&)> skip;
};
core::Result<BackupSettings> SettingsTreeOf(const OpenedBackup& backup, core::ProgressSink& sink);

}  // namespace gpop::sysvol

#endif  // GPOP_SERVICE_BACKENDS_SYSVOL_OPS_RESTORE_H_
