// Tests of the audit.csv reader and writer.

#include "service/backends/sysvol/format/audit_csv.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/backends/sysvol/test_files.h"
#include "tests/testing/fixtures.h"

namespace gpop::sysvol {
namespace {

using testing::FindFiles;
using testing::ReadFileBytes;

TEST(AuditCsvTest, FixtureRoundTripsByteForByte) {
  GPOP_REQUIRE_FIXTURES(fixtures);
  auto files = FindFiles(fixtures / "gpmc-backups", "audit.csv");
  ASSERT_EQ(files.size(), 1u);
  std::string bytes = ReadFileBytes(files[0]);
  auto csv = ParseAuditCsv(bytes, "audit.csv");
  ASSERT_TRUE(csv.ok()) << csv.error().message;
  EXPECT_EQ(csv->header.size(), 7u);
  EXPECT_EQ(csv->header[3], "Subcategory GUID");
  ASSERT_EQ(csv->rows.size(), 21u);  // Windows' report lists 21 AuditSetting elements
  EXPECT_EQ(csv->rows[0].subcategory, "Audit Credential Validation");
  EXPECT_EQ(csv->rows[0].subcategory_guid, "{0cce923f-69ae-11d9-bed3-505054503030}");
  EXPECT_EQ(csv->rows[0].inclusion_setting, "Success and Failure");
  EXPECT_EQ(csv->rows[0].setting_value, "3");
  EXPECT_EQ(WriteAuditCsv(*csv), bytes);
}

TEST(AuditCsvTest, QuotingRoundTrips) {
  AuditCsv csv = MakeAuditCsv({{"", "System", "Audit \"Odd\", name", "{g}", "Success", "", "1"}});
  std::string bytes = WriteAuditCsv(csv);
  EXPECT_NE(bytes.find("\"Audit \"\"Odd\"\", name\""), std::string::npos);
  auto back = ParseAuditCsv(bytes, "audit.csv");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, csv);
}

TEST(AuditCsvTest, HostileInput) {
  for (const std::string& bad :
       {std::string("h1,h2\r\n,System,x\r\n"), std::string("h\r\n\"open,,,,,,\r\n"),
        std::string(""), std::string("\"\""), std::string("M\0a\0", 4),
        std::string("h\r\n\xC0\xAF,,,,,,\r\n")}) {
    auto csv = ParseAuditCsv(bad, "Machine/Microsoft/Windows NT/Audit/audit.csv");
    ASSERT_FALSE(csv.ok());
    EXPECT_EQ(csv.error().reason, "CORRUPT_FILE");
    EXPECT_NE(csv.error().message.find("Audit/audit.csv"), std::string::npos);
  }
}

}  // namespace
}  // namespace gpop::sysvol

namespace gpop::sysvol {
namespace {

// Found by audit_csv_fuzz: a quoted header field holding only a UTF-8 BOM was written unquoted
// and read back as the file's BOM.
TEST(AuditCsvTest, FieldStartingWithBomStaysAField) {
  auto csv = ParseAuditCsv("\"\xEF\xBB\xBF\"", "t/audit.csv");
  ASSERT_TRUE(csv.ok());
  auto again = ParseAuditCsv(WriteAuditCsv(*csv), "t/audit.csv");
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again->header, csv->header);
  EXPECT_FALSE(again->utf8_bom);
}

}  // namespace
}  // namespace gpop::sysvol
