#include "tests/testing/fixtures.h"

#include <cstdlib>
#include <random>
#include <string>

namespace gpop::testing {

namespace fs = std::filesystem;

std::optional<fs::path> FixturesDir() {
  if (const char* env = std::getenv("GPOP_FIXTURES"); env != nullptr && *env != '\0') {
    fs::path p(env);
    if (fs::is_directory(p / "gpmc-backups")) return p;
    return std::nullopt;
  }
  fs::path src = GPOP_DEFAULT_SOURCE_DIR;
  if (const char* env = std::getenv("GPOP_SOURCE_DIR"); env != nullptr && *env != '\0') src = env;
  fs::path p = src / ".." / "shared" / "fixtures";
  if (fs::is_directory(p / "gpmc-backups")) return fs::canonical(p);
  return std::nullopt;
}

bool InCi() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && std::string(ci) == "true";
}

fs::path TempDir(const char* prefix) {
  std::random_device rd;
  for (;;) {
    fs::path p = fs::temp_directory_path() /
                 (std::string(prefix) + "-" + std::to_string(rd()) + std::to_string(rd()));
    std::error_code ec;
    if (fs::create_directory(p, ec)) return p;
  }
}

fs::path CopyToTemp(const fs::path& from) {
  fs::path to = TempDir("gpop-copy") / from.filename();
  fs::copy(from, to, fs::copy_options::recursive);
  // ../shared is read-only; the copy must be writable.
  for (auto& entry : fs::recursive_directory_iterator(to)) {
    fs::permissions(entry.path(),
                    fs::perms::owner_read | fs::perms::owner_write |
                        (entry.is_directory() ? fs::perms::owner_exec : fs::perms::none),
                    fs::perm_options::add);
  }
  fs::permissions(to, fs::perms::owner_all, fs::perm_options::add);
  return to;
}

}  // namespace gpop::testing
