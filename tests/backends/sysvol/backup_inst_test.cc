// Tests of bkupInfo.xml and manifest.xml: the fixtures' files are written back byte for byte.

#include "service/backends/sysvol/format/backup_inst.h"

#include <gtest/gtest.h>

#include <string>

#include "service/backends/sysvol/format/manifest.h"
#include "tests/backends/sysvol/test_files.h"
#include "tests/testing/fixtures.h"

namespace gpop::sysvol {
namespace {

using testing::BackupDirs;
using testing::ReadFileBytes;

TEST(BackupInstTest, EveryFixtureBkupInfoRoundTripsByteForByte) {
  GPOP_REQUIRE_FIXTURES(fixtures);
  size_t n = 0;
  for (const auto& dir : BackupDirs(fixtures)) {
    std::string bytes = ReadFileBytes(dir / "bkupInfo.xml");
    auto inst = ParseBkupInfo(bytes, "bkupInfo.xml");
    ASSERT_TRUE(inst.ok()) << inst.error().message;
    // The folder is named by the backup ID, not by the GPO.
    EXPECT_EQ(inst->id, dir.filename().string());
    EXPECT_NE(inst->gpo_guid, inst->id);
    EXPECT_EQ(WriteBkupInfo(*inst), bytes) << dir;
    ++n;
  }
  EXPECT_EQ(n, 8u);
}

TEST(BackupInstTest, ReadsKnownValues) {
  GPOP_REQUIRE_FIXTURES(fixtures);
  auto inst = ParseBkupInfo(
      ReadFileBytes(fixtures / "gpmc-backups/{A2A38432-E322-437F-9975-B7CC7F16F4AA}/bkupInfo.xml"),
      "bkupInfo.xml");
  ASSERT_TRUE(inst.ok());
  EXPECT_EQ(inst->gpo_guid, "{356FB116-26CD-4FBF-830B-6D736B802FD7}");
  EXPECT_EQ(inst->gpo_domain, "idl.local");
  EXPECT_EQ(inst->gpo_domain_guid, "{21ae17e9-5746-4c0a-ab06-86222e0eb1d7}");
  EXPECT_EQ(inst->gpo_domain_controller, "DC-IDL-01.idl.local");
  EXPECT_EQ(inst->backup_time, "2016-12-09T15:16:54");
  EXPECT_EQ(inst->comment, "");
  EXPECT_EQ(inst->gpo_display_name, "DoD Windows 10 STIG - Computer (SHB v10.1.0)");
}

TEST(BackupInstTest, CommentWithCdataEndAndMarkupRoundTrips) {
  BackupInst inst;
  inst.id = "{1}";
  inst.comment = "a ]]> b <c> & \"d\" " + std::string(2047 - 20, 'x');
  std::string bytes = WriteBkupInfo(inst);
  EXPECT_EQ(bytes.rfind("<BackupInst xmlns=", 0), 0u);
  auto back = ParseBkupInfo(bytes, "bkupInfo.xml");
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, inst);
}

TEST(BackupInstTest, WrongRootIsCorrupt) {
  auto r = ParseBkupInfo("<Backups/>", "x/bkupInfo.xml");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("x/bkupInfo.xml"), std::string::npos);
}

TEST(BackupInstTest, BackupTimeFormatAndParse) {
  auto t = ParseBackupTime("2016-12-09T15:16:54");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::seconds>(t->time_since_epoch()).count(),
            1481296614);
  EXPECT_EQ(FormatBackupTime(*t), "2016-12-09T15:16:54");
  auto read = ParseBackupTime("2016-12-09T15:16:55.2950302Z");
  ASSERT_TRUE(read.has_value());
  EXPECT_EQ(FormatBackupTime(*read), "2016-12-09T15:16:55");
  EXPECT_FALSE(ParseBackupTime("2016-13-09T15:16:54").has_value());
  EXPECT_FALSE(ParseBackupTime("yesterday").has_value());
  EXPECT_FALSE(ParseBackupTime("2016-12-09T15:16:54+01:00").has_value());
}

TEST(ManifestTest, FixtureRoundTripsByteForByte) {
  GPOP_REQUIRE_FIXTURES(fixtures);
  std::string bytes = ReadFileBytes(fixtures / "gpmc-backups/manifest-sample.xml");
  auto manifest = ParseManifest(bytes, "manifest.xml");
  ASSERT_TRUE(manifest.ok()) << manifest.error().message;
  ASSERT_EQ(manifest->backups.size(), 1u);
  EXPECT_EQ(manifest->backups[0].gpo_display_name, "EMET Win10");
  EXPECT_EQ(manifest->backups[0].id, "{80964350-C490-47D0-B252-2CB780B7A223}");
  EXPECT_EQ(WriteManifest(*manifest), bytes);
}

TEST(ManifestTest, ListsEveryFixtureBackup) {
  GPOP_REQUIRE_FIXTURES(fixtures);
  Manifest m;
  for (const auto& dir : BackupDirs(fixtures)) {
    auto inst = ParseBkupInfo(ReadFileBytes(dir / "bkupInfo.xml"), "bkupInfo.xml");
    ASSERT_TRUE(inst.ok());
    m.backups.push_back(*inst);
  }
  auto back = ParseManifest(WriteManifest(m), "manifest.xml");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, m);
  EXPECT_EQ(back->backups.size(), 8u);
  EXPECT_EQ(*ParseManifest(WriteManifest(Manifest{}), "m"), Manifest{});
}

TEST(ManifestTest, HostileManifests) {
  EXPECT_FALSE(ParseManifest("<BackupInst/>", "m").ok());
  EXPECT_FALSE(ParseManifest("<Backups><BackupInst>", "m").ok());
  EXPECT_FALSE(ParseManifest("<!DOCTYPE Backups><Backups/>", "m").ok());
}

}  // namespace
}  // namespace gpop::sysvol
