// Named backup locations (see backup_locations.h).

#include "service/backends/sysvol/backup_locations.h"

#include "service/backends/sysvol/format/text_util.h"

namespace gpop::sysvol {
namespace fs = std::filesystem;

core::Status BackupLocations::Check(const std::map<std::string, fs::path>& locations,
                                    std::string* default_name) {
  if (default_name->empty() && locations.size() == 1) *default_name = locations.begin()->first;
  if (!default_name->empty() && !locations.count(*default_name)) {
    return core::InvalidField("sysvol.default_backup_location",
                              "names no configured backup location");
  }
  for (const auto& [name, path] : locations) {
    if (!IsSafeName(name) || name.front() == '.') {
      return core::InvalidField("sysvol.backup_locations", "\"" + name + "\" is not a plain name");
    }
    if (path.empty()) {
      return core::InvalidField("sysvol.backup_locations", "\"" + name + "\" has no folder");
    }
  }
  // Two names for one folder would get two locks for one manifest.
  std::map<std::string, std::string> by_folder;
  for (const auto& [name, path] : locations) {
    std::error_code ec;
    fs::path canonical = fs::weakly_canonical(path, ec);
    std::string key = (ec ? path : canonical).lexically_normal().string();
    auto [it, inserted] = by_folder.emplace(key, name);
    if (!inserted) {
      return core::InvalidField("sysvol.backup_locations",
                                "\"" + it->second + "\" and \"" + name + "\" are the same folder");
    }
  }
  return core::Status();
}

core::Result<BackupLocation> BackupLocations::Resolve(const std::string& name) const {
  std::string wanted = name.empty() ? default_name_ : name;
  if (wanted.empty()) {
    return core::MakeError(core::Code::kFailedPrecondition, core::reason::kLocationNotFound,
                           "no backup location configured");
  }
  // Names are matched exactly, then case-insensitively; they are keys, never paths.
  auto it = locations_.find(wanted);
  if (it == locations_.end()) {
    for (auto i = locations_.begin(); i != locations_.end(); ++i) {
      if (internal::EqualsNoCase(i->first, wanted)) it = i;
    }
  }
  if (it == locations_.end()) {
    return core::MakeError(core::Code::kNotFound, core::reason::kLocationNotFound,
                           "no backup location named \"" + wanted + "\"", {{"location", wanted}});
  }
  return BackupLocation{it->first, it->second};
}

core::Result<Dir> BackupLocations::Open(const BackupLocation& location, bool create) {
  return Dir::OpenRoot(location.path, "backups/" + location.name, create);
}

core::Mutex* BackupLocations::Mutex(const std::string& name) const {
  core::MutexLock lock(&mu_);
  std::unique_ptr<core::Mutex>& mu = location_mu_[name];
  if (!mu) mu = std::make_unique<core::Mutex>();
  return mu.get();
}

LocationIndex* BackupLocations::Index(const std::string& name) const {
  core::MutexLock lock(&mu_);
  std::unique_ptr<LocationIndex>& index = indexes_[name];
  if (!index) index = std::make_unique<LocationIndex>();
  return index.get();
}

SyncBatch* BackupLocations::FileSystemSync(const std::string& name) const {
  core::MutexLock lock(&mu_);
  std::unique_ptr<SyncBatch>& batch = fs_syncs_[name];
  if (!batch) batch = std::make_unique<SyncBatch>(SyncBatch::Scope::kFileSystem);
  return batch.get();
}

SyncBatch* BackupLocations::FolderSync(const std::string& name) const {
  core::MutexLock lock(&mu_);
  std::unique_ptr<SyncBatch>& batch = folder_syncs_[name];
  if (!batch) batch = std::make_unique<SyncBatch>(SyncBatch::Scope::kFolder);
  return batch.get();
}

}  // namespace gpop::sysvol
