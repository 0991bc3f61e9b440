// CheckLayout on the real GPMC backups of ../shared/fixtures, as one backup, as backup sets, and
// with the damage an upload must be refused for.

#include "service/transfer/upload_layout.h"

#include <gtest/gtest.h>

#include <fstream>

#include "service/transfer/folder_tar.h"
#include "tests/testing/fixtures.h"

namespace gpop::transfer {
namespace {

namespace fs = std::filesystem;

constexpr char kBackup[] = "{32D5EEFD-DACE-44DC-BC16-D364B32B0D2A}";

// Tars `dir`, extracts it into a fresh folder and checks the layout there.
core::Result<UploadLayout> Lay(const fs::path& dir) {
  fs::path work = gpop::testing::TempDir("gpop-layout");
  core::Result<std::vector<ExtractedFile>> sent = TarFolder(dir, work / "up.tar");
  if (!sent.ok()) return sent.error();
  fs::create_directories(work / "dest");
  core::Result<std::vector<ExtractedFile>> files =
      ExtractTar(work / "up.tar", work / "dest", ExtractLimits());
  if (!files.ok()) return files.error();
  EXPECT_EQ(files->size(), sent->size());
  return CheckLayout(work / "dest", *files);
}

void Write(const fs::path& file, const std::string& bytes) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << bytes;
}

void ExpectRejected(const core::Result<UploadLayout>& layout, const std::string& needle) {
  ASSERT_FALSE(layout.ok());
  EXPECT_EQ(layout.error().reason, kUploadRejected) << layout.error().message;
  EXPECT_NE(layout.error().message.find(needle), std::string::npos) << layout.error().message;
}

TEST(UploadLayoutTest, OneBackupFolder) {
  GPOP_REQUIRE_FIXTURES(fixtures);
  core::Result<UploadLayout> layout = Lay(fixtures / "gpmc-backups" / kBackup);
  ASSERT_TRUE(layout.ok()) << layout.error().message;
  EXPECT_FALSE(layout->backup_set);
  ASSERT_EQ(layout->backups.size(), 1u);
  EXPECT_EQ(layout->backups[0].backup_id, kBackup);
  EXPECT_EQ(layout->backups[0].folder, "");
  bool has_backup_xml = false;
  for (const ExtractedFile& f : layout->backups[0].files) has_backup_xml |= f.path == "Backup.xml";
  EXPECT_TRUE(has_backup_xml);
}

TEST(UploadLayoutTest, EveryHardenAdSetWithItsManifest) {
  GPOP_REQUIRE_FIXTURES(fixtures);
  int sets = 0;
  for (const auto& set : fs::directory_iterator(fixtures / "hardenad")) {
    if (!set.is_directory()) continue;
    core::Result<UploadLayout> layout = Lay(set.path());
    ASSERT_TRUE(layout.ok()) << set.path() << ": " << layout.error().message;
    EXPECT_TRUE(layout->backup_set);
    ASSERT_EQ(layout->backups.size(), 1u);
    EXPECT_TRUE(fs::exists(set.path() / layout->backups[0].backup_id));
    ++sets;
  }
  EXPECT_EQ(sets, 8);
}

TEST(UploadLayoutTest, AFolderOfEightBackupsWithoutManifest) {
  GPOP_REQUIRE_FIXTURES(fixtures);
  fs::path copy = gpop::testing::CopyToTemp(fixtures / "gpmc-backups");
  // manifest-sample.xml is the fixtures' note, not part of a set.
  ExpectRejected(Lay(copy), "manifest-sample.xml");
  fs::remove(copy / "manifest-sample.xml");
  core::Result<UploadLayout> layout = Lay(copy);
  ASSERT_TRUE(layout.ok()) << layout.error().message;
  EXPECT_TRUE(layout->backup_set);
  EXPECT_EQ(layout->backups.size(), 8u);
}

TEST(UploadLayoutTest, RefusesMalformedXmlAnywhere) {
  GPOP_REQUIRE_FIXTURES(fixtures);
  fs::path copy = gpop::testing::CopyToTemp(fixtures / "gpmc-backups" / kBackup);
  Write(copy / "gpreport.xml", "<GPO><unclosed></GPO>");
  ExpectRejected(Lay(copy), "gpreport.xml");
  fs::path doctype = gpop::testing::CopyToTemp(fixtures / "gpmc-backups" / kBackup);
  Write(doctype / "DomainSysvol" / "extra.xml", "<!DOCTYPE x [<!ENTITY a \"aaaa\">]><x>&a;</x>");
  ExpectRejected(Lay(doctype), "extra.xml");
}

TEST(UploadLayoutTest, RefusesABackupWhoseFolderIsNotItsId) {
  GPOP_REQUIRE_FIXTURES(fixtures);
  fs::path set = gpop::testing::TempDir("gpop-set");
  fs::copy(fixtures / "gpmc-backups" / kBackup, set / "{00000000-0000-0000-0000-000000000001}",
           fs::copy_options::recursive);
  ExpectRejected(Lay(set), "names the backup");
}

TEST(UploadLayoutTest, RefusesAManifestListingAMissingBackup) {
  GPOP_REQUIRE_FIXTURES(fixtures);
  fs::path set = gpop::testing::TempDir("gpop-set");
  fs::copy(fixtures / "gpmc-backups" / kBackup, set / kBackup, fs::copy_options::recursive);
  fs::copy(fixtures / "gpmc-backups" / "manifest-sample.xml", set / "manifest.xml");
  ExpectRejected(Lay(set), "not in the upload");
}

TEST(UploadLayoutTest, RefusesABackupWithoutBackupXmlOrBkupInfo) {
  GPOP_REQUIRE_FIXTURES(fixtures);
  fs::path copy = gpop::testing::CopyToTemp(fixtures / "gpmc-backups" / kBackup);
  fs::remove(copy / "bkupInfo.xml");
  ExpectRejected(Lay(copy), "without bkupInfo.xml");
  fs::path empty = gpop::testing::TempDir("gpop-set");
  Write(empty / "readme.txt", "hello");
  ExpectRejected(Lay(empty), "readme.txt");
}

}  // namespace
}  // namespace gpop::transfer
