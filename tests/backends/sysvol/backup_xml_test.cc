// Tests of Backup.xml: fixture -> model -> write -> parse gives the same model, and the written
// file has the fixture's element and attribute names in the same order.

#include "service/backends/sysvol/format/backup_xml.h"

#include <gtest/gtest.h>

#include <string>

#include "service/backends/sysvol/format/safe_xml.h"
#include "tests/backends/sysvol/test_files.h"
#include "tests/testing/fixtures.h"

namespace gpop::sysvol {
namespace {

using testing::BackupDirs;
using testing::ReadFileBytes;

// Every element (qualified name) and attribute name in document order, one per line.
std::string Shape(std::string_view bytes) {
  auto doc = LoadXml(bytes, "Backup.xml");
  if (!doc.ok()) return "error: " + doc.error().message;
  std::string out;
  struct Walker : pugi::xml_tree_walker {
    std::string* out;
    bool for_each(pugi::xml_node& node) override {
      if (node.type() != pugi::node_element) return true;
      *out += std::string(depth(), ' ') + node.name();
      for (pugi::xml_attribute a : node.attributes()) *out += " @" + std::string(a.name());
      *out += "\n";
      return true;
    }
  } walker;
  walker.out = &out;
  (*doc)->traverse(walker);
  return out;
}

TEST(BackupXmlTest, EveryFixtureRoundTripsWithTheSameShape) {
  GPOP_REQUIRE_FIXTURES(fixtures);
  size_t n = 0;
  for (const auto& dir : BackupDirs(fixtures)) {
    std::string bytes = ReadFileBytes(dir / "Backup.xml");
    auto backup = ParseBackupXml(bytes, "Backup.xml");
    ASSERT_TRUE(backup.ok()) << backup.error().message;
    std::string written = WriteBackupXml(*backup);
    EXPECT_EQ(written.rfind("<?xml version=\"1.0\" encoding=\"utf-8\"?>", 0), 0u);
    auto again = ParseBackupXml(written, "written Backup.xml");
    ASSERT_TRUE(again.ok()) << again.error().message;
    EXPECT_EQ(*again, *backup) << dir;
    EXPECT_EQ(Shape(written), Shape(bytes)) << dir;
    ++n;
  }
  EXPECT_EQ(n, 8u);
}

TEST(BackupXmlTest, ReadsKnownValues) {
  GPOP_REQUIRE_FIXTURES(fixtures);
  auto backup = ParseBackupXml(
      ReadFileBytes(fixtures / "gpmc-backups/{A2A38432-E322-437F-9975-B7CC7F16F4AA}/Backup.xml"),
      "Backup.xml");
  ASSERT_TRUE(backup.ok());
  ASSERT_EQ(backup->security_groups.size(), 8u);
  EXPECT_EQ(backup->security_groups[0].sam_account_name, "Guests");
  EXPECT_EQ(backup->security_groups[0].sid, "");
  EXPECT_EQ(backup->security_groups[0].source, "");
  EXPECT_EQ(backup->security_groups[6].source, "FromDACL");
  EXPECT_EQ(backup->security_groups[6].sid, "S-1-5-21-852640682-2439737213-2645099010-519");
  EXPECT_EQ(backup->security_groups[6].upn, "Enterprise Admins@idl.local");
  const GpoCoreSettings& c = backup->core;
  EXPECT_EQ(c.id, "{356FB116-26CD-4FBF-830B-6D736B802FD7}");
  EXPECT_EQ(c.domain, "idl.local");
  ASSERT_GE(c.security_descriptor.size(), 4u);
  EXPECT_EQ(c.security_descriptor.substr(0, 4), std::string("\x01\x00\x04\x9c", 4));
  EXPECT_EQ(c.options, 1u);
  EXPECT_EQ(c.user_version_number, 131074u);
  EXPECT_EQ(c.machine_version_number, 458759u);
  EXPECT_EQ(c.machine_extension_guids.substr(0, 40), "[{2A8FDC61-2347-4C87-92F6-B05EB91A201A}{");
  EXPECT_EQ(c.user_extension_guids, "");
  ASSERT_EQ(backup->extensions.size(), 3u);
  EXPECT_EQ(backup->extensions[0].id, kRegistryExtensionGuid);
  EXPECT_EQ(backup->extensions[0].desc_name, "Registry");
  ASSERT_EQ(backup->extensions[0].objects.size(), 2u);
  EXPECT_EQ(backup->extensions[0].objects[0].path, "%GPO_MACH_FSPATH%\\registry.pol");
  EXPECT_EQ(backup->extensions[0].objects[0].location, "DomainSysvol\\GPO\\Machine\\registry.pol");
  EXPECT_EQ(backup->extensions[0].objects[1].location, "");  // Adm\*.* is not copied
  EXPECT_EQ(backup->extensions[1].id, kSecurityExtensionGuid);
  EXPECT_EQ(backup->extensions[1].objects[0].re_evaluate_function, "SecurityValidateSettings");
  EXPECT_EQ(backup->extensions[2].id, kUnknownExtensionGuid);
  EXPECT_TRUE(backup->extensions[2].objects[0].is_dir);
}

TEST(BackupXmlTest, HexBytes) {
  EXPECT_EQ(FormatHexBytes(std::string("\x01\x00\x9c", 3)), "01 00 9c");
  auto parsed = ParseHexBytes(" 01 00\n9C ", "Backup.xml");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(*parsed, std::string("\x01\x00\x9c", 3));
  EXPECT_FALSE(ParseHexBytes("0", "f").ok());
  EXPECT_FALSE(ParseHexBytes("010", "f").ok());
  EXPECT_FALSE(ParseHexBytes("zz", "f").ok());
}

TEST(BackupXmlTest, HostileFiles) {
  const char* head =
      "<GroupPolicyBackupScheme xmlns=\"http://www.microsoft.com/GroupPolicy/GPOOperations\">";
  for (const std::string& bad : {
           std::string("<Backups/>"),
           std::string(head) + "</GroupPolicyBackupScheme>",
           std::string(head) + "<GroupPolicyObject/></GroupPolicyBackupScheme>",
           std::string(head) + "<GroupPolicyObject><GroupPolicyCoreSettings><Options>x</Options>"
                               "</GroupPolicyCoreSettings></GroupPolicyObject>"
                               "</GroupPolicyBackupScheme>",
           std::string(head) + "<GroupPolicyObject><GroupPolicyCoreSettings><SecurityDescriptor>"
                               "0g</SecurityDescriptor></GroupPolicyCoreSettings>"
                               "</GroupPolicyObject></GroupPolicyBackupScheme>",
       }) {
    auto r = ParseBackupXml(bad, "{B}/Backup.xml");
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().reason, "CORRUPT_FILE");
    EXPECT_NE(r.error().message.find("{B}/Backup.xml"), std::string::npos);
  }
}

}  // namespace
}  // namespace gpop::sysvol
