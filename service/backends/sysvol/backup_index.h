// The backups and the manifest of one backup location, indexed in memory, so that a backup or a
// listing does not re-read every earlier backup's bkupInfo.xml (which made backing up n GPOs
// into one location cost O(n^2) file reads).
//
// The index is maintained on write, validated cheaply and rebuilt when stale:
// - gpop's own publish (a backup folder and manifest.xml renamed in, under the location's lock)
//   updates it in place (NotePublished);
// - every use first compares the location folder's stamp (device, inode, mtime, ctime, link
//   count: one fstat) and manifest.xml's (one fstatat) with those the index last saw;
// - when the folder changed behind gpop's back (a backup copied in or deleted by hand, another
//   program's manifest), it is listed again and only the folders whose bkupInfo.xml is new or
//   changed (its device, inode, size, mtime, ctime) are read again.
// What it cannot see without a read: a bkupInfo.xml edited in place while the location folder
// itself is untouched is seen at the next change of the folder or at the next start.

#ifndef GPOP_SERVICE_BACKENDS_SYSVOL_BACKUP_INDEX_H_
#define GPOP_SERVICE_BACKENDS_SYSVOL_BACKUP_INDEX_H_

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "service/backends/sysvol/backup_folder.h"
#include "service/backends/sysvol/format/manifest.h"
#include "service/backends/sysvol/safe_fs.h"
#include "service/core/error.h"
#include "service/core/mutex.h"

namespace gpop::sysvol {

// FileStamp
//
// What tells that a file or folder changed: lstat's device, inode, size, link count and the
// modification and change times in nanoseconds. `valid` is false when the stat failed.
struct FileStamp {
  bool valid = false;
  uint64_t dev = 0;
  uint64_t ino = 0;
  int64_t size = 0;
  uint64_t nlink = 0;
  int64_t mtime_ns = 0;
  int64_t ctime_ns = 0;

  bool operator==(const FileStamp& o) const {
    return valid && o.valid && dev == o.dev && ino == o.ino && size == o.size && nlink == o.nlink &&
           mtime_ns == o.mtime_ns && ctime_ns == o.ctime_ns;
  }
  bool operator!=(const FileStamp& o) const { return !(*this == o); }
};

// StampOf / StampAt
//
// The stamp of an open folder (fstat) and of `name` inside `dir` (fstatat, links not followed).
FileStamp StampOf(const Dir& dir);
FileStamp StampAt(const Dir& dir, const std::string& name);

// LocationIndex
//
// One location's backups and manifest as last seen. Thread-safe (an internal mutex); a
// read-then-publish sequence is consistent only under the location's lock
// (BackupLocations::Mutex), which every caller holds.
class LocationIndex {
 public:
  // Backups
  //
  // What ScanBackups(location, skipped, unreadable) returns, from the index: one fstat when
  // nothing changed; a listing and reads of the changed folders only when something did.
  core::Result<std::vector<ScannedBackup>> Backups(const Dir& location,
                                                   std::vector<std::string>* skipped,
                                                   std::set<std::string>* unreadable = nullptr);

  // ReadManifest
  //
  // As ReadManifest(location, corrupt), reused while the folder and manifest.xml are unchanged.
  core::Result<Manifest> ReadManifest(const Dir& location, bool* corrupt);

  // StampBeforePublish
  //
  // The location folder's stamp, taken just before gpop renames a backup in (see
  // NotePublished).
  static FileStamp StampBeforePublish(const Dir& location) { return StampOf(location); }

  // NotePublished
  //
  // gpop renamed the backup folder `folder` (recorded as `inst`) and, when `manifest` is given,
  // manifest.xml into `location`; `before` is StampBeforePublish's stamp. The index takes the
  // change in place when it was current at `before` and the folder's link count grew by the one
  // folder (on file systems that count subfolders); otherwise it is marked stale and the next
  // use lists the folder again.
  void NotePublished(const Dir& location, const FileStamp& before, const std::string& folder,
                     const BackupInst& inst, const Manifest* manifest);

  // Invalidate
  //
  // Forgets what was seen (the next use lists the folder and re-reads every record).
  void Invalidate();

  // Counters for tests and benchmarks: records read, listings of the folder.
  int64_t records_read() const;
  int64_t listings() const;

 private:
  struct Entry {
    ScannedFolder scanned;
    FileStamp info_stamp;  // of the bkupInfo.xml read (invalid: none was read)
  };

  core::Status RefreshLocked(const Dir& location) GPOP_REQUIRES(mu_);
  Entry ReadEntryLocked(const Dir& location, const std::string& name) GPOP_REQUIRES(mu_);

  mutable core::Mutex mu_;
  bool valid_ GPOP_GUARDED_BY(mu_) = false;
  FileStamp dir_stamp_ GPOP_GUARDED_BY(mu_);
  std::map<std::string, Entry> entries_ GPOP_GUARDED_BY(mu_);  // by folder name
  bool manifest_valid_ GPOP_GUARDED_BY(mu_) = false;
  FileStamp manifest_dir_stamp_ GPOP_GUARDED_BY(mu_);  // the folder's when the manifest was read
  std::string manifest_name_ GPOP_GUARDED_BY(mu_);     // as on disk; empty: none
  FileStamp manifest_stamp_ GPOP_GUARDED_BY(mu_);
  Manifest manifest_ GPOP_GUARDED_BY(mu_);
  bool manifest_corrupt_ GPOP_GUARDED_BY(mu_) = false;
  int64_t records_read_ GPOP_GUARDED_BY(mu_) = 0;
  int64_t listings_ GPOP_GUARDED_BY(mu_) = 0;
};

}  // namespace gpop::sysvol

#endif  // GPOP_SERVICE_BACKENDS_SYSVOL_BACKUP_INDEX_H_
