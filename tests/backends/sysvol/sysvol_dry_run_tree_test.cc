// A dry run of restore, import, copy and an import set leaves the sysvol tree and the backup
// location exactly as they were: the same folders and files (none added, not even an empty
// staging folder), each file of the same size and bytes.

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <string>

#include "tests/backends/sysvol/sysvol_test_fixture.h"

namespace gpop::sysvol::testing {
namespace {

// FNV-1a, 64 bits: a stable digest of a file's bytes for the listing.
uint64_t Digest(const std::string& bytes) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

// Every entry below `root`: folders as "dir", links as "link", files as "file <size> <digest>".
std::map<std::string, std::string> Listing(const fs::path& root) {
  std::map<std::string, std::string> out;
  for (const auto& [rel, bytes] : Snapshot(root)) {
    if (bytes == "<dir>" || bytes == "<link>") {
      out[rel] = bytes == "<dir>" ? "dir" : "link";
    } else {
      out[rel] = "file " + std::to_string(bytes.size()) + " " + std::to_string(Digest(bytes));
    }
  }
  return out;
}

class SysvolDryRunTreeTest : public BackendTest<> {
 protected:
  // Runs `spec` (a dry run), expecting success with effects NONE and both trees unchanged.
  void ExpectNothingChanged(const core::OperationSpec& spec, const std::string& what) {
    SCOPED_TRACE(what);
    const auto sysvol_before = Listing(store_.config.sysvol_dir);
    const auto backups_before = Listing(store_.location());
    RecordingSink sink;
    core::Outcome out = Run(spec, sink);
    ASSERT_FALSE(out.error) << out.error->message;
    EXPECT_EQ(out.effects, core::Effects::kNone);
    EXPECT_EQ(Listing(store_.config.sysvol_dir), sysvol_before);
    EXPECT_EQ(Listing(store_.location()), backups_before);
  }
};

TEST_F(SysvolDryRunTreeTest, RestoreImportCopyAndImportSetLeaveTheTreesAsTheyWere) {
  core::Outcome backup = BackupGpo(*backend_, kServer);
  ASSERT_FALSE(backup.error) << backup.error->message;
  const std::string id = BackupIdOf(backup);
  // A change since the backup, so that the restore has something to predict.
  WriteBytes(store_.policies() / kServer / "Machine" / "added.txt", "new");
  ASSERT_FALSE(fs::exists(store_.policies() / ".gpop-staging"));

  core::RestoreSpec restore = RestoreOf(id);
  restore.dry_run = true;
  ExpectNothingChanged(restore, "restore");

  core::ImportSpec into_existing = ImportInto(id, "Workstation Baseline");
  into_existing.dry_run = true;
  ExpectNothingChanged(into_existing, "import into an existing GPO");

  core::ImportSpec into_new = ImportInto(id, "Not Yet There");
  into_new.dry_run = true;
  into_new.dry_run_report = true;
  ExpectNothingChanged(into_new, "import into a new GPO, with the HTML page");

  core::CopySpec copy;
  copy.source.guid = kWorkstation;
  copy.new_display_name = "Copied";
  copy.dry_run = true;
  ExpectNothingChanged(copy, "copy");

  core::ImportSetSpec set;
  set.backup_ids = {id};
  set.dry_run = true;
  ExpectNothingChanged(set, "import set");
}

}  // namespace
}  // namespace gpop::sysvol::testing
