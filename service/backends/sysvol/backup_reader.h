// Opening one GPMC backup of a named location for reading: its folder, Backup.xml, bkupInfo.xml
// and the GPT half (DomainSysvol/GPO), every name matched case-insensitively, no link followed.

#ifndef GPOP_SERVICE_BACKENDS_SYSVOL_BACKUP_READER_H_
#define GPOP_SERVICE_BACKENDS_SYSVOL_BACKUP_READER_H_

#include <optional>
#include <string>
#include <vector>

#include "service/backends/sysvol/backup_locations.h"
#include "service/backends/sysvol/format/backup_inst.h"
#include "service/backends/sysvol/format/backup_xml.h"
#include "service/backends/sysvol/gpt_reader.h"
#include "service/backends/sysvol/safe_fs.h"
#include "service/core/error.h"
#include "service/core/operation.h"

namespace gpop::sysvol {

// OpenedBackup
//
// A backup read far enough to know what it is. `gpt` is absent for a backup without settings.
struct OpenedBackup {
  BackupLocation location;
  std::string backup_id;  // braced upper case
  Dir folder;
  BackupXml backup_xml;
  std::optional<BackupInst> inst;  // bkupInfo.xml, when present and readable
  std::optional<Dir> gpt;

  // The GPO's GUID (braced upper case) and domain, from Backup.xml.
  std::string GpoGuid() const;
  const std::string& Domain() const { return backup_xml.core.domain; }
  // The directory and GPT.INI versions the backup recorded ((user << 16) | computer).
  uint32_t DirectoryVersion() const;
  uint32_t SysvolVersion() const;

  // Whether an entry of `gpt`'s tree is one of the backup's own files: listed in Backup.xml
  // (every file GPMC or gpop copies is). A folder is the backup's when Backup.xml lists it or a
  // file below it (a publisher's extra folder is not copied, even empty). A backup that lists
  // no file at all keeps every entry.
  bool Lists(const TreeEntry& entry) const;

  // One error message for each file Backup.xml says the backup holds (an FSObjectFile with a
  // Location, nested ones too) that is not a regular, readable file at that place inside the
  // backup folder: missing, a folder, a link or special file, unreadable, or a Location that
  // leaves the folder. Each names the file (control characters as \xNN, see PrintableName).
  // Empty: every listed file is there. `escaping`, when given, is set to the first Location
  // that leaves the backup folder (a "." or ".." component, a '/' or a drive or stream ':' in
  // one), shown the same way, or "": a hostile backup, not an incomplete one.
  std::vector<core::StatusMessage> ListedFileProblems(std::string* escaping = nullptr) const;

  // Info messages for what a publisher left beside GPMC's files: entries of the backup folder
  // other than Backup.xml, bkupInfo.xml, gpreport.xml and DomainSysvol, and `skipped` entries
  // of the settings tree; none of it is ever copied into a GPO.
  std::vector<core::StatusMessage> StrayFileMessages(const std::vector<TreeEntry>& skipped) const;
};

// OpenBackup
//
// `ref` resolved in `locations`. `field` names the request field for INVALID_ARGUMENT ("restore.
// backup.backup_id"). NOT_FOUND/BACKUP_NOT_FOUND when the location has no such folder,
// CORRUPT_FILE when Backup.xml is missing or malformed.
core::Result<OpenedBackup> OpenBackup(const BackupLocations& locations, const core::BackupRef& ref,
                                      const std::string& field);

}  // namespace gpop::sysvol

#endif  // GPOP_SERVICE_BACKENDS_SYSVOL_BACKUP_READER_H_
