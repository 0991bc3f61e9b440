// Migration table templates (report format MIGRATION_TABLE): the table lists every principal
// and UNC path the settings name, GPMC's own table for a fixture is contained in it, the loader
// reads it back, and an import with it and "migration table only" passes and changes nothing,
// while a template with one entry left out fails on exactly that entry.

#include <gtest/gtest.h>

#include <set>

#include "service/backends/sysvol/format/migration_table.h"
#include "service/backends/sysvol/ops/migration_template.h"
#include "tests/backends/sysvol/migration_test_util.h"

namespace gpop::sysvol {
namespace {

namespace fs = std::filesystem;
using testing::BackupIdOf;
using testing::ReadFileBytes;
using testing::RecordingSink;
using testing::ReportOfBackup;
using testing::ReportOfGpo;
using testing::Snapshot;

constexpr const char* kT0 = testing::kHardenAdT0;
constexpr const char* kPaw = testing::kHardenAdPaw;

class SysvolMigrationTemplateTest : public testing::MigrationTest {
 protected:
  // The template text a report of `spec` returns.
  std::string Template(const core::ReportSpec& spec) {
    RecordingSink sink;
    core::Outcome out = Run(spec, sink);
    EXPECT_FALSE(out.error) << out.error->message;
    EXPECT_EQ(out.effects, core::Effects::kNone);
    if (out.error) return "";
    const auto& info = std::get<core::ReportInfo>(out.result);
    EXPECT_EQ(info.format, core::ReportFormat::kMigrationTable);
    return info.content;
  }
};

core::ReportSpec TemplateOfBackup(const char* rel) {
  return ReportOfBackup(BackupIdOf(rel), core::ReportFormat::kMigrationTable);
}

// An import into a new GPO through `table`, with "migration table only".
core::ImportSpec ImportWith(const std::string& backup_id, const std::string& table) {
  return testing::ImportIntoNewGpo(backup_id, table, true, "From template");
}

std::map<std::string, std::string> Settings(const fs::path& gpt) {
  std::map<std::string, std::string> out;
  for (const char* side : {"Machine", "machine", "MACHINE", "User", "user"}) {
    for (auto& [k, v] : Snapshot(gpt / side)) out[std::string(side) + "/" + k] = v;
  }
  return out;
}

TEST_F(SysvolMigrationTemplateTest, WriterRoundTripsEveryDestinationKind) {
  MigrationTable table;
  table.mappings.push_back({MigrationEntryType::kUser, "EXAMPLE\\alice",
                            MigrationDestination::kExplicit, "OTHER\\alice & <co>"});
  table.mappings.push_back(
      {MigrationEntryType::kGlobalGroup, "Admins@example.com", MigrationDestination::kNone, ""});
  table.mappings.push_back(
      {MigrationEntryType::kUncPath, "\\\\srv\\share", MigrationDestination::kSameAsSource, ""});
  table.mappings.push_back({MigrationEntryType::kUniversalGroup, "EA@example.com",
                            MigrationDestination::kRelativeName, ""});
  const std::string text = WriteMigrationTable(table);
  EXPECT_NE(text.find("<DestinationSameAsSource />"), std::string::npos) << text;
  EXPECT_NE(text.find("\r\n  <Mapping>\r\n    <Type>User</Type>"), std::string::npos) << text;
  auto back = ParseMigrationTable(text, "t.migtable");
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->mappings, table.mappings);
}

TEST_F(SysvolMigrationTemplateTest, BackupTemplateHoldsGpmcsOwnTable) {
  GPOP_REQUIRE_FIXTURES(fixtures);
  Open(fixtures, kPaw);
  const std::string text = Template(TemplateOfBackup(kPaw));
  auto ours = ParseMigrationTable(text, "template");
  ASSERT_TRUE(ours.ok()) << ours.error().message << "\n" << text;
  // GPMC's table made from this backup (hardenad.migtable, destinations filled in by hand):
  // every source is in ours, with the same type.
  auto gpmc = ParseMigrationTable(ReadFileBytes(fixtures / "hardenad" / kPaw / "hardenad.migtable"),
                                  "hardenad.migtable");
  ASSERT_TRUE(gpmc.ok());
  std::set<std::string> sources;
  for (const MigrationMapping& m : gpmc->mappings) {
    const MigrationMapping* found = ours->FindPrincipal(m.source);
    ASSERT_NE(found, nullptr) << m.source << "\n" << text;
    EXPECT_EQ(found->type, m.type) << m.source;
    sources.insert(found->source);
  }
  // Beside them: the stale SID of the Groups.xml member (another domain's), which the settings
  // name and "migration table only" would ask for. Nothing from the DACL.
  std::vector<std::string> extra;
  for (const MigrationMapping& m : ours->mappings) {
    EXPECT_EQ(m.kind, MigrationDestination::kSameAsSource);
    if (!sources.count(m.source)) extra.push_back(m.source);
  }
  EXPECT_EQ(extra, std::vector<std::string>{"S-1-5-21-377384656-2034318749-3205619982-2920"});
  EXPECT_EQ(text.find("Domain Admins"), std::string::npos) << text;
}

TEST_F(SysvolMigrationTemplateTest, DaclPrincipalsOnlyWhenAsked) {
  GPOP_REQUIRE_FIXTURES(fixtures);
  Open(fixtures, kPaw);
  core::ReportSpec spec = TemplateOfBackup(kPaw);
  const std::string without = Template(spec);
  spec.include_dacl_principals = true;
  EXPECT_TRUE(backend_->Validate(spec).ok());
  const std::string with = Template(spec);
  auto table = ParseMigrationTable(with, "template");
  ASSERT_TRUE(table.ok()) << table.error().message;
  // Backup.xml's FromDACL groups, named as GPMC names groups, beside everything else.
  const MigrationMapping* admins = table->FindPrincipal("Domain Admins@harden.ad");
  ASSERT_NE(admins, nullptr) << with;
  EXPECT_EQ(admins->type, MigrationEntryType::kGlobalGroup);
  const MigrationMapping* enterprise = table->FindPrincipal("Enterprise Admins@harden.ad");
  ASSERT_NE(enterprise, nullptr) << with;
  EXPECT_EQ(enterprise->type, MigrationEntryType::kUniversalGroup);
  auto plain = ParseMigrationTable(without, "template");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(table->mappings.size(), plain->mappings.size() + 2);
  // The sysvol store keeps a live GPO's descriptor as bytes, without reading its principals:
  // said, not guessed.
  RecordingSink sink;
  core::Outcome imported =
      Run(testing::ImportIntoNewGpo(BackupIdOf(kPaw), "", false, "Live"), sink);
  ASSERT_FALSE(imported.error) << imported.error->message;
  core::ReportSpec live = ReportOfGpo(std::get<core::GpoInfo>(imported.result).guid,
                                      core::ReportFormat::kMigrationTable);
  live.include_dacl_principals = true;
  RecordingSink live_sink;
  core::Outcome out = Run(live, live_sink);
  ASSERT_FALSE(out.error) << out.error->message;
  bool said = false;
  for (const auto& m : live_sink.messages) {
    said = said || m.message.find("reads no principals from it") != std::string::npos;
  }
  EXPECT_TRUE(said);
  // The option belongs to templates only.
  core::ReportSpec xml = ReportOfBackup(BackupIdOf(kPaw), core::ReportFormat::kXml);
  xml.include_dacl_principals = true;
  EXPECT_FALSE(backend_->Validate(xml).ok());
}

TEST_F(SysvolMigrationTemplateTest, ImportWithTheTemplateAndTableOnlyChangesNothing) {
  GPOP_REQUIRE_FIXTURES(fixtures);
  for (const char* rel : {kPaw, kT0}) {
    SCOPED_TRACE(rel);
    Open(fixtures, rel);
    const std::string text = Template(TemplateOfBackup(rel));
    PutTable("template", text);
    // The loader reads the file back (by name, through the configured folder).
    auto loaded = LoadMigrationTable(store_.config, "template");
    ASSERT_TRUE(loaded.ok()) << loaded.error().message;
    ASSERT_FALSE(loaded->mappings.empty());

    // The same import without a table is the reference.
    core::ImportSpec plain = ImportWith(BackupIdOf(rel), "");
    plain.migration_table_only = false;
    plain.target.display_name = "Plain";
    RecordingSink plain_sink;
    core::Outcome reference = Run(plain, plain_sink);
    ASSERT_FALSE(reference.error) << reference.error->message;
    RecordingSink sink;
    core::Outcome out = Run(ImportWith(BackupIdOf(rel), "template"), sink);
    ASSERT_FALSE(out.error) << out.error->message;
    const auto settings = Settings(GptOf(out));
    EXPECT_GT(settings.size(), 3u);
    EXPECT_EQ(settings, Settings(GptOf(reference)));

    // Leave the first entry out: exactly that one is reported and nothing is written.
    MigrationTable fewer = *loaded;
    const std::string left_out = fewer.mappings.front().source;  // for the failure message
    fewer.mappings.erase(fewer.mappings.begin());
    PutTable("fewer", WriteMigrationTable(fewer));
    const auto before = Snapshot(store_.config.sysvol_dir);
    RecordingSink failing;
    core::ImportSpec spec = ImportWith(BackupIdOf(rel), "fewer");
    spec.target.display_name = "Another";
    out = Run(spec, failing);
    ASSERT_TRUE(out.error);
    EXPECT_EQ(out.effects, core::Effects::kNone);
    EXPECT_EQ(Snapshot(store_.config.sysvol_dir), before);
    const std::vector<std::string> unmapped = testing::UnmappedMessages(failing);
    ASSERT_EQ(unmapped.size(), 1u) << ::testing::PrintToString(unmapped);
    EXPECT_NE(out.error->message.find("1 principal(s)"), std::string::npos) << left_out;
  }
}

TEST_F(SysvolMigrationTemplateTest, GpoTemplateListsSidsAndPaths) {
  GPOP_REQUIRE_FIXTURES(fixtures);
  Open(fixtures, kT0);
  // A live GPO with a scripts.ini naming a UNC path, beside the fixture's settings.
  RecordingSink sink;
  core::Outcome imported = Run(testing::ImportIntoNewGpo(BackupIdOf(kT0), "", false, "Live"), sink);
  ASSERT_FALSE(imported.error) << imported.error->message;
  const std::string guid = std::get<core::GpoInfo>(imported.result).guid;
  testing::WriteBytes(
      GptOf(imported) / "User" / "Scripts" / "scripts.ini",
      "[Logon]\r\n0CmdLine=\\\\files.avalaimeur.fr\\netlogon\\map.cmd\r\n0Parameters=\r\n");
  const std::string text = Template(ReportOfGpo(guid, core::ReportFormat::kMigrationTable));
  auto table = ParseMigrationTable(text, "template");
  ASSERT_TRUE(table.ok()) << table.error().message;
  // Without Backup.xml's account names a live GPO's principals are its SIDs.
  const MigrationMapping* guest =
      table->FindPrincipal("S-1-5-21-776332210-1913898547-2567112534-501");
  ASSERT_NE(guest, nullptr) << text;
  EXPECT_EQ(guest->type, MigrationEntryType::kUnknown);
  const MigrationMapping* path = table->FindPath("\\\\files.avalaimeur.fr\\netlogon\\map.cmd");
  ASSERT_NE(path, nullptr) << text;
  EXPECT_EQ(path->type, MigrationEntryType::kUncPath);
  // Copy with that template and "migration table only" goes through.
  PutTable("live", text);
  core::CopySpec copy;
  copy.source.guid = guid;
  copy.new_display_name = "Copied";
  copy.migration_table = "live";
  copy.migration_table_only = true;
  RecordingSink copy_sink;
  core::Outcome copied = Run(copy, copy_sink);
  EXPECT_FALSE(copied.error) << copied.error->message;
}

}  // namespace
}  // namespace gpop::sysvol
