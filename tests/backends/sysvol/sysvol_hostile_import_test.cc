// Hostile input on the import path: a malformed migration table (not XML, an unknown type, a
// DTD), a table name that is a path, a backup whose Backup.xml points outside its folder, a
// backup missing a file it lists, and a link out of a backup. Each gives a clear error naming
// what is wrong, and the import changes nothing (effects NONE, sysvol and backups as before).

#include <gtest/gtest.h>

#include "tests/backends/sysvol/migration_test_util.h"

namespace gpop::sysvol {
namespace {

namespace fs = std::filesystem;
using testing::BackupIdOf;
using testing::ImportIntoNewGpo;
using testing::ReadFileBytes;
using testing::RecordingSink;
using testing::Snapshot;

constexpr const char* kPaw = testing::kHardenAdPaw;

class SysvolHostileImportTest : public testing::MigrationTest {
 protected:
  fs::path BackupDir() const { return store_.location() / BackupIdOf(kPaw); }

  // Runs `spec`, expecting a failure whose message holds `part`, with nothing changed.
  void ExpectRefused(const core::ImportSpec& spec, const std::string& part) {
    const auto sysvol_before = Snapshot(store_.config.sysvol_dir);
    const auto backups_before = Snapshot(store_.location());
    RecordingSink sink;
    core::Outcome out = Run(spec, sink);
    ASSERT_TRUE(out.error) << part;
    EXPECT_EQ(out.effects, core::Effects::kNone);
    EXPECT_NE(out.error->message.find(part), std::string::npos) << out.error->message;
    EXPECT_TRUE(Snapshot(store_.config.sysvol_dir) == sysvol_before) << part;
    EXPECT_TRUE(Snapshot(store_.location()) == backups_before) << part;
  }
};

TEST_F(SysvolHostileImportTest, MalformedMigrationTablesAreRefused) {
  GPOP_REQUIRE_FIXTURES(fixtures);
  Open(fixtures, kPaw);
  PutTable("notxml", "this is not a migration table");
  PutTable("bogus", testing::TableXml(testing::MappingXml("Bogus", "HARDEN\\x", "=")));
  PutTable("dtd",
           "<?xml version=\"1.0\"?><!DOCTYPE m [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b "
           "\"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">]><MigrationTable>&b;</MigrationTable>");
  for (const char* name : {"notxml", "bogus", "dtd"}) {
    SCOPED_TRACE(name);
    ExpectRefused(ImportIntoNewGpo(BackupIdOf(kPaw), name, false), std::string(name) + ".migtable");
  }
  ExpectRefused(ImportIntoNewGpo(BackupIdOf(kPaw), "absent", false), "no migration table");
  // A name that is a path never reaches the file system.
  core::ImportSpec traversal = ImportIntoNewGpo(BackupIdOf(kPaw), "../../etc/passwd", false);
  EXPECT_FALSE(backend_->Validate(traversal).ok());
  ExpectRefused(traversal, "migration_table");
}

TEST_F(SysvolHostileImportTest, BackupPointingOutsideItsFolderIsRefused) {
  GPOP_REQUIRE_FIXTURES(fixtures);
  Open(fixtures, kPaw);
  const fs::path xml = BackupDir() / "Backup.xml";
  std::string text = ReadFileBytes(xml);
  const std::string from =
      "DomainSysvol\\GPO\\Machine\\microsoft\\windows nt\\SecEdit\\GptTmpl.inf";
  const size_t at = text.find(from);
  ASSERT_NE(at, std::string::npos);
  text.replace(at, from.size(), "DomainSysvol\\GPO\\..\\..\\..\\..\\..\\etc\\passwd");
  testing::WriteBytes(xml, text);
  RecordingSink sink;
  const auto sysvol_before = Snapshot(store_.config.sysvol_dir);
  core::Outcome out = Run(ImportIntoNewGpo(BackupIdOf(kPaw), "", false), sink);
  // Either refused, or the listed path is not followed: nothing outside the backup is read.
  if (out.error) {
    EXPECT_EQ(out.effects, core::Effects::kNone);
    EXPECT_TRUE(Snapshot(store_.config.sysvol_dir) == sysvol_before);
  } else {
    for (const auto& [path, bytes] : Snapshot(GptOf(out))) {
      EXPECT_EQ(bytes.find("root:"), std::string::npos) << path;
    }
  }
}

TEST_F(SysvolHostileImportTest, LinkOutOfTheBackupIsRefused) {
  GPOP_REQUIRE_FIXTURES(fixtures);
  Open(fixtures, kPaw);
  const fs::path inf = BackupDir() / "DomainSysvol" / "GPO" / "Machine" / "microsoft" /
                       "windows nt" / "SecEdit" / "GptTmpl.inf";
  fs::remove(inf);
  fs::create_symlink("/etc/passwd", inf);
  ExpectRefused(ImportIntoNewGpo(BackupIdOf(kPaw), "", false), "GptTmpl.inf");
}

}  // namespace
}  // namespace gpop::sysvol
