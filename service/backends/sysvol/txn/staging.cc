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

namespace {

// How often MakeStagingFolder creates the area again after a concurrent removal of it.
constexpr int kStagingAttempts = 8;

// Removes the staging area of `root` when it is empty and fsyncs `root` (with `sync`).
void RemoveEmptyArea(const Dir& root, bool sync = true) {
  core::Result<bool> removed = root.RemoveEmptyDir(kStagingFolder);
  if (sync && removed.ok() && *removed) (void)root.Sync();
}

}  // namespace

core::Result<StagingDirs> MakeStagingFolder(const Dir& root, const std::string& staging) {
  core::Error last;
  for (int attempt = 0; attempt < kStagingAttempts; ++attempt) {
    core::Result<Dir> area = root.MakeSubdir(kStagingFolder);
    if (!area.ok()) return area.error();
    core::Result<Dir> folder = area->MakeSubdir(staging);
    if (folder.ok()) return StagingDirs{std::move(*area), std::move(*folder)};
    // NOT_FOUND: the (empty) area was removed under us after it was opened; make it again.
    if (folder.error().code != core::Code::kNotFound) return folder.error();
    last = folder.error();
  }
  return last;
}

core::Status RemoveStaging(const Dir& root, const std::string& staging, bool sync) {
  if (!root.Exists(kStagingFolder)) return core::Status();
  core::Result<Dir> staging_root = root.OpenSubdir(kStagingFolder);
  if (!staging_root.ok()) return staging_root.error();
  if (core::Status s = staging_root->RemoveTree(staging); !s.ok()) return s;
  if (sync) (void)staging_root->Sync();
  RemoveEmptyArea(root, sync);
  return core::Status();
}

core::Status RemoveAllStaging(const Dir& root, std::string_view keep_prefix) {
  if (!root.Exists(kStagingFolder)) return core::Status();
  core::Result<Dir> staging_root = root.OpenSubdir(kStagingFolder);
  if (!staging_root.ok()) return staging_root.error();
  core::Result<std::vector<DirEntry>> entries = staging_root->List();
  if (!entries.ok()) return entries.error();
  for (const DirEntry& e : *entries) {
    if (!keep_prefix.empty() && e.name.rfind(keep_prefix, 0) == 0) continue;
    if (core::Status s = staging_root->RemoveTree(e.name); !s.ok()) return s;
  }
  (void)staging_root->Sync();
  RemoveEmptyArea(root);
  return core::Status();
}

}  // namespace gpop::sysvol
