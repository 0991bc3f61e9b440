// The sysvol backend on a store built from the fixtures' GPT trees: reports list every value,
// backups have Windows' shape and read back to the same settings, listings and name
// resolution.

#include "service/backends/sysvol/sysvol_backend.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <set>

#include "service/backends/sysvol/demo_store.h"
#include "service/backends/sysvol/format/backup_inst.h"
#include "service/backends/sysvol/format/backup_xml.h"
#include "service/backends/sysvol/format/manifest.h"
#include "service/backends/sysvol/format/registry_pol.h"
#include "service/backends/sysvol/format/report_applocker.h"
#include "service/backends/sysvol/format/report_builder.h"
#include "service/backends/sysvol/format/report_html.h"
#include "service/backends/sysvol/format/report_xml.h"
#include "service/backends/sysvol/format/safe_xml.h"
#include "service/backends/sysvol/format/utf16.h"
#include "service/core/guid.h"
#include "tests/backends/sysvol/backend_test_util.h"

namespace gpop::sysvol {
namespace {

namespace fs = std::filesystem;
using testing::BackupOf;
using testing::FindFiles;
using testing::MakeFixtureStore;
using testing::OpenBackend;
using testing::ReadFileBytes;
using testing::RecordingSink;
using testing::ReportOfBackup;
using testing::ReportOfGpo;
using testing::RunOp;

Report ParseOurs(const core::Outcome& out) {
  EXPECT_FALSE(out.error) << out.error->message;
  const auto* info = std::get_if<core::ReportInfo>(&out.result);
  EXPECT_NE(info, nullptr);
  if (info == nullptr) return Report();
  auto parsed = ParseReportXml(info->content, "report");
  EXPECT_TRUE(parsed.ok()) << (parsed.ok() ? "" : parsed.error().message);
  return parsed.ok() ? *parsed : Report();
}

std::optional<RegistryPol> PolOf(const fs::path& side_dir) {
  if (!fs::exists(side_dir)) return std::nullopt;
  for (const auto& f : FindFiles(side_dir, "registry.pol")) {
    if (f.parent_path() != side_dir) continue;
    auto pol = ParseRegistryPol(ReadFileBytes(f), f.string());
    EXPECT_TRUE(pol.ok());
    if (pol.ok()) return *pol;
  }
  return std::nullopt;
}

bool SameWindowsValue(const ReportRegistrySetting& w, const ReportRegistrySetting& o) {
  if (w.key_path != o.key_path || w.value.has_value() != o.value.has_value()) return false;
  if (!w.value) return true;
  return w.value->name == o.value->name && w.value->number == o.value->number &&
         (!w.value->text || w.value->text == o.value->text);
}

// The element local names of `node`'s children, in order.
std::vector<std::string> ChildNames(pugi::xml_node node) {
  std::vector<std::string> out;
  for (pugi::xml_node c : node.children()) {
    if (c.type() == pugi::node_element) out.emplace_back(LocalName(c.name()));
  }
  return out;
}

std::vector<std::string> Dedup(std::vector<std::string> v) {
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

// Files below `root`, relative, with '/' separators.
std::set<std::string> FileSet(const fs::path& root) {
  std::set<std::string> out;
  for (auto& e : fs::recursive_directory_iterator(root)) {
    if (e.is_regular_file()) out.insert(fs::relative(e.path(), root).generic_string());
  }
  return out;
}

TEST(SysvolBackendTest, ReportListsEveryRegistryValueAndWindowsSetting) {
  GPOP_REQUIRE_FIXTURES(fixtures);
  testing::TestStore store = MakeFixtureStore(fixtures);
  ASSERT_EQ(store.gpos.size(), 8u);
  auto backend = OpenBackend(store.config);
  ASSERT_NE(backend, nullptr);
  testing::PutFixtureMetadata(store, *backend);
  size_t values = 0;
  size_t windows_settings = 0;
  for (const testing::FixtureGpo& g : store.gpos) {
    RecordingSink sink;
    Report ours = ParseOurs(RunOp(*backend, ReportOfGpo(g.guid), sink));
    EXPECT_EQ(ours.guid, g.guid);
    EXPECT_EQ(ours.name, g.display_name);
    for (const auto& [side_name, side] :
         {std::pair{"Machine", &ours.computer}, std::pair{"User", &ours.user}}) {
      std::optional<RegistryPol> pol = PolOf(g.gpt_dir / side_name);
      if (!pol) continue;
      // AppLocker's values are reported as its rule collections (report_applocker.h).
      size_t app_locker = 0;
      for (const auto& c : side->app_locker) {
        app_locker += c.rules.size() + (c.enforcement_mode.empty() ? 0 : 1);
      }
      EXPECT_EQ(side->registry_settings.size() + app_locker, pol->entries.size())
          << g.guid << side_name;
      for (const PolEntry& e : pol->entries) {
        std::vector<ReportAppLockerCollection> scratch;
        if (AddAppLockerEntry(e, &scratch)) continue;
        ReportRegistrySetting expected = RegistrySettingFromEntry(e);
        EXPECT_NE(
            std::find(side->registry_settings.begin(), side->registry_settings.end(), expected),
            side->registry_settings.end())
            << g.guid << " " << side_name << ": " << e.key << " " << e.value_name;
        ++values;
      }
    }
    auto windows = ParseReportXml(ReadFileBytes(g.backup_dir / "gpreport.xml"), "gpreport.xml");
    ASSERT_TRUE(windows.ok());
    for (const auto& [w, o] :
         {std::pair{&windows->computer, &ours.computer}, std::pair{&windows->user, &ours.user}}) {
      for (const ReportRegistrySetting& ws : w->registry_settings) {
        EXPECT_TRUE(std::any_of(o->registry_settings.begin(), o->registry_settings.end(),
                                [&](const auto& os) { return SameWindowsValue(ws, os); }))
            << g.guid << ": " << ws.key_path;
        ++windows_settings;
      }
      // The security template's settings, as Windows reports them.
      EXPECT_EQ(o->security.accounts, w->security.accounts) << g.guid;
      ASSERT_EQ(o->security.user_rights.size(), w->security.user_rights.size()) << g.guid;
      for (size_t i = 0; i < w->security.user_rights.size(); ++i) {
        EXPECT_EQ(o->security.user_rights[i].name, w->security.user_rights[i].name);
      }
      EXPECT_EQ(o->advanced_audit, w->advanced_audit) << g.guid;
    }
  }
  EXPECT_GT(values, 500u);
  EXPECT_EQ(windows_settings, 9u);
}

TEST(SysvolBackendTest, HtmlReportOfGpo) {
  GPOP_REQUIRE_FIXTURES(fixtures);
  testing::TestStore store = MakeFixtureStore(fixtures);
  auto backend = OpenBackend(store.config);
  ASSERT_NE(backend, nullptr);
  RecordingSink sink;
  core::Outcome out =
      RunOp(*backend, ReportOfGpo(store.gpos[0].guid, core::ReportFormat::kHtml), sink);
  ASSERT_FALSE(out.error) << out.error->message;
  const auto& info = std::get<core::ReportInfo>(out.result);
  EXPECT_EQ(info.format, core::ReportFormat::kHtml);
  EXPECT_NE(info.content.find("<html"), std::string::npos);
  EXPECT_NE(info.content.find(HtmlEscape(store.gpos[0].display_name)), std::string::npos);
  EXPECT_EQ(out.effects, core::Effects::kNone);
  ASSERT_FALSE(sink.progress.empty());
  EXPECT_EQ(sink.progress.back().first, sink.progress.back().second);
}

TEST(SysvolBackendTest, BackupHasTheFixturesShapeAndReadsBack) {
  GPOP_REQUIRE_FIXTURES(fixtures);
  testing::TestStore store = MakeFixtureStore(fixtures);
  auto backend = OpenBackend(store.config);
  ASSERT_NE(backend, nullptr);
  testing::PutFixtureMetadata(store, *backend);
  for (const testing::FixtureGpo& g : store.gpos) {
    SCOPED_TRACE(g.guid);
    RecordingSink sink;
    core::Outcome out = RunOp(*backend, BackupOf(g.guid, "weekly backup"), sink);
    ASSERT_FALSE(out.error) << out.error->message;
    EXPECT_EQ(out.effects, core::Effects::kApplied);
    const auto& info = std::get<core::BackupInfo>(out.result);
    EXPECT_EQ(info.gpo_guid, g.guid);
    EXPECT_EQ(info.gpo_display_name, g.display_name);
    EXPECT_EQ(info.location, "default");
    fs::path ours = store.location() / info.backup_id;
    ASSERT_TRUE(fs::is_directory(ours));
    // The bytes it says it wrote (gpop_backup_bytes_total) are the backup folder's.
    uint64_t folder_bytes = 0;
    for (const auto& e : fs::recursive_directory_iterator(ours)) {
      if (e.is_regular_file()) folder_bytes += e.file_size();
    }
    EXPECT_EQ(info.bytes_written, folder_bytes);

    // Same files (GPT.INI is not stored), same bytes for the GPT's files.
    EXPECT_EQ(FileSet(ours), FileSet(g.backup_dir));
    for (const std::string& f : FileSet(g.backup_dir / "DomainSysvol")) {
      EXPECT_EQ(ReadFileBytes(ours / "DomainSysvol" / f),
                ReadFileBytes(g.backup_dir / "DomainSysvol" / f))
          << f;
    }

    // bkupInfo.xml: the same elements in the same order, our values.
    auto load = [](const fs::path& p) { return LoadXml(ReadFileBytes(p), p.string()); };
    auto our_info = load(ours / "bkupInfo.xml");
    auto win_info = load(g.backup_dir / "bkupInfo.xml");
    ASSERT_TRUE(our_info.ok() && win_info.ok());
    EXPECT_EQ(ChildNames((*our_info)->document_element()),
              ChildNames((*win_info)->document_element()));
    auto inst = ParseBkupInfo(ReadFileBytes(ours / "bkupInfo.xml"), "bkupInfo.xml");
    ASSERT_TRUE(inst.ok());
    EXPECT_EQ(inst->gpo_guid, g.guid);
    EXPECT_EQ(inst->id, info.backup_id);
    EXPECT_EQ(inst->comment, "weekly backup");
    EXPECT_EQ(inst->gpo_domain, "gpop.test");
    EXPECT_EQ(inst->gpo_domain_guid, "{5c8a9f2b-1d3e-4f5a-8b7c-9d0e1f2a3b4c}");

    // Backup.xml: same root, same sections in the same order, same core settings elements,
    // same registry and security file lists.
    auto our_bx = load(ours / "Backup.xml");
    auto win_bx = load(g.backup_dir / "Backup.xml");
    ASSERT_TRUE(our_bx.ok() && win_bx.ok());
    pugi::xml_node our_root = (*our_bx)->document_element();
    pugi::xml_node win_root = (*win_bx)->document_element();
    EXPECT_EQ(LocalName(our_root.name()), LocalName(win_root.name()));
    pugi::xml_node our_gpo = ChildByLocalName(our_root, "GroupPolicyObject");
    pugi::xml_node win_gpo = ChildByLocalName(win_root, "GroupPolicyObject");
    EXPECT_EQ(Dedup(ChildNames(our_gpo)), Dedup(ChildNames(win_gpo)));
    EXPECT_EQ(ChildNames(ChildByLocalName(our_gpo, "GroupPolicyCoreSettings")),
              ChildNames(ChildByLocalName(win_gpo, "GroupPolicyCoreSettings")));
    auto our_backup = ParseBackupXml(ReadFileBytes(ours / "Backup.xml"), "Backup.xml");
    auto win_backup = ParseBackupXml(ReadFileBytes(g.backup_dir / "Backup.xml"), "Backup.xml");
    ASSERT_TRUE(our_backup.ok() && win_backup.ok());
    EXPECT_EQ(our_backup->core.id, win_backup->core.id);
    EXPECT_EQ(our_backup->core.display_name, win_backup->core.display_name);
    auto locations = [](const BackupXml& b, const char* ext) {
      std::vector<std::string> out;
      for (const auto& e : b.extensions) {
        if (e.id != ext) continue;
        for (const auto& o : e.objects) out.push_back(o.path + "|" + o.location);
      }
      return out;
    };
    for (const char* ext : {kRegistryExtensionGuid, kSecurityExtensionGuid}) {
      EXPECT_EQ(locations(*our_backup, ext), locations(*win_backup, ext)) << ext;
    }
    // Every file of the unknown extension Windows lists and we copied is listed by us too.
    std::vector<std::string> our_unknown = locations(*our_backup, kUnknownExtensionGuid);
    for (const std::string& w : locations(*win_backup, kUnknownExtensionGuid)) {
      std::string loc = w.substr(w.find('|') + 1);
      std::string rel = loc;
      std::replace(rel.begin(), rel.end(), '\\', '/');
      if (!fs::exists(ours / rel)) continue;  // an empty folder git did not keep
      EXPECT_NE(std::find(our_unknown.begin(), our_unknown.end(), w), our_unknown.end()) << w;
    }

    // gpreport.xml: UTF-16LE with BOM, GPMC's root children in order.
    std::string report_bytes = ReadFileBytes(ours / "gpreport.xml");
    EXPECT_TRUE(HasUtf16LeBom(report_bytes));
    auto our_report = load(ours / "gpreport.xml");
    auto win_report = load(g.backup_dir / "gpreport.xml");
    ASSERT_TRUE(our_report.ok() && win_report.ok());
    std::vector<std::string> win_children = ChildNames((*win_report)->document_element());
    win_children.erase(std::remove(win_children.begin(), win_children.end(), "LinksTo"),
                       win_children.end());
    win_children.erase(std::remove(win_children.begin(), win_children.end(), "SecurityDescriptor"),
                       win_children.end());
    EXPECT_EQ(ChildNames((*our_report)->document_element()), win_children);

    // The manifest lists it.
    auto manifest = ParseManifest(ReadFileBytes(store.location() / "manifest.xml"), "manifest");
    ASSERT_TRUE(manifest.ok());
    EXPECT_TRUE(std::any_of(manifest->backups.begin(), manifest->backups.end(),
                            [&](const BackupInst& b) { return b.id == info.backup_id; }));

    // Read back: the report of the backup has the GPO's settings.
    RecordingSink s1, s2;
    Report of_gpo = ParseOurs(RunOp(*backend, ReportOfGpo(g.guid), s1));
    Report of_backup = ParseOurs(RunOp(*backend, ReportOfBackup(info.backup_id), s2));
    EXPECT_EQ(of_backup.guid, of_gpo.guid);
    EXPECT_EQ(of_backup.name, of_gpo.name);
    EXPECT_EQ(of_backup.computer.registry_settings, of_gpo.computer.registry_settings);
    EXPECT_EQ(of_backup.user.registry_settings, of_gpo.user.registry_settings);
    EXPECT_EQ(of_backup.computer.security, of_gpo.computer.security);
    EXPECT_EQ(of_backup.computer.advanced_audit, of_gpo.computer.advanced_audit);
    EXPECT_EQ(of_backup.computer.version_sysvol, of_gpo.computer.version_sysvol);
    EXPECT_EQ(of_backup.user.version_directory, of_gpo.user.version_directory);
  }
  EXPECT_FALSE(fs::exists(store.location() / ".gpop-staging") &&
               !fs::is_empty(store.location() / ".gpop-staging"));
}

TEST(SysvolBackendTest, ReportOfAWindowsMadeBackup) {
  GPOP_REQUIRE_FIXTURES(fixtures);
  testing::TestStore store = testing::MakeEmptyStore();
  fs::path dir = fixtures / "gpmc-backups" / "{A2A38432-E322-437F-9975-B7CC7F16F4AA}";
  fs::copy(dir, store.location() / dir.filename(), fs::copy_options::recursive);
  auto backend = OpenBackend(store.config);
  ASSERT_NE(backend, nullptr);
  RecordingSink sink;
  Report ours =
      ParseOurs(RunOp(*backend, ReportOfBackup("a2a38432-e322-437f-9975-b7cc7f16f4aa"), sink));
  auto windows = ParseReportXml(ReadFileBytes(dir / "gpreport.xml"), "gpreport.xml");
  ASSERT_TRUE(windows.ok());
  EXPECT_EQ(ours.guid, windows->guid);
  EXPECT_EQ(ours.name, windows->name);
  EXPECT_EQ(ours.created_time, windows->created_time);
  EXPECT_EQ(ours.computer.version_directory, windows->computer.version_directory);
  EXPECT_EQ(ours.computer.version_sysvol, windows->computer.version_sysvol);
  EXPECT_EQ(ours.user.enabled, windows->user.enabled);
  EXPECT_EQ(ours.computer.security.accounts, windows->computer.security.accounts);
  EXPECT_EQ(ours.computer.advanced_audit, windows->computer.advanced_audit);
}

TEST(SysvolBackendTest, ListBackupsLatestFirstAndRepairsTheManifest) {
  GPOP_REQUIRE_FIXTURES(fixtures);
  testing::TestStore store = MakeFixtureStore(fixtures);
  auto backend = OpenBackend(store.config);
  ASSERT_NE(backend, nullptr);
  // Two Windows-made backups copied in (2016 and 2015-ish times), then two of ours (now).
  for (const char* id :
       {"{A2A38432-E322-437F-9975-B7CC7F16F4AA}", "{16D29EA5-BD80-4487-A7C7-20AF2D68F202}"}) {
    fs::copy(fixtures / "gpmc-backups" / id, store.location() / id, fs::copy_options::recursive);
  }
  const testing::FixtureGpo& g = store.gpos[0];
  RecordingSink sink;
  core::Outcome first = RunOp(*backend, BackupOf(g.guid), sink);
  ASSERT_FALSE(first.error) << first.error->message;
  std::string first_id = std::get<core::BackupInfo>(first.result).backup_id;

  // The manifest now lists the copied-in backups too (repaired when it was written).
  auto manifest = ParseManifest(ReadFileBytes(store.location() / "manifest.xml"), "m");
  ASSERT_TRUE(manifest.ok());
  EXPECT_EQ(manifest->backups.size(), 3u);

  core::Backend::BackupQuery all;
  auto listed = backend->ListBackups(all);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 3u);
  EXPECT_EQ((*listed)[0].backup_id, first_id);
  for (size_t i = 1; i < listed->size(); ++i) EXPECT_GE((*listed)[i - 1].time, (*listed)[i].time);

  core::Backend::BackupQuery by_name;
  by_name.gpo.display_name = "DOD WINDOWS 10 STIG - COMPUTER (SHB V10.1.0)";
  auto named = backend->ListBackups(by_name);
  ASSERT_TRUE(named.ok());
  ASSERT_EQ(named->size(), 1u);
  EXPECT_EQ((*named)[0].backup_id, "{A2A38432-E322-437F-9975-B7CC7F16F4AA}");

  core::Backend::BackupQuery by_guid;
  by_guid.gpo.guid = g.guid;
  auto of_gpo = backend->ListBackups(by_guid);
  ASSERT_TRUE(of_gpo.ok());
  ASSERT_FALSE(of_gpo->empty());
  EXPECT_EQ((*of_gpo)[0].backup_id, first_id);

  // A missing manifest is rewritten; a stale one (listing a deleted backup) is corrected.
  fs::remove(store.location() / "manifest.xml");
  ASSERT_TRUE(backend->ListBackups(all).ok());
  manifest = ParseManifest(ReadFileBytes(store.location() / "manifest.xml"), "m");
  ASSERT_TRUE(manifest.ok());
  EXPECT_EQ(manifest->backups.size(), 3u);
  fs::remove_all(store.location() / "{16D29EA5-BD80-4487-A7C7-20AF2D68F202}");
  ASSERT_TRUE(backend->ListBackups(all).ok());
  manifest = ParseManifest(ReadFileBytes(store.location() / "manifest.xml"), "m");
  ASSERT_TRUE(manifest.ok());
  EXPECT_EQ(manifest->backups.size(), 2u);
}

TEST(SysvolBackendTest, GposByGuidOrNameCaseInsensitively) {
  GPOP_REQUIRE_FIXTURES(fixtures);
  testing::TestStore store = MakeFixtureStore(fixtures);
  auto backend = OpenBackend(store.config);
  ASSERT_NE(backend, nullptr);
  auto gpos = backend->ListGpos();
  ASSERT_TRUE(gpos.ok());
  EXPECT_EQ(gpos->size(), 8u);

  core::GpoRef by_name;
  by_name.display_name = "dod windows 10 stig - computer (shb v10.1.0)";
  auto found = backend->store().Resolve(by_name);
  ASSERT_TRUE(found.ok()) << found.error().message;
  EXPECT_EQ(found->info.guid, "{356FB116-26CD-4FBF-830B-6D736B802FD7}");
  core::GpoRef by_guid;
  by_guid.guid = "356fb116-26cd-4fbf-830b-6d736b802fd7";
  ASSERT_TRUE(backend->store().Resolve(by_guid).ok());

  core::GpoRef missing;
  missing.display_name = "No Such GPO";
  auto nf = backend->store().Resolve(missing);
  ASSERT_FALSE(nf.ok());
  EXPECT_EQ(nf.error().code, core::Code::kNotFound);
  EXPECT_EQ(nf.error().reason, core::reason::kGpoNotFound);

  // Two GPOs with one name: ambiguous. The metadata store's name wins over GPT.INI's.
  GpoMetadata meta;
  meta.guid = store.gpos[1].guid;
  meta.display_name = store.gpos[0].display_name;
  ASSERT_TRUE(backend->metadata().PutGpo(meta).ok());
  core::GpoRef dup;
  dup.display_name = store.gpos[0].display_name;
  auto amb = backend->store().Resolve(dup);
  ASSERT_FALSE(amb.ok());
  EXPECT_EQ(amb.error().code, core::Code::kFailedPrecondition);
  EXPECT_EQ(amb.error().reason, core::reason::kGpoAmbiguous);
  RecordingSink sink;
  core::BackupSpec spec;
  spec.gpo = dup;
  core::Outcome out = RunOp(*backend, spec, sink);
  ASSERT_TRUE(out.error);
  EXPECT_EQ(out.error->reason, core::reason::kGpoAmbiguous);
  EXPECT_EQ(out.effects, core::Effects::kNone);
}

// The generation OperationsApi keys its cached GPO listing by (api/gpo_catalog.h): it changes
// when a GPT folder appears and when gpop writes a GPO's container half (a rename), and is
// withheld while the Policies folder changed too recently for its timestamps to tell.
TEST(SysvolBackendTest, GposGenerationChangesWithTheGpos) {
  testing::TestStore store = testing::MakeEmptyStore();
  auto backend = OpenBackend(store.config);
  ASSERT_NE(backend, nullptr);
  const auto later = std::chrono::system_clock::now() + std::chrono::hours(1);
  const std::optional<uint64_t> empty = backend->store().Generation(later);
  ASSERT_TRUE(empty.has_value());
  EXPECT_EQ(backend->store().Generation(later), empty);  // nothing changed

  const std::string guid = "{5D0E4A71-3C2B-4F6E-9A1D-7B8C9D0E1F20}";
  std::filesystem::create_directories(store.policies() / guid);
  EXPECT_FALSE(backend->store().Generation(std::chrono::system_clock::now()).has_value());
  const std::optional<uint64_t> created = backend->store().Generation(later);
  ASSERT_TRUE(created.has_value());
  EXPECT_NE(*created, *empty);

  GpoMetadata renamed;
  renamed.guid = guid;
  renamed.display_name = "Renamed";
  ASSERT_TRUE(backend->metadata().PutGpo(renamed).ok());
  const std::optional<uint64_t> after_rename = backend->store().Generation(later);
  ASSERT_TRUE(after_rename.has_value());
  EXPECT_NE(*after_rename, *created);
  auto gpos = backend->ListGpos();
  ASSERT_TRUE(gpos.ok());
  ASSERT_EQ(gpos->size(), 1u);
  EXPECT_EQ((*gpos)[0].display_name, "Renamed");
}

TEST(SysvolBackendTest, RestoreImportCopyOfMissingThingsAreNotFound) {
  testing::TestStore store = testing::MakeEmptyStore();
  auto backend = OpenBackend(store.config);
  ASSERT_NE(backend, nullptr);
  core::RestoreSpec restore;
  restore.backup.backup_id = core::NewGuid();
  core::CopySpec copy;
  copy.source.guid = core::NewGuid();
  copy.new_display_name = "Copy";
  core::ImportSpec import;
  import.backup.backup_id = core::NewGuid();
  import.target.guid = core::NewGuid();
  for (const core::OperationSpec& spec :
       {core::OperationSpec(restore), core::OperationSpec(copy), core::OperationSpec(import)}) {
    EXPECT_TRUE(backend->Validate(spec).ok());
    auto before = testing::Snapshot(store.root / "sysvol");
    RecordingSink sink;
    core::Outcome out = RunOp(*backend, spec, sink);
    ASSERT_TRUE(out.error);
    EXPECT_EQ(out.error->code, core::Code::kNotFound) << out.error->message;
    EXPECT_EQ(out.effects, core::Effects::kNone);
    EXPECT_EQ(testing::Snapshot(store.root / "sysvol"), before);
  }
}

TEST(SysvolBackendTest, CommentUpTo2047Characters) {
  GPOP_REQUIRE_FIXTURES(fixtures);
  testing::TestStore store = MakeFixtureStore(fixtures);
  auto backend = OpenBackend(store.config);
  ASSERT_NE(backend, nullptr);
  std::string comment;
  for (int i = 0; i < 2047; ++i) comment += (i % 2) ? "\xC3\xA9" : "x";  // é: one character
  core::BackupSpec ok_spec = BackupOf(store.gpos[0].guid, comment);
  EXPECT_TRUE(backend->Validate(ok_spec).ok());
  RecordingSink sink;
  core::Outcome out = RunOp(*backend, ok_spec, sink);
  ASSERT_FALSE(out.error) << out.error->message;
  auto inst = ParseBkupInfo(
      ReadFileBytes(store.location() / std::get<core::BackupInfo>(out.result).backup_id /
                    "bkupInfo.xml"),
      "bkupInfo.xml");
  ASSERT_TRUE(inst.ok());
  EXPECT_EQ(inst->comment, comment);
  core::BackupSpec too_long = BackupOf(store.gpos[0].guid, comment + "x");
  core::Status v = backend->Validate(too_long);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().code, core::Code::kInvalidArgument);
}

constexpr char kCameraAdmx[] = R"xml(<?xml version="1.0" encoding="utf-8"?>
<policyDefinitions xmlns="http://schemas.microsoft.com/GroupPolicy/2006/07/PolicyDefinitions" revision="1.0" schemaVersion="1.0">
  <policyNamespaces><target prefix="cam" namespace="Gpop.Test.Camera"/></policyNamespaces>
  <categories><category name="Cam" displayName="$(string.Cam)"/></categories>
  <policies>
    <policy name="NoLockScreenCamera" class="Machine" displayName="$(string.NoCam)" explainText="$(string.NoCam)" key="Software\Policies\Microsoft\Windows\Personalization" valueName="NoLockScreenCamera">
      <parentCategory ref="Cam"/>
      <enabledValue><decimal value="1"/></enabledValue><disabledValue><decimal value="0"/></disabledValue>
    </policy>
  </policies>
</policyDefinitions>)xml";

