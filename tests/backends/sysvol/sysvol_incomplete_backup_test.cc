// A backup that lacks a file its Backup.xml lists (missing, a folder or a link in its place,
// unreadable) is incomplete: restore, import and an import set holding it fail before anything
// is written, with a status message naming the file, effects NONE, the GPOs on disk and the
// backup location as they were.

#include <gtest/gtest.h>
#include <unistd.h>

#include <cctype>
#include <string>
#include <vector>

#include "service/backends/sysvol/format/backup_xml.h"
#include "tests/backends/sysvol/sysvol_test_fixture.h"

namespace gpop::sysvol::testing {
namespace {

// The Location of every file Backup.xml in `backup` lists (nested objects too), as written.
std::vector<std::string> ListedFiles(const fs::path& backup) {
  auto xml = ParseBackupXml(ReadFileBytes(backup / "Backup.xml"), "Backup.xml");
  EXPECT_TRUE(xml.ok());
  std::vector<std::string> out;
  if (!xml.ok()) return out;
  std::vector<const FsObject*> objects;
  for (const BackupExtension& e : xml->extensions) {
    for (const FsObject& o : e.objects) objects.push_back(&o);
  }
  for (size_t i = 0; i < objects.size(); ++i) {
    for (const FsObject& c : objects[i]->children) objects.push_back(&c);
  }
  for (const FsObject* o : objects) {
    if (!o->is_dir && !o->location.empty()) out.push_back(o->location);
  }
  return out;
}

// A backup-relative Location ("DomainSysvol\GPO\Machine\Registry.pol") as a path below `dir`.
fs::path PathOf(const fs::path& dir, const std::string& location) {
  fs::path out = dir;
  size_t start = 0;
  while (start <= location.size()) {
    size_t end = location.find('\\', start);
    if (end == std::string::npos) end = location.size();
    if (end > start) out /= location.substr(start, end - start);
    start = end + 1;
  }
  return out;
}

class SysvolIncompleteBackupTest : public BackendTest<> {
 protected:
  void SetUp() override {
    BackendTest::SetUp();
    core::Outcome backup = BackupGpo(*backend_, kServer);
    ASSERT_FALSE(backup.error) << backup.error->message;
    id_ = BackupIdOf(backup);
    std::vector<std::string> listed = ListedFiles(store_.location() / id_);
    ASSERT_FALSE(listed.empty());
    file_ = PathOf(store_.location() / id_, listed.front());
    ASSERT_TRUE(fs::is_regular_file(file_)) << file_;
  }

  // Runs `spec`, expecting a failure naming the listed file, effects NONE, and the sysvol tree
  // (every GPO) and the backup location unchanged; `why` must be in the file's message.
  void ExpectRefused(const core::OperationSpec& spec, const std::string& why) {
    const auto sysvol_before = Snapshot(store_.config.sysvol_dir);
    const auto backups_before = Snapshot(store_.location());
    RecordingSink sink;
    core::Outcome out = Run(spec, sink);
    ASSERT_TRUE(out.error) << "an incomplete backup was accepted";
    EXPECT_EQ(out.effects, core::Effects::kNone);
    const std::string name = file_.filename().string();
    EXPECT_NE(out.error->message.find(name), std::string::npos) << out.error->message;
    bool named = false;
    for (const core::StatusMessage& m : sink.messages) {
      if (m.severity == core::Severity::kError && m.object_path.find(name) != std::string::npos &&
          m.message.find(why) != std::string::npos) {
        named = true;
      }
    }
    EXPECT_TRUE(named) << "no error message naming " << name << " (" << why << ")";
    EXPECT_TRUE(Snapshot(store_.config.sysvol_dir) == sysvol_before) << "the sysvol changed";
    EXPECT_TRUE(Snapshot(store_.location()) == backups_before) << "a backup was written";
  }

  // Restore, import into the existing "Workstation Baseline" and into a new GPO: each refused.
  void ExpectEveryWriterRefused(const std::string& why) {
    ExpectRefused(RestoreOf(id_), why);
    ExpectRefused(ImportInto(id_, "Workstation Baseline"), why);
    ExpectRefused(ImportInto(id_, "Brand New"), why);
  }

