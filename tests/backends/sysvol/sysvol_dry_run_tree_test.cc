// A dry run of restore, import, copy and an import set leaves the sysvol tree and the backup
// location exactly as they were: the same folders and files (none added, not even an empty
// staging folder), each file of the same size and bytes, and the metadata store's rows (intents
// included) as they were. A dry run of a restore over a GPO whose settings files are corrupt
// succeeds, warning about them, and predicts what the real restore then writes.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>

#include "tests/backends/sysvol/gpo_write_test_util.h"
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
    const auto rows_before = StoredRows(store_.config);
    RecordingSink sink;
    core::Outcome out = Run(spec, sink);
    ASSERT_FALSE(out.error) << out.error->message;
    EXPECT_EQ(out.effects, core::Effects::kNone);
    EXPECT_EQ(Listing(store_.config.sysvol_dir), sysvol_before);
    EXPECT_EQ(Listing(store_.location()), backups_before);
    EXPECT_EQ(StoredRows(store_.config), rows_before);
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

TEST_F(SysvolDryRunTreeTest, RestoreOverCorruptSettingsFilesPredictsTheRepair) {
  core::Outcome backup = BackupGpo(*backend_, kServer);
  ASSERT_FALSE(backup.error) << backup.error->message;
  const fs::path gpt = store_.policies() / kServer;
  const auto want = Settings(gpt);
  const fs::path pol = gpt / "Machine" / "Registry.pol";
  const fs::path inf = gpt / "Machine" / "Microsoft" / "Windows NT" / "SecEdit" / "GptTmpl.inf";
  ASSERT_TRUE(fs::exists(pol) && fs::exists(inf));
  WriteBytes(pol, std::string("PReg\x01\0\0\0[\0K\0", 13));  // truncated
  WriteBytes(inf, "[Unicode]\r\nUnicode=yes\r\n");           // no UTF-16 BOM
  // The live GPT as the diff must see it: the two unreadable files' settings unknown (none).
  const fs::path known = store_.root / "known";
  CopyWritable(gpt, known);
  fs::remove(known / "Machine" / "Registry.pol");
  fs::remove(known / "Machine" / "Microsoft" / "Windows NT" / "SecEdit" / "GptTmpl.inf");

  const auto sysvol_before = Listing(store_.config.sysvol_dir);
  const auto backups_before = Listing(store_.location());
  const auto rows_before = StoredRows(store_.config);
  core::RestoreSpec spec = RestoreOf(BackupIdOf(backup));
  spec.dry_run = true;
  RecordingSink sink;
  core::Outcome dry = Run(spec, sink);
  ASSERT_FALSE(dry.error) << dry.error->message;
  EXPECT_EQ(dry.effects, core::Effects::kNone);
  for (const char* file : {"Registry.pol", "GptTmpl.inf"}) {
    SCOPED_TRACE(file);
    EXPECT_TRUE(std::any_of(sink.messages.begin(), sink.messages.end(), [&](const auto& m) {
      return m.severity == core::Severity::kWarning &&
             m.object_path.find(file) != std::string::npos &&
             m.message.find("restore replaces this file") != std::string::npos;
    }));
  }
  EXPECT_EQ(Listing(store_.config.sysvol_dir), sysvol_before);
  EXPECT_EQ(Listing(store_.location()), backups_before);
  EXPECT_EQ(StoredRows(store_.config), rows_before);
  const auto& predicted = std::get<core::GpoInfo>(dry.result).predicted_changes;
  ASSERT_FALSE(predicted.empty());

  // The real restore, with its safety backup (which keeps the corrupt files as they are).
  core::Outcome real = Run(RestoreOf(BackupIdOf(backup)), sink);
  ASSERT_FALSE(real.error) << real.error->message;
  EXPECT_FALSE(std::get<core::GpoInfo>(real.result).safety_backup_id.empty());
  EXPECT_EQ(Settings(gpt), want);
  EXPECT_EQ(ActualChanges(store_.policies(), known, gpt), predicted);
}

}  // namespace
}  // namespace gpop::sysvol::testing
