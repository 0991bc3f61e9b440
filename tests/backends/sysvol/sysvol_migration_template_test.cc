// Migration table templates (report format MIGRATION_TABLE): the table lists every principal
// and UNC path the settings name, GPMC's own table for a fixture is contained in it, the loader
// reads it back, and an import with it and "migration table only" passes and changes nothing,
// while a template with one entry left out fails on exactly that entry.

#include <gtest/gtest.h>

#include <set>

#include "service/backends/sysvol/format/migration_table.h"
#include "service/backends/sysvol/ops/migration_template.h"
#include "service/backends/sysvol/sysvol_backend.h"
#include "tests/backends/sysvol/backend_test_util.h"

namespace gpop::sysvol {
namespace {

namespace fs = std::filesystem;
using testing::OpenBackend;
using testing::ReadFileBytes;
using testing::RecordingSink;
using testing::ReportOfBackup;
using testing::ReportOfGpo;
using testing::RunOp;
using testing::Snapshot;
using testing::TestStore;
using testing::WriteBytes;

constexpr const char* kT0 = testing::kHardenAdT0;
constexpr const char* kPaw = testing::kHardenAdPaw;

TestStore StoreWith(const fs::path& fixtures, const std::string& rel) {
  return testing::MakeStoreWithHardenAdBackup(fixtures, rel);
}

std::string Id(const char* rel) { return fs::path(rel).filename().string(); }

// The template text a report of `spec` returns.
std::string Template(SysvolBackend& backend, const core::ReportSpec& spec) {
  RecordingSink sink;
  core::Outcome out = RunOp(backend, spec, sink);
  EXPECT_FALSE(out.error) << out.error->message;
  EXPECT_EQ(out.effects, core::Effects::kNone);
  if (out.error) return "";
  const auto& info = std::get<core::ReportInfo>(out.result);
  EXPECT_EQ(info.format, core::ReportFormat::kMigrationTable);
  return info.content;
}

core::ReportSpec TemplateOfBackup(const char* rel) {
  return ReportOfBackup(Id(rel), core::ReportFormat::kMigrationTable);
}

core::ImportSpec ImportWith(const std::string& backup_id, const std::string& table) {
  core::ImportSpec spec;
  spec.backup.backup_id = backup_id;
  spec.target.display_name = "From template";
  spec.create_if_needed = true;
  spec.migration_table = table;
  spec.migration_table_only = true;
  return spec;
}

std::map<std::string, std::string> Settings(const fs::path& gpt) {
  std::map<std::string, std::string> out;
  for (const char* side : {"Machine", "machine", "MACHINE", "User", "user"}) {
    for (auto& [k, v] : Snapshot(gpt / side)) out[std::string(side) + "/" + k] = v;
  }
  return out;
}

TEST(SysvolMigrationTemplateTest, WriterRoundTripsEveryDestinationKind) {
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

TEST(SysvolMigrationTemplateTest, BackupTemplateHoldsGpmcsOwnTable) {
  GPOP_REQUIRE_FIXTURES(fixtures);
  TestStore s = StoreWith(fixtures, kPaw);
  auto backend = OpenBackend(s.config);
  ASSERT_NE(backend, nullptr);
  const std::string text = Template(*backend, TemplateOfBackup(kPaw));
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

TEST(SysvolMigrationTemplateTest, ImportWithTheTemplateAndTableOnlyChangesNothing) {
  GPOP_REQUIRE_FIXTURES(fixtures);
  for (const char* rel : {kPaw, kT0}) {
    SCOPED_TRACE(rel);
    TestStore s = StoreWith(fixtures, rel);
    auto backend = OpenBackend(s.config);
    ASSERT_NE(backend, nullptr);
    const std::string text = Template(*backend, TemplateOfBackup(rel));
    WriteBytes(s.config.migration_table_dir / "template.migtable", text);
    // The loader reads the file back (by name, through the configured folder).
    auto loaded = LoadMigrationTable(s.config, "template");
    ASSERT_TRUE(loaded.ok()) << loaded.error().message;
    ASSERT_FALSE(loaded->mappings.empty());

    // The same import without a table is the reference.
    core::ImportSpec plain = ImportWith(Id(rel), "");
    plain.migration_table_only = false;
    plain.target.display_name = "Plain";
    RecordingSink plain_sink;
    core::Outcome reference = RunOp(*backend, plain, plain_sink);
    ASSERT_FALSE(reference.error) << reference.error->message;
    RecordingSink sink;
    core::Outcome out = RunOp(*backend, ImportWith(Id(rel), "template"), sink);
    ASSERT_FALSE(out.error) << out.error->message;
    const fs::path gpt = s.policies() / std::get<core::GpoInfo>(out.result).guid;
    const auto settings = Settings(gpt);
    EXPECT_GT(settings.size(), 3u);
    EXPECT_EQ(settings, Settings(s.policies() / std::get<core::GpoInfo>(reference.result).guid));

    // Leave the first entry out: exactly that one is reported and nothing is written.
    MigrationTable fewer = *loaded;
    const std::string left_out = fewer.mappings.front().source;  // for the failure message
    fewer.mappings.erase(fewer.mappings.begin());
    WriteBytes(s.config.migration_table_dir / "fewer.migtable", WriteMigrationTable(fewer));
    const auto before = Snapshot(s.config.sysvol_dir);
    RecordingSink failing;
    core::ImportSpec spec = ImportWith(Id(rel), "fewer");
    spec.target.display_name = "Another";
    out = RunOp(*backend, spec, failing);
    ASSERT_TRUE(out.error);
    EXPECT_EQ(out.effects, core::Effects::kNone);
    EXPECT_EQ(Snapshot(s.config.sysvol_dir), before);
    std::vector<std::string> unmapped;
    for (const auto& m : failing.messages) {
      if (m.message.find("does not map") != std::string::npos) unmapped.push_back(m.message);
    }
    ASSERT_EQ(unmapped.size(), 1u) << ::testing::PrintToString(unmapped);
    EXPECT_NE(out.error->message.find("1 principal(s)"), std::string::npos) << left_out;
  }
}

TEST(SysvolMigrationTemplateTest, GpoTemplateListsSidsAndPaths) {
  GPOP_REQUIRE_FIXTURES(fixtures);
  TestStore s = StoreWith(fixtures, kT0);
  // A live GPO with a scripts.ini naming a UNC path, beside the fixture's settings.
  auto backend = OpenBackend(s.config);
  ASSERT_NE(backend, nullptr);
  core::ImportSpec plain;
  plain.backup.backup_id = Id(kT0);
  plain.target.display_name = "Live";
  plain.create_if_needed = true;
  RecordingSink sink;
  core::Outcome imported = RunOp(*backend, plain, sink);
  ASSERT_FALSE(imported.error) << imported.error->message;
  const std::string guid = std::get<core::GpoInfo>(imported.result).guid;
  WriteBytes(s.policies() / guid / "User" / "Scripts" / "scripts.ini",
             "[Logon]\r\n0CmdLine=\\\\files.avalaimeur.fr\\netlogon\\map.cmd\r\n0Parameters=\r\n");
  const std::string text =
      Template(*backend, ReportOfGpo(guid, core::ReportFormat::kMigrationTable));
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
  WriteBytes(s.config.migration_table_dir / "live.migtable", text);
  core::CopySpec copy;
  copy.source.guid = guid;
  copy.new_display_name = "Copied";
  copy.migration_table = "live";
  copy.migration_table_only = true;
  RecordingSink copy_sink;
  core::Outcome copied = RunOp(*backend, copy, copy_sink);
  EXPECT_FALSE(copied.error) << copied.error->message;
}

}  // namespace
}  // namespace gpop::sysvol