  std::string id_;
  fs::path file_;  // the first file the backup lists
};

TEST_F(SysvolIncompleteBackupTest, MissingListedFileRefusesRestoreAndImport) {
  fs::remove(file_);
  ExpectEveryWriterRefused("is missing");
}

TEST_F(SysvolIncompleteBackupTest, FolderInPlaceOfAListedFileIsRefused) {
  fs::remove(file_);
  fs::create_directories(file_ / "inside");
  ExpectEveryWriterRefused("is a folder");
}

TEST_F(SysvolIncompleteBackupTest, LinkInPlaceOfAListedFileIsRefused) {
  const fs::path target = store_.root / "elsewhere.pol";
  fs::copy_file(file_, target);
  fs::remove(file_);
  fs::create_symlink(target, file_);
  ExpectEveryWriterRefused("symbolic link");
}

TEST_F(SysvolIncompleteBackupTest, UnreadableListedFileIsRefused) {
  if (::geteuid() == 0) GTEST_SKIP() << "root reads every file: no unreadable file to make";
  fs::permissions(file_, fs::perms::none);
  ExpectEveryWriterRefused("cannot be read");
  fs::permissions(file_, fs::perms::owner_all);
}

TEST_F(SysvolIncompleteBackupTest, ListedFileInAnotherCaseIsFound) {
  // SYSVOL's case varies: a listed file matches case-insensitively and the restore goes ahead.
  std::string upper = file_.filename().string();
  for (char& c : upper) c = static_cast<char>(::toupper(static_cast<unsigned char>(c)));
  ASSERT_NE(upper, file_.filename().string());
  fs::rename(file_, file_.parent_path() / upper);
  RecordingSink sink;
  core::Outcome out = Run(RestoreOf(id_), sink);
  ASSERT_FALSE(out.error) << out.error->message;
  EXPECT_EQ(out.effects, core::Effects::kApplied);
}

// No byte of `text` is a control character.
bool Printable(const std::string& text) {
  for (unsigned char c : text) {
    if (c < 0x20 || c == 0x7F) return false;
  }
  return true;
}

TEST_F(SysvolIncompleteBackupTest, ListedLocationsAreShownEscaped) {
  // A publisher's Backup.xml lists a file whose Location holds a line break and a terminal
  // escape sequence, and one that also leaves the backup folder.
  const fs::path backup_xml = store_.location() / id_ / "Backup.xml";
  auto xml = ParseBackupXml(ReadFileBytes(backup_xml), "Backup.xml");
  ASSERT_TRUE(xml.ok());
  std::vector<FsObject*> files;
  std::vector<FsObject*> objects;
  for (BackupExtension& e : xml->extensions) {
    for (FsObject& o : e.objects) objects.push_back(&o);
  }
  for (size_t i = 0; i < objects.size(); ++i) {
    for (FsObject& c : objects[i]->children) objects.push_back(&c);
    if (!objects[i]->is_dir && !objects[i]->location.empty()) files.push_back(objects[i]);
  }
  ASSERT_GE(files.size(), 2u);
  files[0]->location = "DomainSysvol\\GPO\\Machine\\new\r\nline\x1b[2J.pol";
  files[1]->location = "..\\out\r\nside\x1b[2J";
  WriteBytes(backup_xml, WriteBackupXml(*xml));
  auto reread = ParseBackupXml(ReadFileBytes(backup_xml), "Backup.xml");
  ASSERT_TRUE(reread.ok());

  RecordingSink sink;
  core::Outcome out = Run(RestoreOf(id_), sink);
  ASSERT_TRUE(out.error);
  EXPECT_EQ(out.error->reason, core::reason::kPathEscape) << out.error->message;
  EXPECT_TRUE(Printable(out.error->message)) << out.error->message;
  EXPECT_NE(out.error->message.find("..\\out\\x0D\\x0Aside\\x1B[2J"), std::string::npos)
      << out.error->message;
  EXPECT_TRUE(Printable(out.error->metadata.at("file")));
  int shown = 0;
  for (const core::StatusMessage& m : sink.messages) {
    EXPECT_TRUE(Printable(m.object_path)) << m.object_path;
    EXPECT_TRUE(Printable(m.message)) << m.message;
    if (m.severity == core::Severity::kError && m.message.find("\\x0D\\x0A") != std::string::npos &&
        m.object_path.find("\\x1B[2J") != std::string::npos) {
      ++shown;
    }
  }
  EXPECT_EQ(shown, 2);
}

TEST_F(SysvolIncompleteBackupTest, ImportSetWithAnIncompleteBackupWritesNoGpo) {
  core::Outcome good = BackupGpo(*backend_, kWorkstation);
  ASSERT_FALSE(good.error) << good.error->message;
  fs::remove(file_);
  core::ImportSetSpec set;
  set.backup_ids = {BackupIdOf(good), id_};  // the complete one first: it must not be imported
  ExpectRefused(set, "is missing");
  RecordingSink sink;
  core::Outcome out = Run(set, sink);
  ASSERT_TRUE(out.error);
  const auto& result = std::get<core::ImportSetResult>(out.result);
  ASSERT_EQ(result.entries.size(), 2u);
  EXPECT_EQ(result.entries[0].outcome, core::ImportSetOutcome::kNotStarted);
  EXPECT_EQ(result.entries[1].outcome, core::ImportSetOutcome::kFailed);
}

}  // namespace
}  // namespace gpop::sysvol::testing
