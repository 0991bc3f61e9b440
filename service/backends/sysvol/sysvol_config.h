// The configuration of the sysvol backend: where the GPO tree, the backup locations and the
// backend's own state live, and which domain the tree belongs to.

#ifndef GPOP_SERVICE_BACKENDS_SYSVOL_SYSVOL_CONFIG_H_
#define GPOP_SERVICE_BACKENDS_SYSVOL_SYSVOL_CONFIG_H_

#include <filesystem>
#include <map>
#include <string>

namespace gpop::sysvol {

// SysvolConfig
//
// Everything the backend reads from gpopd's flags and config file. Paths here are trusted (the
// administrator chose them); every path below them is resolved by the backend itself, one
// component at a time, without following links (see safe_fs.h).
struct SysvolConfig {
  // The folder that holds `Policies/` (`--sysvol DIR`; on a Samba DC `state/sysvol/<realm>`).
  std::filesystem::path sysvol_dir;

  // The domain's DNS name ("gpop.test") and GUID ("{...}", any case), written into backups.
  std::string domain;
  std::string domain_guid;

  // The domain controller named in backups (bkupInfo.xml, Backup.xml's source paths). Empty:
  // "<host name>.<domain>".
  std::string domain_controller;

  // Named backup locations: clients name a location, never a path. `default_backup_location`
  // names the one used when a request leaves the location empty; it must be a key of the map.
  std::map<std::string, std::filesystem::path> backup_locations;
  std::string default_backup_location;

  // Folders of named migration tables (for import/copy, a later issue) and of written reports.
  std::filesystem::path migration_table_dir;
  std::filesystem::path report_dir;

  // The SQLite file of the backend's metadata store (the GPOs' container half and the
  // operations' intents). Its folder is created when missing.
  std::filesystem::path metadata_db;

  // Opens the store read-only (backup and report only) whatever the detection says.
  bool read_only = false;

  // Also opens it read-only when a running Samba domain controller serves the tree (see
  // DetectRunningDc in sysvol_backend.h for the rule).
  bool detect_running_dc = true;

  // Test only (gpopd --test_import_set_hold_after=N, a flag only builds with GPOP_TEST_HOOKS
  // have; 0 in every other gpopd): an import set that has imported N of its GPOs, with more to
  // go, holds there until it is cancelled, so that an end-to-end test cancels it mid-set at a
  // known point instead of racing it. 0: never.
  size_t test_import_set_hold_after = 0;
};

}  // namespace gpop::sysvol

#endif  // GPOP_SERVICE_BACKENDS_SYSVOL_SYSVOL_CONFIG_H_
