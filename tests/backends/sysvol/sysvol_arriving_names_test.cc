// What arrives with a backup or a source GPT besides its settings: entries a publisher left in
// a backup folder (a .txt at its root, a subfolder, a link, files in the settings tree that
// Backup.xml does not list) are ignored, each named in an info message, never copied into the
// GPO, by import and restore; file names a backup cannot carry (not UTF-8, a control
// character) are refused by name with effects NONE by import, restore and copy, as backup
// refuses them; and no status message ever shows such a name raw.

#include <gtest/gtest.h>

#include "service/backends/sysvol/format/utf16.h"
#include "tests/backends/sysvol/migration_test_util.h"
#include "tests/backends/sysvol/sysvol_test_fixture.h"

namespace gpop::sysvol::testing {
namespace {

const std::string kBadNames[] = {std::string("bad\xC3(name.txt"), std::string("tab\there.txt")};

// Whether a status message field is printable UTF-8 (what gRPC and a terminal can carry).
bool Printable(const std::string& s) {
  if (!IsValidUtf8(s)) return false;
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7F) return false;
  }
  return true;
}

void ExpectEveryMessagePrintable(const RecordingSink& sink) {
  for (const core::StatusMessage& m : sink.messages) {
    EXPECT_TRUE(Printable(m.object_path)) << m.object_path;
    EXPECT_TRUE(Printable(m.message)) << m.message;
  }
}

// The info messages naming an ignored entry.
std::vector<std::string> StrayPaths(const RecordingSink& sink) {
  std::vector<std::string> out;
  for (const core::StatusMessage& m : sink.messages) {
    if (m.message.find("never copied into the GPO") == std::string::npos) continue;
    EXPECT_EQ(m.severity, core::Severity::kInfo) << m.object_path;
    out.push_back(m.object_path);
  }
  return out;
}

bool NamesEndingIn(const std::vector<std::string>& paths, const std::string& tail) {
  for (const std::string& p : paths) {
    if (p.size() >= tail.size() && p.compare(p.size() - tail.size(), tail.size(), tail) == 0) {
      return true;
    }
  }
  return false;
}

// A publisher's leftovers in the backup folder `dir`: a .txt, a subfolder with a file, a link
// out of the folder and two files with names no backup can carry, all at its root; an
// unlisted file on the Machine side and an unlisted folder on the User side of its GPT.
void LeaveStrays(const fs::path& dir) {
  WriteBytes(dir / "notes.txt", "read me");
  WriteBytes(dir / "extras" / "readme.txt", "more");
  fs::create_symlink("/etc", dir / "link-to-etc");
  WriteBytes(dir / "ctl\x01name.txt", "x");
  WriteBytes(dir / "bad\xC3(root.txt", "x");
  WriteBytes(dir / "DomainSysvol" / "GPO" / "Machine" / "stray.txt", "x");
  WriteBytes(dir / "DomainSysvol" / "GPO" / "User" / "Extra" / "x.txt", "x");
  // A preference file naming an account no migration table maps.
  WriteBytes(dir / "DomainSysvol" / "GPO" / "Machine" / "Preferences" / "Extra" / "Extra.xml",
             "<Groups><Group name=\"x\"><Properties groupName=\"HARDEN\\stray\" "
             "groupSid=\"\"/></Group></Groups>");
}

// Every stray LeaveStrays made is named (bad names escaped, as \xNN).
void ExpectStraysNamed(const RecordingSink& sink) {
  const std::vector<std::string> strays = StrayPaths(sink);
  for (const char* tail : {"/notes.txt", "/extras", "/link-to-etc", "/ctl\\x01name.txt",
                           "/bad\\xC3(root.txt", "Machine/stray.txt", "User/Extra",
                           "User/Extra/x.txt", "Machine/Preferences/Extra/Extra.xml"}) {
    EXPECT_TRUE(NamesEndingIn(strays, tail)) << tail << "\n" << ::testing::PrintToString(strays);
  }
  ExpectEveryMessagePrintable(sink);
}

// The settings sides of a GPT (or of a backup's DomainSysvol/GPO), by relative path.
std::map<std::string, std::string> Sides(const fs::path& gpt) {
  std::map<std::string, std::string> out;
  for (const char* side : {"Machine", "User"}) {
    for (auto& [rel, bytes] : Snapshot(gpt / side)) out[std::string(side) + "/" + rel] = bytes;
  }
  return out;
}

class SysvolArrivingNamesTest : public MigrationTest {};

TEST_F(SysvolArrivingNamesTest, ImportIgnoresWhatAPublisherLeftInTheBackupFolder) {
  GPOP_REQUIRE_FIXTURES(fixtures);
  Open(fixtures, kHardenAdPaw);
  const fs::path dir = store_.location() / BackupIdOf(std::string(kHardenAdPaw));
  // The backup's one account, mapped: "migration table only" with this table must pass.
  PutTable("own", TableXml(MappingXml("LocalGroup", "L-S-T0_PawAccess_Logon@harden.ad", "=")));
  RecordingSink clean_sink;
  core::Outcome clean = Run(
      ImportIntoNewGpo(BackupIdOf(std::string(kHardenAdPaw)), "own", true, "Clean"), clean_sink);
  ASSERT_FALSE(clean.error) << clean.error->message;
  LeaveStrays(dir);
  RecordingSink sink;
  core::Outcome out =
      Run(ImportIntoNewGpo(BackupIdOf(std::string(kHardenAdPaw)), "own", true, "Strays"), sink);
  ASSERT_FALSE(out.error) << out.error->message;
  EXPECT_EQ(out.effects, core::Effects::kApplied);
  ExpectStraysNamed(sink);
  EXPECT_TRUE(UnmappedMessages(sink).empty());
  // The GPO holds exactly what an import of the backup without the leftovers holds.
  EXPECT_EQ(Sides(GptOf(out)), Sides(GptOf(clean)));
  EXPECT_FALSE(Sides(GptOf(out)).empty());
}

