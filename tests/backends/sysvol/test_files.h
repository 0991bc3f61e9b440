// Helpers shared by the format tests: reading files and listing the fixtures' backups.

#ifndef GPOP_TESTS_BACKENDS_SYSVOL_TEST_FILES_H_
#define GPOP_TESTS_BACKENDS_SYSVOL_TEST_FILES_H_

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace gpop::sysvol::testing {

// ReadFileBytes
//
// The whole file, or "" when it cannot be read (tests assert on non-empty where it matters).
inline std::string ReadFileBytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// BackupDirs
//
// The fixtures' backup folders ({GUID} children of gpmc-backups), sorted.
inline std::vector<std::filesystem::path> BackupDirs(const std::filesystem::path& fixtures) {
  std::vector<std::filesystem::path> out;
  for (const auto& e : std::filesystem::directory_iterator(fixtures / "gpmc-backups")) {
    if (e.is_directory() && e.path().filename().string().front() == '{') out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// FindFiles
//
// Every regular file under `root` whose name equals `name` ASCII case-insensitively, sorted.
inline std::vector<std::filesystem::path> FindFiles(const std::filesystem::path& root,
                                                    const std::string& name) {
  auto lower = [](std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  };
  std::vector<std::filesystem::path> out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(root)) {
    if (e.is_regular_file() && lower(e.path().filename().string()) == lower(name)) {
      out.push_back(e.path());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace gpop::sysvol::testing

#endif  // GPOP_TESTS_BACKENDS_SYSVOL_TEST_FILES_H_
