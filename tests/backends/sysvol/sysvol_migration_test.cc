// Migration tables: the fixtures' Windows-made .migtable files parse; import with a table
// rewrites exactly the mapped principals (GptTmpl.inf SIDs by the names Backup.xml records,
// Groups.xml members), and "migration table only" fails before writing, one message per
// unmapped entry.

#include <gtest/gtest.h>

#include "service/backends/sysvol/format/migration_table.h"
#include "service/backends/sysvol/format/utf16.h"
#include "service/backends/sysvol/sysvol_backend.h"
#include "tests/backends/sysvol/backend_test_util.h"

namespace gpop::sysvol {
namespace {

namespace fs = std::filesystem;
using testing::OpenBackend;
using testing::ReadFileBytes;
using testing::RecordingSink;
using testing::RunOp;
using testing::Snapshot;
using testing::TestStore;
using testing::WriteBytes;

constexpr const char* kT0 = testing::kHardenAdT0;
constexpr const char* kPaw = testing::kHardenAdPaw;

TestStore StoreWith(const fs::path& fixtures, const std::string& rel) {
  return testing::MakeStoreWithHardenAdBackup(fixtures, rel);
}

std::string Utf8Of(const fs::path& file) {
  auto text = DecodeUtf16LeWithBom(ReadFileBytes(file), file.string());
  EXPECT_TRUE(text.ok());
  return text.ok() ? *text : "";
}

core::ImportSpec ImportWith(const std::string& backup_id, const std::string& table, bool only) {
  core::ImportSpec spec;
  spec.backup.backup_id = backup_id;
  spec.target.display_name = "Migrated";
  spec.create_if_needed = true;
  spec.migration_table = table;
  spec.migration_table_only = only;
  return spec;
}

std::string Table(const std::vector<std::pair<std::string, std::string>>& mappings) {
  std::string xml = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<MigrationTable xmlns=\"" +
                    std::string(kMigrationTableNamespace) + "\">\n";
  for (const auto& [source, dest] : mappings) {
    xml +=
        "<Mapping><Type>Unknown</Type><Source>" + source + "</Source>" +
        (dest == "=" ? "<DestinationSameAsSource/>" : "<Destination>" + dest + "</Destination>") +
        "</Mapping>\n";
  }
  return xml + "</MigrationTable>\n";
}

TEST(SysvolMigrationTest, WindowsMigrationTablesParse) {
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

TEST(SysvolMigrationTest, ImportRewritesExactlyTheMappedPrincipals) {
  GPOP_REQUIRE_FIXTURES(fixtures);
  TestStore s = StoreWith(fixtures, kT0);
  fs::copy_file(fixtures / "hardenad" / kT0 / "HardenAD.migtable",
                s.config.migration_table_dir / "HardenAD.migtable");
  auto backend = OpenBackend(s.config);
  const std::string id = fs::path(kT0).filename().string();
  RecordingSink sink;
  core::Outcome out = RunOp(*backend, ImportWith(id, "HardenAD", false), sink);
  ASSERT_FALSE(out.error) << out.error->message;
  const fs::path gpt = s.policies() / std::get<core::GpoInfo>(out.result).guid;
  const std::string before =
      Utf8Of(fixtures / "hardenad" / kT0 / "DomainSysvol" / "GPO" / "Machine" / "microsoft" /
             "windows nt" / "SecEdit" / "GptTmpl.inf");
  const std::string after =
      Utf8Of(gpt / "Machine" / "microsoft" / "windows nt" / "SecEdit" / "GptTmpl.inf");
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

TEST(SysvolMigrationTest, PreferencesMembersAreMapped) {
  GPOP_REQUIRE_FIXTURES(fixtures);
  TestStore s = StoreWith(fixtures, kPaw);
  WriteBytes(s.config.migration_table_dir / "paw.migtable",
             Table({{"L-S-T0_PawAccess_Logon@harden.ad", "GPOP\\Paw-Logon"}}));
  auto backend = OpenBackend(s.config);
  RecordingSink sink;
  core::Outcome out =
      RunOp(*backend, ImportWith(fs::path(kPaw).filename().string(), "paw", false), sink);
  ASSERT_FALSE(out.error) << out.error->message;
  const fs::path groups = s.policies() / std::get<core::GpoInfo>(out.result).guid / "Machine" /
                          "Preferences" / "Groups" / "Groups.xml";
  const std::string xml = ReadFileBytes(groups);
  EXPECT_NE(xml.find("name=\"GPOP\\Paw-Logon\""), std::string::npos) << xml;
  EXPECT_EQ(xml.find("L-S-T0_PawAccess_Logon"), std::string::npos) << xml;
  EXPECT_NE(xml.find("groupSid=\"S-1-5-32-544\""), std::string::npos);  // built-in: kept
}

TEST(SysvolMigrationTest, TableOnlyFailsBeforeWritingWithOneMessagePerEntry) {
  GPOP_REQUIRE_FIXTURES(fixtures);
  TestStore s = StoreWith(fixtures, kPaw);
  WriteBytes(s.config.migration_table_dir / "empty.migtable", Table({}));
  auto backend = OpenBackend(s.config);
  const auto before = Snapshot(s.config.sysvol_dir);
  RecordingSink sink;
  core::Outcome out =
      RunOp(*backend, ImportWith(fs::path(kPaw).filename().string(), "empty", true), sink);
  ASSERT_TRUE(out.error);
  EXPECT_EQ(out.error->code, core::Code::kFailedPrecondition);
  EXPECT_EQ(out.effects, core::Effects::kNone);
  EXPECT_EQ(Snapshot(s.config.sysvol_dir), before);
  std::vector<std::string> unmapped;
  for (const auto& m : sink.messages) {
    if (m.message.find("does not map") != std::string::npos) {
      EXPECT_EQ(m.severity, core::Severity::kError);
      unmapped.push_back(m.message);
    }
  }
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
  WriteBytes(s.config.migration_table_dir / "all.migtable", Table(all));
  RecordingSink ok_sink;
  out = RunOp(*backend, ImportWith(fs::path(kPaw).filename().string(), "all", true), ok_sink);
  EXPECT_FALSE(out.error) << out.error->message;
}

}  // namespace
}  // namespace gpop::sysvol