TEST(SysvolArrivingNamesRestoreTest, RestoreIgnoresWhatAPublisherLeftInTheBackupFolder) {
  TestStore store = MakeDemoStore();
  auto backend = OpenBackend(store.config);
  ASSERT_NE(backend, nullptr);
  const core::Outcome backup = BackupGpo(*backend, kServer);
  ASSERT_FALSE(backup.error) << backup.error->message;
  const std::string id = BackupIdOf(backup);
  const fs::path gpt = store.policies() / kServer;
  // What a restore of the untouched backup gives, then the same after the leftovers.
  RecordingSink clean_sink;
  ASSERT_FALSE(RunOp(*backend, RestoreOf(id, /*safety=*/false), clean_sink).error);
  const auto settings = Sides(gpt);
  LeaveStrays(store.location() / id);
  WriteBytes(gpt / "Machine" / "changed.txt", "a change the restore undoes");
  RecordingSink sink;
  core::Outcome out = RunOp(*backend, RestoreOf(id, /*safety=*/false), sink);
  ASSERT_FALSE(out.error) << out.error->message;
  ExpectStraysNamed(sink);
  EXPECT_EQ(Sides(gpt), settings);
  EXPECT_FALSE(settings.empty());
}

TEST_F(SysvolArrivingNamesTest, ImportRefusesAFileNameABackupCannotCarry) {
  GPOP_REQUIRE_FIXTURES(fixtures);
  for (const std::string& bad : kBadNames) {
    SCOPED_TRACE(PrintableName(bad));
    Open(fixtures, kHardenAdPaw);
    const fs::path dir = store_.location() / BackupIdOf(std::string(kHardenAdPaw));
    WriteBytes(dir / "DomainSysvol" / "GPO" / "Machine" / bad, "x");
    const auto sysvol = Snapshot(store_.config.sysvol_dir);
    const auto backups = Snapshot(store_.location());
    RecordingSink sink;
    core::Outcome out =
        Run(ImportIntoNewGpo(BackupIdOf(std::string(kHardenAdPaw)), "", false), sink);
    ASSERT_TRUE(out.error);
    EXPECT_EQ(out.error->code, core::Code::kFailedPrecondition);
    EXPECT_EQ(out.effects, core::Effects::kNone);
    EXPECT_EQ(Snapshot(store_.config.sysvol_dir), sysvol);
    EXPECT_EQ(Snapshot(store_.location()), backups);
    ASSERT_EQ(sink.messages.size(), 1u);
    EXPECT_EQ(sink.messages[0].severity, core::Severity::kError);
    EXPECT_NE(sink.messages[0].object_path.find("Machine/"), std::string::npos);
    ExpectEveryMessagePrintable(sink);
    EXPECT_TRUE(Printable(out.error->message)) << out.error->message;
  }
}

TEST(SysvolArrivingNamesRestoreTest, RestoreAndCopyRefuseAFileNameABackupCannotCarry) {
  for (const std::string& bad : kBadNames) {
    SCOPED_TRACE(PrintableName(bad));
    TestStore store = MakeDemoStore();
    auto backend = OpenBackend(store.config);
    ASSERT_NE(backend, nullptr);
    const core::Outcome backup = BackupGpo(*backend, kServer);
    ASSERT_FALSE(backup.error) << backup.error->message;
    const std::string id = BackupIdOf(backup);
    // Restore: the name is in the backup's settings tree.
    WriteBytes(store.location() / id / "DomainSysvol" / "GPO" / "Machine" / bad, "x");
    auto sysvol = Snapshot(store.config.sysvol_dir);
    auto backups = Snapshot(store.location());
    RecordingSink restore_sink;
    core::Outcome restored = RunOp(*backend, RestoreOf(id), restore_sink);
    ASSERT_TRUE(restored.error);
    EXPECT_EQ(restored.effects, core::Effects::kNone);
    EXPECT_EQ(Snapshot(store.config.sysvol_dir), sysvol);
    EXPECT_EQ(Snapshot(store.location()), backups);  // no safety backup either
    ASSERT_EQ(restore_sink.messages.size(), 1u);
    EXPECT_EQ(restore_sink.messages[0].severity, core::Severity::kError);
    ExpectEveryMessagePrintable(restore_sink);
    // Copy: the name is in the source GPT.
    WriteBytes(store.policies() / kServer / "Machine" / bad, "x");
    sysvol = Snapshot(store.config.sysvol_dir);
    core::CopySpec copy;
    copy.source.guid = kServer;
    copy.new_display_name = "Copied";
    RecordingSink copy_sink;
    core::Outcome copied = RunOp(*backend, copy, copy_sink);
    ASSERT_TRUE(copied.error);
    EXPECT_EQ(copied.effects, core::Effects::kNone);
    EXPECT_EQ(Snapshot(store.config.sysvol_dir), sysvol);
    ASSERT_EQ(copy_sink.messages.size(), 1u);
    EXPECT_NE(copy_sink.messages[0].object_path.find("Machine/"), std::string::npos);
    ExpectEveryMessagePrintable(copy_sink);
    auto gpos = backend->ListGpos();
    ASSERT_TRUE(gpos.ok());
    for (const auto& g : *gpos) EXPECT_NE(g.display_name, "Copied");
  }
}

}  // namespace
}  // namespace gpop::sysvol::testing
