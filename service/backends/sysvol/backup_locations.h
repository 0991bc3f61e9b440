// The named backup locations of the sysvol backend: clients name a location, never a path; each
// location has one in-process lock that serialises its manifest updates, an in-memory index
// of its backups (backup_index.h) and the flushes its backups share (sync_batch.h).

#ifndef GPOP_SERVICE_BACKENDS_SYSVOL_BACKUP_LOCATIONS_H_
#define GPOP_SERVICE_BACKENDS_SYSVOL_BACKUP_LOCATIONS_H_

#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "service/backends/sysvol/backup_index.h"
#include "service/backends/sysvol/safe_fs.h"
#include "service/backends/sysvol/sync_batch.h"
#include "service/core/error.h"
#include "service/core/mutex.h"

namespace gpop::sysvol {

// BackupLocation
//
// One configured location: its name (as configured) and folder.
struct BackupLocation {
  std::string name;
  std::filesystem::path path;
};

// BackupLocations
//
// Thread-safe.
class BackupLocations {
 public:
  // Check
  //
  // Validates a configuration: plain names, a folder each, no two names for one folder, and a
  // default that is one of them. `*default_name` is set when there is exactly one location and
  // no default.
  static core::Status Check(const std::map<std::string, std::filesystem::path>& locations,
                            std::string* default_name);

  BackupLocations(std::map<std::string, std::filesystem::path> locations, std::string default_name)
      : locations_(std::move(locations)), default_name_(std::move(default_name)) {}

  // Resolve
  //
  // The location `name` names (empty: the default), matched exactly, then case-insensitively.
  // NOT_FOUND/LOCATION_NOT_FOUND when none.
  core::Result<BackupLocation> Resolve(const std::string& name) const;

  // Open
  //
  // The location's folder, as a root ("backups/<name>/..." in messages).
  static core::Result<Dir> Open(const BackupLocation& location, bool create = false);

  // Mutex
  //
  // The lock of the location named `name` (a resolved name), created on first use.
  core::Mutex* Mutex(const std::string& name) const;

  // Index
  //
  // The in-memory index of the location named `name` (a resolved name), created on first use;
  // read and published under Mutex(name).
  LocationIndex* Index(const std::string& name) const;

  // FileSystemSync, FolderSync
  //
  // The location's shared flushes (sync_batch.h), created on first use: syncfs of its file
  // system (the backups' staged trees) and fsync of its folder (their renames into it).
  SyncBatch* FileSystemSync(const std::string& name) const;
  SyncBatch* FolderSync(const std::string& name) const;

  const std::map<std::string, std::filesystem::path>& all() const { return locations_; }

 private:
  const std::map<std::string, std::filesystem::path> locations_;
  const std::string default_name_;
  mutable core::Mutex mu_;
  mutable std::map<std::string, std::unique_ptr<core::Mutex>> location_mu_ GPOP_GUARDED_BY(mu_);
  mutable std::map<std::string, std::unique_ptr<LocationIndex>> indexes_ GPOP_GUARDED_BY(mu_);
  mutable std::map<std::string, std::unique_ptr<SyncBatch>> fs_syncs_ GPOP_GUARDED_BY(mu_);
  mutable std::map<std::string, std::unique_ptr<SyncBatch>> folder_syncs_ GPOP_GUARDED_BY(mu_);
};

}  // namespace gpop::sysvol

#endif  // GPOP_SERVICE_BACKENDS_SYSVOL_BACKUP_LOCATIONS_H_
