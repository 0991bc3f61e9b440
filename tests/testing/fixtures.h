// Where tests find the real GPMC backups of ../shared/fixtures.

#ifndef GPOP_TESTS_TESTING_FIXTURES_H_
#define GPOP_TESTS_TESTING_FIXTURES_H_

#include <filesystem>
#include <optional>

namespace gpop::testing {

// FixturesDir
//
// The fixtures folder: $GPOP_FIXTURES when set and non-empty, else ../shared/fixtures beside the
// source tree ($GPOP_SOURCE_DIR, set by ctest). nullopt when it is not there.
std::optional<std::filesystem::path> FixturesDir();

// RequireFixtures
//
// For use at the top of a test: `GPOP_REQUIRE_FIXTURES(dir);` declares `dir` as the fixtures
// folder, or ends the test: skipped normally, failed when CI=true (CI must never silently skip).
#define GPOP_REQUIRE_FIXTURES(dir)                                                     \
  std::filesystem::path dir;                                                           \
  do {                                                                                 \
    auto found = ::gpop::testing::FixturesDir();                                       \
    if (!found) {                                                                      \
      if (::gpop::testing::InCi()) {                                                   \
        FAIL() << "fixtures not found: set GPOP_FIXTURES or place ../shared/fixtures"; \
      }                                                                                \
      GTEST_SKIP() << "fixtures not found (set GPOP_FIXTURES)";                        \
    }                                                                                  \
    dir = *found;                                                                      \
  } while (0)

// InCi
//
// True when the CI environment variable is "true".
bool InCi();

// CopyTree
//
// Copies `from` recursively into a new temporary folder and returns it; tests that write work on
// copies, never on ../shared.
std::filesystem::path CopyToTemp(const std::filesystem::path& from);

// TempDir
//
// A new empty folder under the system temporary directory, removed by nobody (ctest runs in a
// throwaway machine; names are unique).
std::filesystem::path TempDir(const char* prefix = "gpop-test");

}  // namespace gpop::testing

#endif  // GPOP_TESTS_TESTING_FIXTURES_H_