constexpr char kCameraAdml[] = R"xml(<?xml version="1.0" encoding="utf-8"?>
<policyDefinitionResources revision="1.0" schemaVersion="1.0"><resources><stringTable>
  <string id="Cam">Control Panel/Personalization</string>
  <string id="NoCam">Prevent enabling lock screen camera</string>
</stringTable></resources></policyDefinitionResources>)xml";

TEST(SysvolBackendTest, CentralStoreNamesPolicies) {
  testing::TestStore store = testing::MakeEmptyStore();
  ASSERT_TRUE(WriteDemoStore(store.config.sysvol_dir).ok());
  auto backend = OpenBackend(store.config);
  ASSERT_NE(backend, nullptr);
  const std::string guid = "{7C1A5B2E-3D4F-4A8B-9C6D-1E2F3A4B5C6D}";  // Workstation Baseline
  RecordingSink sink;
  Report before = ParseOurs(RunOp(*backend, ReportOfGpo(guid), sink));
  EXPECT_TRUE(before.computer.policies.empty());

  testing::WriteBytes(store.policies() / "PolicyDefinitions" / "camera.admx", kCameraAdmx);
  testing::WriteBytes(store.policies() / "PolicyDefinitions" / "en-US" / "camera.adml",
                      kCameraAdml);
  Report after = ParseOurs(RunOp(*backend, ReportOfGpo(guid), sink));
  ASSERT_EQ(after.computer.policies.size(), 1u);
  EXPECT_EQ(after.computer.policies[0].name, "Prevent enabling lock screen camera");
  EXPECT_EQ(after.computer.policies[0].state, "Enabled");
  EXPECT_EQ(after.computer.registry_settings.size() + 1, before.computer.registry_settings.size());
  // The backup's own gpreport.xml names it too.
  core::Outcome out = RunOp(*backend, BackupOf(guid), sink);
  ASSERT_FALSE(out.error) << out.error->message;
  auto saved = ParseReportXml(
      ReadFileBytes(store.location() / std::get<core::BackupInfo>(out.result).backup_id /
                    "gpreport.xml"),
      "gpreport.xml");
  ASSERT_TRUE(saved.ok());
  EXPECT_EQ(saved->computer.policies.size(), 1u);
  // PolicyDefinitions is not a GPO.
  auto gpos = backend->ListGpos();
  ASSERT_TRUE(gpos.ok());
  EXPECT_EQ(gpos->size(), 4u);
}

TEST(SysvolBackendTest, ClaimsNameTheDefaultLocation) {
  testing::TestStore store = testing::MakeEmptyStore();
  auto backend = OpenBackend(store.config);
  ASSERT_NE(backend, nullptr);
  core::BackupSpec spec = BackupOf("{31B2F340-016D-11D2-945F-00C04FB984F9}");
  auto claims = backend->Claims(spec);
  EXPECT_TRUE(std::any_of(claims.begin(), claims.end(), [](const core::ResourceClaim& c) {
    // Read: backups of one location run at once (sysvol_claims_test).
    return c.resource == "backup-location:default" &&
           c.access == core::ResourceClaim::Access::kRead;
  }));
}

}  // namespace
}  // namespace gpop::sysvol
