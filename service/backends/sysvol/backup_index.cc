// The in-memory index of a backup location (see backup_index.h).

#include "service/backends/sysvol/backup_index.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <utility>

#include "service/core/guid.h"

namespace gpop::sysvol {
namespace {

FileStamp FromStat(const struct stat& st) {
  FileStamp s;
  s.valid = true;
  s.dev = static_cast<uint64_t>(st.st_dev);
  s.ino = static_cast<uint64_t>(st.st_ino);
  s.size = static_cast<int64_t>(st.st_size);
  s.nlink = static_cast<uint64_t>(st.st_nlink);
  s.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  s.ctime_ns = static_cast<int64_t>(st.st_ctim.tv_sec) * 1000000000 + st.st_ctim.tv_nsec;
  return s;
}

}  // namespace

FileStamp StampOf(const Dir& dir) {
  struct stat st;
  if (!dir.is_open() || ::fstat(dir.fd(), &st) != 0) return FileStamp();
  return FromStat(st);
}

FileStamp StampAt(const Dir& dir, const std::string& name) {
  struct stat st;
  if (!dir.is_open() || ::fstatat(dir.fd(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    return FileStamp();
  }
  return FromStat(st);
}

LocationIndex::Entry LocationIndex::ReadEntryLocked(const Dir& location, const std::string& name) {
  Entry entry;
  entry.scanned =
      ScanBackupFolder(location, name, [&entry](const Dir& dir, const std::string& info) {
        // Taken before the read: a change during or after it shows as a different stamp next time.
        entry.info_stamp = StampAt(dir, info);
      });
  ++records_read_;
  return entry;
}

core::Status LocationIndex::RefreshLocked(const Dir& location) {
  // The stamp is taken before the listing, so that a change made while listing shows next time.
  const FileStamp stamp = StampOf(location);
  core::Result<std::vector<DirEntry>> listed = location.List();
  ++listings_;
  if (!listed.ok()) {
    valid_ = false;
    return listed.error();
  }
  std::map<std::string, Entry> fresh;
  for (const DirEntry& e : *listed) {
    if (e.type != EntryType::kDirectory || !IsBackupFolderName(e.name)) continue;
    auto old = entries_.find(e.name);
    if (old != entries_.end() && old->second.info_stamp.valid &&
        StampAt(location, e.name + "/" + old->second.scanned.info_name) == old->second.info_stamp) {
      fresh.emplace(e.name, std::move(old->second));
      continue;
    }
    fresh.emplace(e.name, ReadEntryLocked(location, e.name));
  }
  entries_ = std::move(fresh);
  dir_stamp_ = stamp;
  valid_ = true;
  return core::Status();
}

core::Result<std::vector<ScannedBackup>> LocationIndex::Backups(const Dir& location,
                                                                std::vector<std::string>* skipped,
                                                                std::set<std::string>* unreadable) {
  core::MutexLock lock(&mu_);
  if (!valid_ || StampOf(location) != dir_stamp_) {
    if (core::Status s = RefreshLocked(location); !s.ok()) return s.error();
  }
  std::vector<ScannedBackup> out;
  out.reserve(entries_.size());
  for (const auto& [name, entry] : entries_) {
    const ScannedFolder& f = entry.scanned;
    if (!f.skipped.empty() && skipped) skipped->push_back(f.skipped);
    if (f.unreadable && unreadable) unreadable->insert(*core::NormalizeGuid(name));
    if (f.backup) out.push_back(*f.backup);
  }
  return out;
}

core::Result<Manifest> LocationIndex::ReadManifest(const Dir& location, bool* corrupt) {
  core::MutexLock lock(&mu_);
  const FileStamp dir = StampOf(location);
  // While the folder is unchanged the name found is too; the file itself may have been
  // rewritten in place, which its own stamp shows.
  if (manifest_valid_ && dir == manifest_dir_stamp_ &&
      (manifest_name_.empty() || StampAt(location, manifest_name_) == manifest_stamp_)) {
    *corrupt = manifest_corrupt_;
    return manifest_;
  }
  manifest_valid_ = false;
  core::Result<std::optional<DirEntry>> found = location.FindNoCase(kManifestFile);
  if (!found.ok()) return found.error();
  std::string name = *found ? (*found)->name : std::string();
  FileStamp file = name.empty() ? FileStamp() : StampAt(location, name);
  core::Result<Manifest> read = sysvol::ReadManifest(location, corrupt);
  if (!read.ok()) return read.error();
  manifest_valid_ = dir.valid && (name.empty() || file.valid);
  manifest_dir_stamp_ = dir;
  manifest_name_ = std::move(name);
  manifest_stamp_ = file;
  manifest_ = *read;
  manifest_corrupt_ = *corrupt;
  return read;
}

void LocationIndex::NotePublished(const Dir& location, const FileStamp& before,
                                  const std::string& folder, const BackupInst& inst,
                                  const Manifest* manifest) {
  core::MutexLock lock(&mu_);
  const FileStamp after = StampOf(location);
  // On file systems that count subfolders in the link count (ext4, xfs, tmpfs) one folder more
  // must show as exactly one link more; a different count means someone else changed it too.
  const bool counts_folders = before.nlink >= 2;
  const bool only_ours = after.valid && (!counts_folders || after.nlink == before.nlink + 1);
  if (valid_ && dir_stamp_ == before && only_ours) {
    Entry entry;
    entry.scanned.backup = ScannedBackup{folder, inst};
    entry.scanned.info_name = kBkupInfoFile;
    entry.info_stamp = StampAt(location, folder + "/" + kBkupInfoFile);
    entries_[folder] = std::move(entry);
    dir_stamp_ = after;
  } else {
    valid_ = false;
  }
  const bool manifest_current = manifest_valid_ && manifest_dir_stamp_ == before &&
                                (manifest_name_.empty() || manifest_name_ == kManifestFile);
  if (manifest != nullptr && manifest_current && only_ours) {
    manifest_ = *manifest;
    manifest_name_ = kManifestFile;
    manifest_stamp_ = StampAt(location, kManifestFile);
    manifest_dir_stamp_ = after;
    manifest_corrupt_ = false;
    manifest_valid_ = manifest_stamp_.valid;
  } else {
    manifest_valid_ = false;
  }
}

void LocationIndex::Invalidate() {
  core::MutexLock lock(&mu_);
  valid_ = false;
  manifest_valid_ = false;
  entries_.clear();
}

int64_t LocationIndex::records_read() const {
  core::MutexLock lock(&mu_);
  return records_read_;
}

int64_t LocationIndex::listings() const {
  core::MutexLock lock(&mu_);
  return listings_;
}

}  // namespace gpop::sysvol
