// Restore, import and copy on the sysvol backend: every Windows-made fixture backup imports,
// backup -> change -> restore gives the settings back byte for byte with versions forward, the
// safety backup undoes a restore, another domain's backup is refused, and a crash or a cancel
// at any moment leaves effects NONE or APPLIED.

#include <gtest/gtest.h>

#include <chrono>

#include "service/backends/sysvol/admx_cache.h"
#include "service/backends/sysvol/format/gpt_ini.h"
#include "service/backends/sysvol/gpt_reader.h"
#include "service/backends/sysvol/metadata_store.h"
#include "service/backends/sysvol/ops/dry_run.h"
#include "service/backends/sysvol/sysvol_backend.h"
#include "service/core/guid.h"
#include "tests/backends/sysvol/gpo_write_test_util.h"
#include "tests/backends/sysvol/sysvol_test_fixture.h"

namespace gpop::sysvol::testing {
namespace {

TEST(SysvolRestoreTest, EveryFixtureBackupImportsIntoANewGpo) {
  GPOP_REQUIRE_FIXTURES(fixtures);
  TestStore s = testing::MakeEmptyStore();
  std::vector<fs::path> backups = AllFixtureBackups(fixtures);
  ASSERT_EQ(backups.size(), 16u);
  auto backend = OpenBackend(s.config);
  int n = 0;
  for (const fs::path& dir : backups) {
    SCOPED_TRACE(dir.string());
    CopyWritable(dir, s.location() / dir.filename());
    RecordingSink sink;
    const std::string name = "Imported " + std::to_string(++n);
    core::Outcome out = RunOp(*backend, ImportInto(dir.filename().string(), name), sink);
    ASSERT_FALSE(out.error) << out.error->message;
    EXPECT_EQ(out.effects, core::Effects::kApplied);
    const auto& gpo = std::get<core::GpoInfo>(out.result);
    EXPECT_EQ(gpo.display_name, name);
    EXPECT_TRUE(gpo.safety_backup_id.empty());  // a new GPO has nothing to keep
    fs::path gpt = s.policies() / gpo.guid;
    // The GPT holds exactly the backup's settings files, without what a publisher left.
    std::map<std::string, std::string> want = Settings(dir / "DomainSysvol" / "GPO");
    std::map<std::string, std::string> got = Settings(gpt);
    for (auto it = want.begin(); it != want.end();) {
      it = it->first.size() > 7 && it->first.substr(it->first.size() - 7) == ".backup"
               ? want.erase(it)
               : std::next(it);
    }
    for (auto& [rel, bytes] : got) {
      if (bytes == "<dir>") want.emplace(rel, bytes);  // both sides always exist
    }
    EXPECT_EQ(got, want);
    for (auto& [rel, bytes] : got) EXPECT_EQ(rel.find(".backup"), std::string::npos) << rel;
    EXPECT_EQ(GptIniVersion(gpt), gpo.version);
    // Stray files are named in a status message, never copied.
    if (fs::exists(dir / "translation.xml")) {
      bool named = false;
      for (const auto& m : sink.messages) {
        if (m.object_path.find("translation.xml") != std::string::npos) named = true;
      }
      EXPECT_TRUE(named);
    }
    // The imported GPO reports.
    RecordingSink report_sink;
    core::Outcome report = RunOp(*backend, testing::ReportOfGpo(gpo.guid), report_sink);
    EXPECT_FALSE(report.error) << report.error->message;
  }
}

TEST(SysvolRestoreTest, BackupChangeRestoreGivesTheSettingsBackAndVersionsForward) {
  TestStore s = MakeDemoStore();
  auto backend = OpenBackend(s.config);
  const fs::path gpt = s.policies() / kServer;
  WriteBytes(gpt / "GPO.cmt", "comment");
  const auto original = Settings(gpt);
  core::Outcome backup = BackupGpo(*backend, kServer);
  ASSERT_FALSE(backup.error) << backup.error->message;
  const uint32_t before_version = GptIniVersion(gpt);

  // Change: one file edited, one added, one removed.
  WriteBytes(gpt / "Machine" / "added.txt", "new");
  fs::remove(gpt / "GPO.cmt");
  auto first = original.begin();
  while (first != original.end() && first->second == "<dir>") ++first;
  ASSERT_NE(first, original.end());
  WriteBytes(gpt / first->first, "changed");
  const auto changed = Settings(gpt);
  ASSERT_NE(changed, original);

  RecordingSink sink;
  core::Outcome out = RunOp(*backend, RestoreOf(BackupIdOf(backup)), sink);
  ASSERT_FALSE(out.error) << out.error->message;
  EXPECT_EQ(out.effects, core::Effects::kApplied);
  EXPECT_EQ(Settings(gpt), original);
  const auto& gpo = std::get<core::GpoInfo>(out.result);
  EXPECT_EQ(gpo.guid, kServer);
  EXPECT_GT(gpo.version >> 16, before_version >> 16);
  EXPECT_GT(gpo.version & 0xFFFF, before_version & 0xFFFF);
  EXPECT_EQ(GptIniVersion(gpt), gpo.version);
  auto listed = backend->ListGpos();
  ASSERT_TRUE(listed.ok());
  for (const auto& g : *listed) {
    if (g.guid == kServer) EXPECT_EQ(g.version, gpo.version);
  }

  // The safety backup holds the changed state: restoring it undoes the restore.
  ASSERT_FALSE(gpo.safety_backup_id.empty());
  core::Outcome undo = RunOp(*backend, RestoreOf(gpo.safety_backup_id, false), sink);
  ASSERT_FALSE(undo.error) << undo.error->message;
  EXPECT_EQ(Settings(gpt), changed);
  EXPECT_GT(std::get<core::GpoInfo>(undo.result).version & 0xFFFF, gpo.version & 0xFFFF);
  EXPECT_TRUE(std::get<core::GpoInfo>(undo.result).safety_backup_id.empty());
  EXPECT_FALSE(fs::exists(s.policies() / ".gpop-staging") &&
               !fs::is_empty(s.policies() / ".gpop-staging"));
}

// Every field of the container half that a restore sets (the directory model holds no WMI filter
// link or security descriptor): the backed-up display name, flags and extension lists, the
// version above both the live and the backed-up one (GPT.INI agrees), the creation time of the
// live GPO and a new modification time.
TEST(SysvolRestoreTest, RestoreSetsEveryDirectoryFieldFromTheBackup) {
  TestStore s = MakeDemoStore();
  GpoMetadata backed_up;
  backed_up.guid = kServer;
  backed_up.display_name = "Server Hardening";
  backed_up.flags = 2;  // computer part disabled
  backed_up.version = GptIniVersion(s.policies() / kServer);
  backed_up.machine_extension_guids =
      "[{35378EAC-683F-11D2-A89A-00C04FBBCFA2}{D02B1F72-3407-48AE-BA88-E8213C6761F1}]";
  backed_up.user_extension_guids =
      "[{42B5FAAE-6536-11D2-AE5A-0000F87571E3}{40B66650-4972-11D1-A7CA-0000F87571E3}]";
  backed_up.created_ms = 1700000000000;
  backed_up.modified_ms = 1700000001000;
  PutStoredGpo(s.config, backed_up);
  auto backend = OpenBackend(s.config);
  core::Outcome backup = BackupGpo(*backend, kServer);
  ASSERT_FALSE(backup.error) << backup.error->message;

  // The GPO changes on the directory side after the backup.
  GpoMetadata changed = backed_up;
  changed.display_name = "Server Hardening (renamed)";
  changed.flags = 1;
  changed.version = backed_up.version + 0x10001;
  changed.machine_extension_guids = "";
  changed.user_extension_guids = "[{827D319E-6EAC-11D2-A4EA-00C04F79F83A}]";
  changed.modified_ms = 1700000002000;
  PutStoredGpo(s.config, changed);

  const auto started = std::chrono::system_clock::now();
  RecordingSink sink;
  core::Outcome out = RunOp(*backend, RestoreOf(BackupIdOf(backup), false), sink);
  ASSERT_FALSE(out.error) << out.error->message;
  const auto& gpo = std::get<core::GpoInfo>(out.result);
  const GpoMetadata now = StoredGpo(s.config, kServer);
  EXPECT_EQ(now.guid, kServer);
  EXPECT_EQ(now.display_name, backed_up.display_name);
  EXPECT_EQ(now.flags, backed_up.flags);
  EXPECT_EQ(now.machine_extension_guids, backed_up.machine_extension_guids);
  EXPECT_EQ(now.user_extension_guids, backed_up.user_extension_guids);
  EXPECT_GT(now.version >> 16, changed.version >> 16);
  EXPECT_GT(now.version & 0xFFFF, changed.version & 0xFFFF);
  EXPECT_EQ(now.version, GptIniVersion(s.policies() / kServer));
  EXPECT_EQ(now.created_ms, backed_up.created_ms);
  EXPECT_GE(now.modified_ms, std::chrono::duration_cast<std::chrono::milliseconds>(
                                 started.time_since_epoch())
                                 .count());
  auto ini = ParseGptIni(ReadFileBytes(s.policies() / kServer / "GPT.INI"), "GPT.INI");
  ASSERT_TRUE(ini.ok());
  ASSERT_TRUE(ini->display_name.has_value());
  EXPECT_EQ(*ini->display_name, backed_up.display_name);
  // The result and the listing say the same.
  EXPECT_EQ(gpo.display_name, now.display_name);
  EXPECT_EQ(gpo.flags, now.flags);
  EXPECT_EQ(gpo.version, now.version);
  auto listed = backend->ListGpos();
  ASSERT_TRUE(listed.ok());
  bool found = false;
  for (const auto& g : *listed) {
    if (g.guid != kServer) continue;
    found = true;
    EXPECT_EQ(g.display_name, now.display_name);
    EXPECT_EQ(g.flags, now.flags);
    EXPECT_EQ(g.version, now.version);
  }
  EXPECT_TRUE(found);

  // A GPO that is gone is re-created with the same fields, created now.
  fs::remove_all(s.policies() / kServer);
  const auto recreated_at = std::chrono::system_clock::now();
  out = RunOp(*backend, RestoreOf(BackupIdOf(backup), false), sink);
  ASSERT_FALSE(out.error) << out.error->message;
  const GpoMetadata again = StoredGpo(s.config, kServer);
  EXPECT_EQ(again.display_name, backed_up.display_name);
  EXPECT_EQ(again.flags, backed_up.flags);
  EXPECT_EQ(again.machine_extension_guids, backed_up.machine_extension_guids);
  EXPECT_EQ(again.user_extension_guids, backed_up.user_extension_guids);
  EXPECT_GT(again.version & 0xFFFF, backed_up.version & 0xFFFF);
  EXPECT_EQ(again.version, GptIniVersion(s.policies() / kServer));
  EXPECT_GE(again.created_ms, std::chrono::duration_cast<std::chrono::milliseconds>(
                                  recreated_at.time_since_epoch())
                                  .count());
}

TEST(SysvolRestoreTest, RestoreRecreatesADeletedGpo) {
  TestStore s = MakeDemoStore();
  auto backend = OpenBackend(s.config);
  const auto original = Settings(s.policies() / kServer);
  core::Outcome backup = BackupGpo(*backend, kServer);
  ASSERT_FALSE(backup.error);
  fs::remove_all(s.policies() / kServer);
  RecordingSink sink;
  core::Outcome out = RunOp(*backend, RestoreOf(BackupIdOf(backup)), sink);
  ASSERT_FALSE(out.error) << out.error->message;
  EXPECT_EQ(Settings(s.policies() / kServer), original);
  EXPECT_EQ(std::get<core::GpoInfo>(out.result).display_name, "Server Hardening");
}

TEST(SysvolRestoreTest, RestoreOfAnotherDomainsBackupPointsToImport) {
  TestStore s = MakeDemoStore();
  auto backend = OpenBackend(s.config);
  core::Outcome backup = BackupGpo(*backend, kServer);
  ASSERT_FALSE(backup.error);
  SysvolConfig other = s.config;
  other.domain = "elsewhere.test";
  other.metadata_db = s.root / "state" / "other.db";
  auto elsewhere = OpenBackend(other);
  auto before = Snapshot(s.policies());
  RecordingSink sink;
  core::Outcome out = RunOp(*elsewhere, RestoreOf(BackupIdOf(backup)), sink);
  ASSERT_TRUE(out.error);
  EXPECT_EQ(out.error->code, core::Code::kFailedPrecondition);
  EXPECT_NE(out.error->message.find("import"), std::string::npos) << out.error->message;
  EXPECT_EQ(out.effects, core::Effects::kNone);
  EXPECT_EQ(Snapshot(s.policies()), before);
}

TEST(SysvolRestoreTest, ImportIntoAnExistingGpoKeepsItsIdentity) {
  TestStore s = MakeDemoStore();
  auto backend = OpenBackend(s.config);
  core::Outcome backup = BackupGpo(*backend, kServer);
  ASSERT_FALSE(backup.error);
  const auto want = Settings(s.policies() / kServer);
  const uint32_t before_version = GptIniVersion(s.policies() / kWorkstation);
  core::ImportSpec spec;
  spec.backup.backup_id = BackupIdOf(backup);
  spec.target.guid = kWorkstation;
  RecordingSink sink;
  core::Outcome out = RunOp(*backend, spec, sink);
  ASSERT_FALSE(out.error) << out.error->message;
  const auto& gpo = std::get<core::GpoInfo>(out.result);
  EXPECT_EQ(gpo.guid, kWorkstation);
  EXPECT_NE(gpo.display_name, "Server Hardening");
  EXPECT_EQ(Settings(s.policies() / kWorkstation), want);
  // Versions move forward on both halves (clients apply the new settings), GPT.INI agrees.
  EXPECT_GT(gpo.version >> 16, before_version >> 16);
  EXPECT_GT(gpo.version & 0xFFFF, before_version & 0xFFFF);
  EXPECT_EQ(GptIniVersion(s.policies() / kWorkstation), gpo.version);
  EXPECT_FALSE(gpo.safety_backup_id.empty());
  // Without create_if_needed, an unknown name is NOT_FOUND.
  spec.target = {"", "No Such GPO"};
  out = RunOp(*backend, spec, sink);
  ASSERT_TRUE(out.error);
  EXPECT_EQ(out.error->code, core::Code::kNotFound);
}

TEST(SysvolRestoreTest, CopyMakesANewGpoWithTheSameSettings) {
  TestStore s = MakeDemoStore();
  auto backend = OpenBackend(s.config);
  core::CopySpec spec;
  spec.source.guid = kServer;
  spec.new_display_name = "Server Hardening (copy)";
  RecordingSink sink;
  core::Outcome out = RunOp(*backend, spec, sink);
  ASSERT_FALSE(out.error) << out.error->message;
  const auto& gpo = std::get<core::GpoInfo>(out.result);
  EXPECT_NE(gpo.guid, kServer);
  EXPECT_EQ(Settings(s.policies() / gpo.guid), Settings(s.policies() / kServer));
  out = RunOp(*backend, spec, sink);  // the name is taken now
  ASSERT_TRUE(out.error);
  EXPECT_EQ(out.error->code, core::Code::kAlreadyExists);
}

TEST(SysvolRestoreTest, ReadOnlyStoreRefusesWrites) {
  TestStore s = MakeDemoStore();
  s.config.read_only = true;
  auto backend = OpenBackend(s.config);
  core::Status v = backend->Validate(RestoreOf(core::NewGuid()));
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().reason, core::reason::kReadOnly);
}

TEST(SysvolRestoreTest, DryRunChangesNothingAndPredictsExactlyTheRealChange) {
  TestStore s = MakeDemoStore();
  auto backend = OpenBackend(s.config);
  core::Outcome backup = BackupGpo(*backend, kServer);
  ASSERT_FALSE(backup.error);
  const auto before = Snapshot(s.config.sysvol_dir);
  const auto backups_before = Snapshot(s.location());
  auto gpos_before = backend->ListGpos();
  ASSERT_TRUE(gpos_before.ok());
  // The state before, kept to compare with after the real run.
  const fs::path kept = s.root / "kept";
  CopyWritable(s.policies() / kWorkstation, kept);

  core::ImportSpec spec;
  spec.backup.backup_id = BackupIdOf(backup);
  spec.target.guid = kWorkstation;
  spec.dry_run = true;
  RecordingSink sink;
  core::Outcome dry = RunOp(*backend, spec, sink);
  ASSERT_FALSE(dry.error) << dry.error->message;
  EXPECT_EQ(dry.effects, core::Effects::kNone);
  const auto& predicted = std::get<core::GpoInfo>(dry.result);
  EXPECT_TRUE(predicted.dry_run);
  EXPECT_TRUE(predicted.safety_backup_id.empty());
  ASSERT_FALSE(predicted.predicted_changes.empty());
  EXPECT_EQ(Snapshot(s.config.sysvol_dir), before);
  EXPECT_EQ(Snapshot(s.location()), backups_before);  // no safety backup either
  auto gpos_after = backend->ListGpos();
  ASSERT_TRUE(gpos_after.ok());
  ASSERT_EQ(gpos_after->size(), gpos_before->size());
  for (size_t i = 0; i < gpos_after->size(); ++i) {
    EXPECT_EQ((*gpos_after)[i].version, (*gpos_before)[i].version);
  }

  spec.dry_run = false;
  core::Outcome real = RunOp(*backend, spec, sink);
  ASSERT_FALSE(real.error) << real.error->message;
  EXPECT_EQ(std::get<core::GpoInfo>(real.result).version, predicted.version);
  auto policies = Dir::OpenRoot(s.policies(), "Policies");
  auto old_dir = Dir::OpenRoot(kept, "kept");
  auto new_dir = Dir::OpenRoot(s.policies() / kWorkstation, "new");
  ASSERT_TRUE(policies.ok() && old_dir.ok() && new_dir.ok());
  auto old_settings = ReadGptSettings(*old_dir);
  auto new_settings = ReadGptSettings(*new_dir);
  ASSERT_TRUE(old_settings.ok() && new_settings.ok());
  AdmxCache admx;
  auto catalog = admx.Load(*policies).catalog;
  const ReportIdentity identity;
  EXPECT_EQ(DiffReports(MakeReport(identity, *old_settings, catalog.get()),
                        MakeReport(identity, *new_settings, catalog.get())),
            predicted.predicted_changes);
  // Importing the same backup again: nothing left to change.
  spec.dry_run = true;
  core::Outcome again = RunOp(*backend, spec, sink);
  ASSERT_FALSE(again.error);
  EXPECT_TRUE(std::get<core::GpoInfo>(again.result).predicted_changes.empty());
}

class SysvolRestoreCrashTest : public ::testing::TestWithParam<FaultPoint> {};

TEST_P(SysvolRestoreCrashTest, CrashLeavesOldOrNewNeverHalf) {
  const FaultPoint point = GetParam();
  TestStore s = MakeDemoStore();
  auto backend = OpenBackend(s.config);
  core::Outcome backup = BackupGpo(*backend, kServer);
  ASSERT_FALSE(backup.error);
  const auto want = Settings(s.policies() / kServer);
  const auto old = Settings(s.policies() / kWorkstation);
  core::ImportSpec spec;
  spec.backup.backup_id = BackupIdOf(backup);
  spec.target.guid = kWorkstation;
  spec.safety_backup = false;  // the safety backup's own crashes are the backup tests'
  backend->SetFaultHookForTesting([point](FaultPoint p) { return p == point; });
  RecordingSink sink;
  core::Outcome crashed = RunOp(*backend, spec, sink, nullptr, "op-import");
  ASSERT_TRUE(crashed.error);
  EXPECT_EQ(crashed.effects, core::Effects::kUnknown);
  backend.reset();

  auto restarted = OpenBackend(s.config);
  auto resolved = restarted->ResolveLeftovers();
  ASSERT_TRUE(resolved.ok()) << resolved.error().message;
  std::optional<core::Outcome> recovered = restarted->Recover("op-import");
  if (point == FaultPoint::kAfterStaging) {
    EXPECT_FALSE(recovered.has_value());
    EXPECT_EQ(Settings(s.policies() / kWorkstation), old);
  } else {
    ASSERT_TRUE(recovered.has_value());
    ASSERT_FALSE(recovered->error) << recovered->error->message;
    EXPECT_EQ(recovered->effects, core::Effects::kApplied);
    EXPECT_EQ(Settings(s.policies() / kWorkstation), want);
    EXPECT_EQ(std::get<core::GpoInfo>(recovered->result).guid, kWorkstation);
  }
  EXPECT_FALSE(fs::exists(s.policies() / ".gpop-staging"));  // nothing left behind
}

INSTANTIATE_TEST_SUITE_P(AllFaultPoints, SysvolRestoreCrashTest,
                         ::testing::Values(FaultPoint::kAfterStaging,
                                           FaultPoint::kAfterCommitRecord,
                                           FaultPoint::kAfterBackupRename,
                                           FaultPoint::kAfterManifestRename));

TEST(SysvolRestoreTest, CancelAtEveryMomentLeavesNoneOrApplied) {
  TestStore s = MakeDemoStore();
  auto backend = OpenBackend(s.config);
  core::Outcome backup = BackupGpo(*backend, kServer);
  ASSERT_FALSE(backup.error);
  const auto want = Settings(s.policies() / kServer);
  for (int k = 1; k < 40; ++k) {
    SCOPED_TRACE(k);
    const auto old = Settings(s.policies() / kWorkstation);
    core::CancelToken token;
    RecordingSink sink(&token, k);
    core::ImportSpec spec;
    spec.backup.backup_id = BackupIdOf(backup);
    spec.target.guid = kWorkstation;
    core::Outcome out = RunOp(*backend, spec, sink, &token);
    if (out.error) {
      EXPECT_EQ(out.error->code, core::Code::kCancelled) << out.error->message;
      EXPECT_EQ(out.effects, core::Effects::kNone);
      EXPECT_EQ(Settings(s.policies() / kWorkstation), old);
    } else {
      EXPECT_EQ(out.effects, core::Effects::kApplied);
      EXPECT_EQ(Settings(s.policies() / kWorkstation), want);
      if (static_cast<int>(sink.progress.size()) < k) break;  // finished before the cancel
    }
    EXPECT_FALSE(fs::exists(s.policies() / ".gpop-staging"));  // nothing left behind
  }
}

}  // namespace
}  // namespace gpop::sysvol::testing
