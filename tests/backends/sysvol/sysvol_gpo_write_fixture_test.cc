// Restore, copy and import of the Windows-made fixture backups (GPMC's, HardenAD's with Group
// Policy Preferences and scripts): a dry run predicts exactly the change the real run makes
// (restore re-creating the GPO, restore over a changed GPO, copy), the restore says what it
// cannot put back, and an imported GPO reports as its backup does.

#include <gtest/gtest.h>

#include <sstream>

#include "service/backends/sysvol/format/backup_xml.h"
#include "service/backends/sysvol/format/safe_xml.h"
#include "tests/backends/sysvol/gpo_write_test_util.h"
#include "tests/backends/sysvol/sysvol_test_fixture.h"

namespace gpop::sysvol::testing {
namespace {

GpoCoreSettings CoreOf(const fs::path& backup_dir) {
  auto parsed = ParseBackupXml(ReadFileBytes(backup_dir / "Backup.xml"), "Backup.xml");
  EXPECT_TRUE(parsed.ok());
  return parsed.ok() ? parsed->core : GpoCoreSettings{};
}

int MessagesContaining(const RecordingSink& sink, const std::string& text) {
  int n = 0;
  for (const auto& m : sink.messages) {
    if (m.message.find(text) != std::string::npos) ++n;
  }
  return n;
}

// The first settings file (not a folder, not a publisher's *.backup) of a GPT, by Settings key.
std::string FirstSettingsFile(const std::map<std::string, std::string>& settings) {
  for (const auto& [rel, bytes] : settings) {
    if (bytes == "<dir>" || rel == "GPO.cmt") continue;
    if (rel.size() > 7 && rel.substr(rel.size() - 7) == ".backup") continue;
    return rel;
  }
  return "";
}

// A dry run of `spec` then the real run: the dry run changes neither the tree nor the metadata
// store, and the real run's settings diff (DiffReports between the GPT before, `kept`, and
// after) is exactly the predicted one, with the predicted versions. Returns the real result.
core::GpoInfo DryThenReal(const TestStore& s, SysvolBackend& backend, core::OperationSpec spec,
                          const std::optional<fs::path>& kept, RecordingSink& dry_sink) {
  auto set_dry = [&spec](bool dry) {
    if (auto* r = std::get_if<core::RestoreSpec>(&spec)) r->dry_run = dry;
    if (auto* c = std::get_if<core::CopySpec>(&spec)) c->dry_run = dry;
  };
  const auto tree = Snapshot(s.config.sysvol_dir);
  const auto rows = StoredGpos(s.config);
  set_dry(true);
  core::Outcome dry = RunOp(backend, spec, dry_sink);
  EXPECT_FALSE(dry.error) << dry.error->message;
  if (dry.error) return {};
  EXPECT_EQ(dry.effects, core::Effects::kNone);
  const auto predicted = std::get<core::GpoInfo>(dry.result);
  EXPECT_TRUE(predicted.dry_run);
  EXPECT_FALSE(predicted.predicted_changes.empty());
  EXPECT_EQ(Snapshot(s.config.sysvol_dir), tree);
  EXPECT_EQ(StoredGpos(s.config), rows);

  set_dry(false);
  RecordingSink sink;
  core::Outcome real = RunOp(backend, spec, sink);
  EXPECT_FALSE(real.error) << real.error->message;
  if (real.error) return {};
  const auto gpo = std::get<core::GpoInfo>(real.result);
  EXPECT_EQ(gpo.version, predicted.version);
  EXPECT_EQ(gpo.display_name, predicted.display_name);
  EXPECT_EQ(gpo.flags, predicted.flags);
  const fs::path gpt = s.policies() / gpo.guid;
  EXPECT_EQ(GptIniVersion(gpt), predicted.version);
  EXPECT_EQ(ActualChanges(s.policies(), kept, gpt), predicted.predicted_changes);
  return gpo;
}

TEST(SysvolGpoWriteFixtureTest, DryRunsPredictRestoreAndCopyOfEveryWindowsBackup) {
  GPOP_REQUIRE_FIXTURES(fixtures);
  std::vector<fs::path> backups = AllFixtureBackups(fixtures);
  ASSERT_EQ(backups.size(), 16u);
  int with_preferences = 0;
  int with_scripts = 0;
  for (const fs::path& dir : backups) {
    SCOPED_TRACE(dir.string());
    const GpoCoreSettings core = CoreOf(dir);
    TestStore s = MakeEmptyStore();
    s.config.domain = core.domain;  // restore puts a backup back into its own domain
    CopyWritable(dir, s.location() / dir.filename());
    auto backend = OpenBackend(s.config);
    ASSERT_NE(backend, nullptr);
    const std::string id = dir.filename().string();
    const auto backed_up = Settings(dir / "DomainSysvol" / "GPO");
    for (const auto& [rel, bytes] : backed_up) {
      if (rel.find("/Preferences/") != std::string::npos && bytes != "<dir>") ++with_preferences;
      if (rel.find("/Scripts/") != std::string::npos && bytes != "<dir>") ++with_scripts;
    }

    // 1. The GPO does not exist: the restore re-creates it.
    RecordingSink dry_sink;
    const core::GpoInfo made = DryThenReal(s, *backend, RestoreOf(id), std::nullopt, dry_sink);
    ASSERT_FALSE(made.guid.empty());
    const fs::path gpt = s.policies() / made.guid;
    // Windows' backups hold the GPO's security descriptor: the dry run says it is restored
    // (enforced by nothing), the real run puts it in the container half and the next backup
    // carries it.
    ASSERT_FALSE(core.security_descriptor.empty());
    EXPECT_EQ(MessagesContaining(dry_sink, "security descriptor"), 1);
    EXPECT_EQ(MessagesContaining(dry_sink, "WMI filter"), core.wmi_filter.empty() ? 0 : 1);
    EXPECT_EQ(StoredGpo(s.config, made.guid).security_descriptor, core.security_descriptor);
    core::Outcome backed_up_again = BackupGpo(*backend, made.guid);
    ASSERT_FALSE(backed_up_again.error);
    EXPECT_EQ(CoreOf(s.location() / BackupIdOf(backed_up_again)).security_descriptor,
              core.security_descriptor);

    // 2. The GPO changed: a settings file removed, the comment changed. (Corrupt live settings
    // files: SysvolDryRunTreeTest and SysvolGpoWriteUndoTest.)
    const fs::path kept = s.root / "kept";
    const auto restored = Settings(gpt);
    const std::string removed = FirstSettingsFile(restored);
    ASSERT_FALSE(removed.empty());
    fs::remove(gpt / removed);
    WriteBytes(gpt / "GPO.cmt", "changed comment");
    CopyWritable(gpt, kept);
    RecordingSink dry_sink2;
    const core::GpoInfo again = DryThenReal(s, *backend, RestoreOf(id, false), kept, dry_sink2);
    EXPECT_EQ(again.guid, made.guid);
    EXPECT_EQ(Settings(gpt), restored);
    fs::remove_all(kept);

    // 3. A copy of the restored GPO, with its permissions (GPMC's -CopyAcl): everything it adds
    // is predicted.
    core::CopySpec copy;
    copy.source.guid = made.guid;
    copy.new_display_name = core.display_name + " (copy)";
    copy.copy_acl = true;
    RecordingSink copy_sink;
    const core::GpoInfo copied = DryThenReal(s, *backend, copy, std::nullopt, copy_sink);
    ASSERT_FALSE(copied.guid.empty());
    EXPECT_NE(copied.guid, made.guid);
    EXPECT_EQ(Settings(s.policies() / copied.guid), restored);
    EXPECT_EQ(StoredGpo(s.config, copied.guid).security_descriptor, core.security_descriptor);
    EXPECT_EQ(MessagesContaining(copy_sink, "permissions"), 0);
    // Without -CopyAcl the new GPO gets the defaults (no descriptor), as GPMC's CopyTo.
    copy.copy_acl = false;
    copy.new_display_name = core.display_name + " (plain copy)";
    RecordingSink plain_sink;
    core::Outcome plain = RunOp(*backend, copy, plain_sink);
    ASSERT_FALSE(plain.error) << plain.error->message;
    EXPECT_TRUE(StoredGpo(s.config, std::get<core::GpoInfo>(plain.result).guid)
                    .security_descriptor.empty());
  }
  EXPECT_GT(with_preferences, 5);
  EXPECT_GT(with_scripts, 5);
}

// Identity fields of a report, which differ between a backup and the GPO imported from it:
// the GUID and domain (Identifier), the name, the times, the versions and the halves' Enabled
// (import keeps the target's flags; a new GPO has both halves enabled).
constexpr const char* kIdentityFields[] = {"Identifier",    "Name",     "CreatedTime",
                                           "ModifiedTime",  "ReadTime", "VersionDirectory",
                                           "VersionSysvol", "Enabled"};

// The report XML without its identity fields (at the GPO level and in Computer/User).
std::string WithoutIdentity(const std::string& xml) {
  auto doc = LoadXml(xml, "report");
  EXPECT_TRUE(doc.ok());
  if (!doc.ok()) return "";
  pugi::xml_node gpo = (*doc)->document_element();
  auto strip = [](pugi::xml_node parent) {
    for (const char* field : kIdentityFields) {
      while (pugi::xml_node n = ChildByLocalName(parent, field)) parent.remove_child(n);
    }
  };
  strip(gpo);
  strip(ChildByLocalName(gpo, "Computer"));
  strip(ChildByLocalName(gpo, "User"));
  std::ostringstream out;
  (*doc)->save(out);
  return out.str();
}

std::string ReportXml(SysvolBackend& backend, const core::ReportSpec& spec) {
  RecordingSink sink;
  core::Outcome out = RunOp(backend, spec, sink);
  EXPECT_FALSE(out.error) << out.error->message;
  return out.error ? "" : std::get<core::ReportInfo>(out.result).content;
}

TEST(SysvolGpoWriteFixtureTest, EveryImportedGpoReportsAsItsBackup) {
  GPOP_REQUIRE_FIXTURES(fixtures);
  TestStore s = MakeEmptyStore();
  std::vector<fs::path> backups = AllFixtureBackups(fixtures);
  ASSERT_EQ(backups.size(), 16u);
  auto backend = OpenBackend(s.config);
  int n = 0;
  for (const fs::path& dir : backups) {
    SCOPED_TRACE(dir.string());
    const std::string id = dir.filename().string();
    CopyWritable(dir, s.location() / id);
    RecordingSink sink;
    core::Outcome out = RunOp(*backend, ImportInto(id, "Imported " + std::to_string(++n)), sink);
    ASSERT_FALSE(out.error) << out.error->message;
    const auto& gpo = std::get<core::GpoInfo>(out.result);
    const std::string of_backup = WithoutIdentity(ReportXml(*backend, ReportOfBackup(id)));
    const std::string of_gpo = WithoutIdentity(ReportXml(*backend, ReportOfGpo(gpo.guid)));
    EXPECT_EQ(of_gpo, of_backup);
    EXPECT_NE(of_gpo.find("ExtensionData"), std::string::npos);  // settings were compared
  }
}

// A backup whose side folder is MACHINE/ (as Samba writes it): imported, its settings land in
// the GPT's Machine/ side, all of them, and the comparison sees them whatever the case.
TEST(SysvolGpoWriteFixtureTest, AnUpperCaseMachineFolderImportsAndCompares) {
  GPOP_REQUIRE_FIXTURES(fixtures);
  TestStore s = MakeEmptyStore();
  const fs::path fixture = fixtures / "hardenad" / "HAD-PowerShell-Logs";
  fs::path dir;
  for (const auto& e : fs::directory_iterator(fixture)) {
    if (e.is_directory() && e.path().filename().string().front() == '{') dir = e.path();
  }
  ASSERT_FALSE(dir.empty());
  const std::string id = dir.filename().string();
  const fs::path copy = s.location() / id;
  CopyWritable(dir, copy);
  const auto want = Settings(copy / "DomainSysvol" / "GPO");
  fs::rename(copy / "DomainSysvol" / "GPO" / "Machine", copy / "DomainSysvol" / "GPO" / "MACHINE");
  ASSERT_EQ(Settings(copy / "DomainSysvol" / "GPO"), want);  // the helper ignores the case
  auto backend = OpenBackend(s.config);
  RecordingSink sink;
  core::Outcome out = RunOp(*backend, ImportInto(id, "Upper case"), sink);
  ASSERT_FALSE(out.error) << out.error->message;
  const fs::path gpt = s.policies() / std::get<core::GpoInfo>(out.result).guid;
  auto got = Settings(gpt);
  auto expected = want;
  for (auto it = expected.begin(); it != expected.end();) {
    it = it->first.size() > 7 && it->first.substr(it->first.size() - 7) == ".backup"
             ? expected.erase(it)
             : std::next(it);
  }
  EXPECT_EQ(got, expected);
  EXPECT_TRUE(fs::is_directory(gpt / "Machine"));
  EXPECT_GT(got.count("Machine/registry.pol"), 0u);
}

}  // namespace
}  // namespace gpop::sysvol::testing
