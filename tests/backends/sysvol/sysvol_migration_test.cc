// Migration tables: the fixtures' Windows-made .migtable files parse; import with a table
// rewrites exactly the mapped principals (GptTmpl.inf SIDs by the names Backup.xml records,
// Groups.xml members), and "migration table only" fails before writing, one message per
// unmapped entry.

#include <gtest/gtest.h>

#include "service/backends/sysvol/format/migration_table.h"
#include "tests/backends/sysvol/migration_test_util.h"

namespace gpop::sysvol {
namespace {

namespace fs = std::filesystem;
using testing::BackupIdOf;
using testing::ImportIntoNewGpo;
using testing::MappingXml;
using testing::ReadFileBytes;
using testing::RecordingSink;
using testing::Snapshot;
using testing::TableXml;

constexpr const char* kT0 = testing::kHardenAdT0;
constexpr const char* kPaw = testing::kHardenAdPaw;

class SysvolMigrationTest : public testing::MigrationTest {};

// A table of Unknown-typed mappings; "=" is DestinationSameAsSource.
std::string Table(const std::vector<std::pair<std::string, std::string>>& mappings) {
  std::string xml;
  for (const auto& [source, dest] : mappings) xml += MappingXml("Unknown", source, dest);
  return TableXml(xml);
}

TEST_F(SysvolMigrationTest, WindowsMigrationTablesParse) {
  GPOP_REQUIRE_FIXTURES(fixtures);
  const fs::path file = fixtures / "hardenad" / kT0 / "HardenAD.migtable";
  auto table = ParseMigrationTable(ReadFileBytes(file), "HardenAD.migtable");
  ASSERT_TRUE(table.ok()) << table.error().message;
  ASSERT_EQ(table->mappings.size(), 10u);
  EXPECT_EQ(table->mappings[0].type, MigrationEntryType::kUser);
  EXPECT_EQ(table->mappings[0].destination, "%NetBios%\\%Guest%");
  const MigrationMapping* m = table->FindPrincipal("AVALAIMEUR\\L-S-T0");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->destination, "%t0-global%@%domaindns%");
  EXPECT_EQ(table->FindPrincipal("OTHER\\L-S-T0"), nullptr);
  EXPECT_FALSE(ParseMigrationTable("<MigrationTable><Mapping><Type>Bogus</Type><Source>x"
                                   "</Source><Destination>y</Destination></Mapping>"
                                   "</MigrationTable>",
                                   "bad.migtable")
                   .ok());
  EXPECT_FALSE(ParseMigrationTable("<MigrationTable><Mapping><Type>User</Type><Source>x"
                                   "</Source></Mapping></MigrationTable>",
                                   "bad.migtable")
                   .ok());
}

TEST_F(SysvolMigrationTest, ImportRewritesExactlyTheMappedPrincipals) {
  GPOP_REQUIRE_FIXTURES(fixtures);
  Open(fixtures, kT0);
  PutTable("HardenAD", ReadFileBytes(fixtures / "hardenad" / kT0 / "HardenAD.migtable"));
  RecordingSink sink;
  core::Outcome out = Run(ImportIntoNewGpo(BackupIdOf(kT0), "HardenAD", false), sink);
  ASSERT_FALSE(out.error) << out.error->message;
  const fs::path gpt = GptOf(out);
  const std::string before = testing::Utf8Of(
      ReadFileBytes(fixtures / "hardenad" / kT0 / "DomainSysvol" / "GPO" / "Machine" / "microsoft" /
                    "windows nt" / "SecEdit" / "GptTmpl.inf"));
  const std::string after = testing::Utf8Of(
      ReadFileBytes(gpt / "Machine" / "microsoft" / "windows nt" / "SecEdit" / "GptTmpl.inf"));
  // The Guest account (SID ...-501, named AVALAIMEUR\Guest in Backup.xml) is mapped.
  EXPECT_NE(before.find("SeDenyNetworkLogonRight = *S-1-5-21-776332210-1913898547-2567112534-501"),
            std::string::npos);
  EXPECT_NE(after.find("SeDenyNetworkLogonRight = %NetBios%\\%Guest%"), std::string::npos) << after;
  // Nothing outside [Privilege Rights] / [Group Membership] changed.
  EXPECT_EQ(before.substr(0, before.find("[Privilege Rights]")),
            after.substr(0, after.find("[Privilege Rights]")));
  // Every SID the table does not map was reported (a warning without "table only") and kept.
  for (const auto& m : sink.messages) {
    if (m.message.find("does not map") == std::string::npos) continue;
    EXPECT_EQ(m.severity, core::Severity::kWarning);
    const std::string sid = m.message.substr(m.message.find('"') + 1);
    EXPECT_NE(after.find(sid.substr(0, sid.size() - 1)), std::string::npos) << sid;
  }
}

TEST_F(SysvolMigrationTest, PreferencesMembersAreMapped) {
  GPOP_REQUIRE_FIXTURES(fixtures);
  Open(fixtures, kPaw);
  PutTable("paw", Table({{"L-S-T0_PawAccess_Logon@harden.ad", "GPOP\\Paw-Logon"}}));
  RecordingSink sink;
  core::Outcome out = Run(ImportIntoNewGpo(BackupIdOf(kPaw), "paw", false), sink);
  ASSERT_FALSE(out.error) << out.error->message;
  const fs::path groups = GptOf(out) / "Machine" / "Preferences" / "Groups" / "Groups.xml";
  const std::string xml = ReadFileBytes(groups);
  EXPECT_NE(xml.find("name=\"GPOP\\Paw-Logon\""), std::string::npos) << xml;
  EXPECT_EQ(xml.find("L-S-T0_PawAccess_Logon"), std::string::npos) << xml;
  EXPECT_NE(xml.find("groupSid=\"S-1-5-32-544\""), std::string::npos);  // built-in: kept
}

TEST_F(SysvolMigrationTest, TableOnlyFailsBeforeWritingWithOneMessagePerEntry) {
  GPOP_REQUIRE_FIXTURES(fixtures);
  Open(fixtures, kPaw);
  PutTable("empty", Table({}));
  const auto before = Snapshot(store_.config.sysvol_dir);
  RecordingSink sink;
  core::Outcome out = Run(ImportIntoNewGpo(BackupIdOf(kPaw), "empty", true), sink);
  ASSERT_TRUE(out.error);
  EXPECT_EQ(out.error->code, core::Code::kFailedPrecondition);
  EXPECT_EQ(out.effects, core::Effects::kNone);
  EXPECT_EQ(Snapshot(store_.config.sysvol_dir), before);
  for (const auto& m : sink.messages) {
    if (m.message.find("does not map") != std::string::npos) {
      EXPECT_EQ(m.severity, core::Severity::kError);
    }
  }
  const std::vector<std::string> unmapped = testing::UnmappedMessages(sink);
  ASSERT_FALSE(unmapped.empty());
  EXPECT_NE(out.error->message.find(std::to_string(unmapped.size()) + " principal"),
            std::string::npos)
      << out.error->message;
  // The Groups.xml member and the GptTmpl.inf SID that Backup.xml records for the same account
  // are one entry: one message.
  int account = 0;
  for (const auto& m : unmapped) {
    if (m.find("HARDEN\\L-S-T0_PawAccess") != std::string::npos ||
        m.find("-2608691388-1617") != std::string::npos) {
      ++account;
    }
  }
  EXPECT_EQ(account, 1) << ::testing::PrintToString(unmapped);
  // A table that maps everything lets the same import through.
  std::vector<std::pair<std::string, std::string>> all;
  for (const auto& m : unmapped) {
    size_t a = m.find('"');
    all.push_back({m.substr(a + 1, m.rfind('"') - a - 1), "="});
  }
  PutTable("all", Table(all));
  RecordingSink ok_sink;
  out = Run(ImportIntoNewGpo(BackupIdOf(kPaw), "all", true), ok_sink);
  EXPECT_FALSE(out.error) << out.error->message;
}

}  // namespace
}  // namespace gpop::sysvol
