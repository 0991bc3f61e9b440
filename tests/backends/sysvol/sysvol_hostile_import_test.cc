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
  // An existing target first (from the intact backup), so that a safety backup would be due.
  RecordingSink first;
  core::Outcome made = Run(ImportIntoNewGpo(BackupIdOf(kPaw), "", false, "Existing"), first);
  ASSERT_FALSE(made.error) << made.error->message;
  const fs::path xml = BackupDir() / "Backup.xml";
  std::string text = ReadFileBytes(xml);
  const std::string from =
      "DomainSysvol\\GPO\\Machine\\microsoft\\windows nt\\SecEdit\\GptTmpl.inf";
  const std::string to = "DomainSysvol\\GPO\\..\\..\\..\\..\\..\\etc\\passwd";
  const size_t at = text.find(from);
  ASSERT_NE(at, std::string::npos);
  text.replace(at, from.size(), to);
  testing::WriteBytes(xml, text);

  for (const char* target : {"Existing", "Brand new"}) {
    SCOPED_TRACE(target);
    const auto sysvol_before = Snapshot(store_.config.sysvol_dir);
    const auto backups_before = Snapshot(store_.location());
    RecordingSink sink;
    core::Outcome out = Run(ImportIntoNewGpo(BackupIdOf(kPaw), "", false, target), sink);
    ASSERT_TRUE(out.error) << "a Backup.xml naming a file outside the backup was accepted";
    EXPECT_EQ(out.error->code, core::Code::kFailedPrecondition);
    EXPECT_EQ(out.error->reason, core::reason::kPathEscape) << out.error->message;
    EXPECT_NE(out.error->message.find(to), std::string::npos) << out.error->message;
    EXPECT_NE(out.error->message.find("leaves the backup folder"), std::string::npos)
        << out.error->message;
    EXPECT_NE(out.error->message.find("nothing was written"), std::string::npos)
        << out.error->message;
    EXPECT_EQ(out.effects, core::Effects::kNone);
    // One error message, naming the listed location and the component that escapes.
    std::vector<core::StatusMessage> errors;
    for (const core::StatusMessage& m : sink.messages) {
      if (m.severity == core::Severity::kError) errors.push_back(m);
    }
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_NE(errors[0].object_path.find(to), std::string::npos) << errors[0].object_path;
    EXPECT_NE(errors[0].message.find("component \"..\""), std::string::npos) << errors[0].message;
    // Nothing written: no GPO, no safety backup, no staging, no open intent.
    EXPECT_TRUE(Snapshot(store_.config.sysvol_dir) == sysvol_before);
    EXPECT_TRUE(Snapshot(store_.location()) == backups_before);
    auto intents = backend_->metadata().OpenIntents();
    ASSERT_TRUE(intents.ok());
    EXPECT_TRUE(intents->empty());
  }
  auto gpos = backend_->ListGpos();
  ASSERT_TRUE(gpos.ok());
  ASSERT_EQ(gpos->size(), 1u);
  EXPECT_EQ((*gpos)[0].display_name, "Existing");
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
