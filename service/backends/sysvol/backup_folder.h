// GPMC backup folders: the Backup.xml gpop writes for a GPT, the backups a location holds
// (read from each backup's bkupInfo.xml), and the location's manifest.xml kept in step with them.

#ifndef GPOP_SERVICE_BACKENDS_SYSVOL_BACKUP_FOLDER_H_
#define GPOP_SERVICE_BACKENDS_SYSVOL_BACKUP_FOLDER_H_

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "service/backends/sysvol/format/backup_inst.h"
#include "service/backends/sysvol/format/backup_xml.h"
#include "service/backends/sysvol/format/manifest.h"
#include "service/backends/sysvol/format/security_template.h"
#include "service/backends/sysvol/gpt_reader.h"
#include "service/backends/sysvol/safe_fs.h"
#include "service/core/error.h"
#include "service/core/operation.h"

namespace gpop::sysvol {

// File names inside a backup location and a backup.
inline constexpr char kManifestFile[] = "manifest.xml";
inline constexpr char kBackupXmlFile[] = "Backup.xml";
inline constexpr char kBkupInfoFile[] = "bkupInfo.xml";
inline constexpr char kGpReportFile[] = "gpreport.xml";
inline constexpr char kStagingFolder[] = ".gpop-staging";

// BackupSource
//
// What Backup.xml says about the GPO and where it came from.
struct BackupSource {
  std::string gpo_guid;
  std::string domain;
  std::string domain_controller;
  std::string display_name;
  uint32_t flags = 0;
  uint32_t version = 0;                 // the directory's versionNumber, (user << 16) | computer
  uint32_t sysvol_version = 0;          // GPT.INI's Version=, same layout
  std::string machine_extension_guids;  // empty: derived from the files present
  std::string user_extension_guids;
  std::string security_descriptor;  // binary; empty: none known
  bool has_gpo_comment = false;     // the GPT holds GPO.cmt (the GPO's own comment)
};

// MakeBackupXml
//
// Backup.xml for a GPT whose Machine/User trees are `tree`, as GPMC lays it out: the Registry
// extension lists each side's registry.pol and the Adm wildcard, the Scripts extension each
// side's scripts.ini / psscripts.ini and the script folders' wildcards with their files (when
// either extension list names Scripts), the Security extension the security template (when
// the machine extension list names it), and the "Unknown Extension" every other file and folder
// in tree order (GPO.cmt first, as the fixtures list it).
// Principals named by the security template become SecurityGroups.
BackupXml MakeBackupXml(const BackupSource& source, const GptTree& tree,
                        const SecurityTemplate* security);

// DerivedExtensionGuids
//
// "[{CSE}{tool}]..." for the settings files present on one side, sorted by CSE GUID.
std::string DerivedExtensionGuids(const GptSettings& settings, bool machine);

// BackupInfoFromInst
//
// The listing entry for a backup record found in `location`.
core::BackupInfo BackupInfoFromInst(const BackupInst& inst, const std::string& location);

// ScannedBackup
//
// A backup folder of a location and its record.
struct ScannedBackup {
  std::string folder;
  BackupInst inst;
};

// ScannedFolder
//
// What one folder of a location holds: a backup (`backup`), or why it is not one (`skipped`,
// a display path and why; `unreadable` when it is named by a GUID but its record cannot be
// read, as opposed to a record naming another backup). `info_name` is the bkupInfo.xml found
// (its case as on disk; empty when none).
struct ScannedFolder {
  std::optional<ScannedBackup> backup;
  std::string skipped;
  bool unreadable = false;
  std::string info_name;
};

// IsBackupFolderName
//
// True for an entry ScanBackups considers: a braced GUID of 38 characters.
bool IsBackupFolderName(std::string_view name);

// ScanBackupFolder
//
// Reads the folder `name` (a backup folder name) of `location`. `before_read` (may be null) is
// called with the open folder and the record's name just before the record is read.
ScannedFolder ScanBackupFolder(
    const Dir& location, const std::string& name,
    const std::function<void(const Dir&, const std::string&)>& before_read = nullptr);

// ScanBackups
//
// Every folder of `location` named by a braced GUID that holds a readable bkupInfo.xml whose ID
// matches the folder; folders that do not are reported in `skipped` (display paths and why),
// and the IDs of those named by a GUID but unreadable go to `unreadable` (when given).
core::Result<std::vector<ScannedBackup>> ScanBackups(const Dir& location,
                                                     std::vector<std::string>* skipped,
                                                     std::set<std::string>* unreadable = nullptr);

// ReplaceFileAtomically
//
// Writes `bytes` to a temporary file in `dir`, fsyncs it, renames it over `name` and fsyncs
// `dir`: readers see the old file or the new one, never a mix.
core::Status ReplaceFileAtomically(const Dir& dir, std::string_view name, std::string_view bytes);

// ReconcileManifest
//
// The manifest that lists exactly `backups`: the entries of `current` that still exist, in
// their order and with their bkupInfo.xml contents, then the others by backup time. Entries of
// `current` whose folder is there but unreadable (`unreadable`, from ScanBackups) are kept as
// they are: a backup leaves the manifest only when its folder is gone.
Manifest ReconcileManifest(const Manifest& current, const std::vector<ScannedBackup>& backups,
                           const std::set<std::string>& unreadable = {});

// ReadManifest
//
// The location's manifest.xml; an empty manifest when it is missing. `*corrupt` tells whether
// the file was there but could not be read (so it must be rewritten).
core::Result<Manifest> ReadManifest(const Dir& location, bool* corrupt);

}  // namespace gpop::sysvol

#endif  // GPOP_SERVICE_BACKENDS_SYSVOL_BACKUP_FOLDER_H_
