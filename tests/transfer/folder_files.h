// What the transfer tests read back from folders: a file's bytes, a folder's tree with a digest
// per file, and the backup IDs a location's manifest.xml lists.
#ifndef GPOP_TESTS_TRANSFER_FOLDER_FILES_H_
#define GPOP_TESTS_TRANSFER_FOLDER_FILES_H_

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "service/backends/sysvol/format/manifest.h"
#include "service/transfer/sha256.h"

namespace gpop::transfer::testing {

inline std::string ReadAll(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Everything below `dir` (paths relative to it), with a digest per file ("dir" for a folder);
// empty when `dir` is missing.
inline std::map<std::string, std::string> Tree(const std::filesystem::path& dir) {
  namespace fs = std::filesystem;
  std::map<std::string, std::string> tree;
  if (!fs::exists(dir)) return tree;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    tree[fs::relative(e.path(), dir).generic_string()] =
        e.is_regular_file() ? Sha256Hex(ReadAll(e.path())) : "dir";
  }
  return tree;
}

// The backup IDs the location's manifest.xml lists, in file order (empty: no manifest; a
// manifest that does not parse fails the test).
inline std::vector<std::string> ManifestIds(const std::filesystem::path& location) {
  if (!std::filesystem::exists(location / "manifest.xml")) return {};
  core::Result<sysvol::Manifest> manifest =
      sysvol::ParseManifest(ReadAll(location / "manifest.xml"), "manifest.xml");
  EXPECT_TRUE(manifest.ok()) << manifest.error().message;
  std::vector<std::string> ids;
  if (manifest.ok()) {
    for (const sysvol::BackupInst& b : manifest->backups) ids.push_back(b.id);
  }
  return ids;
}

}  // namespace gpop::transfer::testing

#endif  // GPOP_TESTS_TRANSFER_FOLDER_FILES_H_
