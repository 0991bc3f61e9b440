// Staging folders (see staging.h).

#include "service/backends/sysvol/txn/staging.h"

#include <vector>

#include "service/backends/sysvol/backup_folder.h"
#include "service/core/guid.h"

namespace gpop::sysvol {

std::string NewStagingName() {
  std::string guid = core::NewGuid();
  return "op-" + guid.substr(1, guid.size() - 2);
}

core::Status RemoveStaging(const Dir& root, const std::string& staging) {
  if (!root.Exists(kStagingFolder)) return core::Status();
  core::Result<Dir> staging_root = root.OpenSubdir(kStagingFolder);
  if (!staging_root.ok()) return staging_root.error();
  if (core::Status s = staging_root->RemoveTree(staging); !s.ok()) return s;
  (void)staging_root->Sync();
  return core::Status();
}

core::Status RemoveAllStaging(const Dir& root) {
  if (!root.Exists(kStagingFolder)) return core::Status();
  core::Result<Dir> staging_root = root.OpenSubdir(kStagingFolder);
  if (!staging_root.ok()) return staging_root.error();
  core::Result<std::vector<DirEntry>> entries = staging_root->List();
  if (!entries.ok()) return entries.error();
  for (const DirEntry& e : *entries) {
    if (core::Status s = staging_root->RemoveTree(e.name); !s.ok()) return s;
  }
  (void)staging_root->Sync();
  return core::Status();
}

}  // namespace gpop::sysvol
