// Crashes and I/O errors, in process (the backend's fault hooks, in every build), during a
// restore without and with its safety backup and during a copy.
//
// Crash: the run stops at the n-th fault point it passes, for every n until a run passes them
// all (the safety backup's own publish included); after a restart and recovery the GPO is the
// old one or the new one, never half, the container half agrees with the settings, nothing is
// left staged, and a GPO that was overwritten has its safety backup, whole.
// I/O error past a commit point (the safety backup's or the GPO write's; once or lasting): the
// run is APPLIED, the next start finishes the bookkeeping so that store, listing and recovery
// agree with what the run reported, and the safety backup restores the GPO as it was.

#include <gtest/gtest.h>

#include <set>

#include "service/backends/sysvol/format/backup_xml.h"
#include "service/backends/sysvol/txn/gpo_publish.h"
#include "service/backends/sysvol/txn/intent_kinds.h"
#include "tests/backends/sysvol/gpo_write_test_util.h"
#include "tests/backends/sysvol/sysvol_test_fixture.h"

namespace gpop::sysvol::testing {
namespace {

enum class Kind { kRestore, kRestoreWithSafetyBackup, kCopy };

std::string KindName(Kind k) {
  switch (k) {
    case Kind::kRestore:
      return "Restore";
    case Kind::kRestoreWithSafetyBackup:
      return "RestoreWithSafetyBackup";
    case Kind::kCopy:
      return "Copy";
  }
  return "";
}

constexpr char kCopyName[] = "Server Hardening (copy)";

// A demo store prepared for one run of `kind`: for a restore, a backup of kServer and then a
// change to kServer (the "old" state the restore overwrites).
struct Scenario {
  TestStore store;
  std::unique_ptr<SysvolBackend> backend;
  std::string backup_id;
  std::map<std::string, std::string> old_settings;  // kServer before the run
  std::map<std::string, std::string> new_settings;  // kServer (or the copy) after it
  GpoMetadata old_row;
  std::set<std::string> gpts_before;  // folder names below Policies

  core::OperationSpec Spec(Kind kind) const {
    if (kind == Kind::kCopy) {
      core::CopySpec spec;
      spec.source.guid = kServer;
      spec.new_display_name = kCopyName;
      return spec;
    }
    return RestoreOf(backup_id, kind == Kind::kRestoreWithSafetyBackup);
  }
};

Scenario Prepare(Kind kind) {
  Scenario s;
  s.store = MakeDemoStore();
  s.backend = OpenBackend(s.store.config);
  const fs::path gpt = s.store.policies() / kServer;
  if (kind != Kind::kCopy) {
    core::Outcome backup = BackupGpo(*s.backend, kServer);
    EXPECT_FALSE(backup.error);
    if (!backup.error) s.backup_id = BackupIdOf(backup);
    s.new_settings = Settings(gpt);
    WriteBytes(gpt / "Machine" / "changed.txt", "after the backup");
    WriteBytes(gpt / "GPO.cmt", "changed");
    s.old_settings = Settings(gpt);
  } else {
    s.old_settings = Settings(gpt);
    s.new_settings = s.old_settings;
  }
  // The container half as a directory would hold it (the metadata store has a row).
  GpoMetadata row;
  row.guid = kServer;
  row.display_name = "Server Hardening";
  row.version = GptIniVersion(gpt);
  row.created_ms = 1700000000000;
  row.modified_ms = 1700000001000;
  EXPECT_TRUE(s.backend->metadata().PutGpo(row).ok());
  s.old_row = row;
  for (const auto& e : fs::directory_iterator(s.store.policies())) {
    s.gpts_before.insert(e.path().filename().string());
  }
  return s;
}

// The GPT folders below Policies that were not there before the run.
std::vector<fs::path> NewGpts(const Scenario& s) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(s.store.policies())) {
    const std::string name = e.path().filename().string();
    if (!s.gpts_before.count(name) && name != ".gpop-staging") out.push_back(e.path());
  }
  return out;
}

// Nothing staged below Policies or in the backup location, every backup folder whole.
void ExpectNothingLeftBehind(const Scenario& s) {
  const fs::path staging = s.store.policies() / ".gpop-staging";
  EXPECT_TRUE(!fs::exists(staging) || fs::is_empty(staging));
  for (const auto& e : fs::directory_iterator(s.store.location())) {
    const std::string name = e.path().filename().string();
    if (!e.is_directory()) continue;
    if (name.front() == '{') {
      EXPECT_TRUE(fs::exists(e.path() / "Backup.xml")) << name;
    } else {
      EXPECT_TRUE(fs::is_empty(e.path())) << name;  // a staging area
    }
  }
}

// The safety backups in the default location (their Backup.xml's folder names).
std::vector<std::string> SafetyBackups(SysvolBackend& backend) {
  std::vector<std::string> out;
  auto listed = backend.ListBackups({});
  EXPECT_TRUE(listed.ok());
  if (!listed.ok()) return out;
  for (const core::BackupInfo& b : *listed) {
    if (b.comment.find("gpop safety backup") != std::string::npos) out.push_back(b.backup_id);
  }
  return out;
}

class SysvolGpoWriteCrashTest : public ::testing::TestWithParam<Kind> {};

TEST_P(SysvolGpoWriteCrashTest, CrashAtEveryFaultPointLeavesOldOrNew) {
  const Kind kind = GetParam();
  int n = 1;
  int applied = 0;
  int kept_old = 0;
  for (; n < 20; ++n) {
    SCOPED_TRACE("crash at fault point call " + std::to_string(n));
    Scenario s = Prepare(kind);
    auto calls = std::make_shared<int>(0);
    s.backend->SetFaultHookForTesting([calls, n](FaultPoint) { return ++*calls == n; });
    RecordingSink sink;
    core::Outcome out = RunOp(*s.backend, s.Spec(kind), sink, nullptr, "op-write");
    if (*calls < n) {  // passed every fault point: the last n
      ASSERT_FALSE(out.error) << out.error->message;
      break;
    }
    ASSERT_TRUE(out.error);
    // Effects are the GPO's: a crash in the safety backup left it untouched.
    const bool in_safety_backup =
        out.error->message.find("the safety backup of") != std::string::npos;
    EXPECT_EQ(out.effects, in_safety_backup ? core::Effects::kNone : core::Effects::kUnknown);
    s.backend.reset();

    auto restarted = OpenBackend(s.store.config);
    ASSERT_NE(restarted, nullptr);
    auto resolved = restarted->ResolveLeftovers();
    ASSERT_TRUE(resolved.ok()) << resolved.error().message;
    std::optional<core::Outcome> recovered = restarted->Recover("op-write");
    ExpectNothingLeftBehind(s);

    // Which GPT is the written one, and did the write happen?
    fs::path target = s.store.policies() / kServer;
    bool is_new = false;
    if (kind == Kind::kCopy) {
      std::vector<fs::path> made = NewGpts(s);
      ASSERT_LE(made.size(), 1u);
      EXPECT_EQ(Settings(s.store.policies() / kServer), s.old_settings);  // the source
      EXPECT_EQ(StoredGpos(s.store.config).size(), made.size() + 1);      // a row only with a GPT
      if (!made.empty()) {
        target = made.front();
        is_new = true;
        EXPECT_EQ(Settings(target), s.new_settings);
        EXPECT_EQ(StoredGpo(s.store.config, target.filename().string()).display_name, kCopyName);
      }
    } else {
      EXPECT_TRUE(NewGpts(s).empty());
      const auto now = Settings(target);
      is_new = now == s.new_settings;
      if (!is_new) EXPECT_EQ(now, s.old_settings);  // old or new, never half
    }
    if (is_new) {
      ++applied;
      ASSERT_TRUE(recovered.has_value());
      ASSERT_FALSE(recovered->error) << recovered->error->message;
      EXPECT_EQ(recovered->effects, core::Effects::kApplied);
      const auto& gpo = std::get<core::GpoInfo>(recovered->result);
      const GpoMetadata row = StoredGpo(s.store.config, target.filename().string());
      EXPECT_EQ(row.version, gpo.version);
      EXPECT_EQ(GptIniVersion(target), gpo.version);
      if (kind != Kind::kCopy) EXPECT_GT(row.version & 0xFFFF, s.old_row.version & 0xFFFF);
      if (kind == Kind::kRestoreWithSafetyBackup) {
        // Overwritten only once its safety backup was whole; restoring it gives the old GPO.
        std::vector<std::string> safety = SafetyBackups(*restarted);
        ASSERT_EQ(safety.size(), 1u);
        RecordingSink undo_sink;
        core::Outcome undo = RunOp(*restarted, RestoreOf(safety.front(), false), undo_sink);
        ASSERT_FALSE(undo.error) << undo.error->message;
        EXPECT_EQ(Settings(target), s.old_settings);
      }
    } else {
      ++kept_old;
      if (recovered.has_value()) {
        EXPECT_NE(recovered->effects, core::Effects::kApplied);
      }
      if (kind != Kind::kCopy) {
        EXPECT_EQ(StoredGpo(s.store.config, kServer).version, s.old_row.version);
        EXPECT_EQ(GptIniVersion(target), s.old_row.version);
      }
      // A safety backup, if its publish got that far, is whole (ExpectNothingLeftBehind).
      EXPECT_LE(SafetyBackups(*restarted).size(), 1u);
    }
  }
  EXPECT_LT(n, 20);
  // Every fault point was reached; both outcomes happened.
  EXPECT_GE(n, kind == Kind::kRestoreWithSafetyBackup ? 9 : 5);
  EXPECT_GT(applied, 0);
  EXPECT_GT(kept_old, 0);
}

INSTANTIATE_TEST_SUITE_P(RestoreAndCopy, SysvolGpoWriteCrashTest,
                         ::testing::Values(Kind::kRestore, Kind::kRestoreWithSafetyBackup,
                                           Kind::kCopy),
                         [](const ::testing::TestParamInfo<Kind>& info) {
                           return KindName(info.param);
                         });

struct IoCase {
  Kind kind;
  FaultPoint point;
  int skip;      // matching calls let through first (1: past the safety backup's publish)
  bool lasting;  // every later matching call fails too; otherwise only one
};

std::string IoName(const ::testing::TestParamInfo<IoCase>& info) {
  const IoCase& c = info.param;
  return KindName(c.kind) +
         (c.point == FaultPoint::kAfterBackupRename ? "AfterRename" : "AfterMetadata") +
         (c.skip > 0 ? "InTheWrite" : "") + (c.lasting ? "Lasting" : "Passing");
}

class SysvolGpoWriteIoFaultTest : public ::testing::TestWithParam<IoCase> {};

TEST_P(SysvolGpoWriteIoFaultTest, AppliedAndRecoveryAgrees) {
  const IoCase c = GetParam();
  Scenario s = Prepare(c.kind);
  auto matching = std::make_shared<int>(0);
  auto fired = std::make_shared<int>(0);
  s.backend->SetIoFaultHookForTesting([c, matching, fired](FaultPoint p) {
    if (p != c.point) return false;
    if (++*matching <= c.skip) return false;
    if (!c.lasting && *fired > 0) return false;
    ++*fired;
    return true;
  });
  RecordingSink sink;
  core::Outcome out = RunOp(*s.backend, s.Spec(c.kind), sink, nullptr, "op-io-write");
  ASSERT_FALSE(out.error) << out.error->message;
  EXPECT_EQ(out.effects, core::Effects::kApplied);
  EXPECT_GE(*fired, 1);
  const core::GpoInfo reported = std::get<core::GpoInfo>(out.result);
  const fs::path target = s.store.policies() / reported.guid;
  EXPECT_EQ(Settings(target), s.new_settings);  // live now

  s.backend->SetIoFaultHookForTesting(nullptr);
  s.backend.reset();
  auto restarted = OpenBackend(s.store.config);
  ASSERT_NE(restarted, nullptr);
  auto resolved = restarted->ResolveLeftovers();
  ASSERT_TRUE(resolved.ok()) << resolved.error().message;
  ExpectNothingLeftBehind(s);
  EXPECT_EQ(Settings(target), s.new_settings);
  EXPECT_EQ(StoredGpo(s.store.config, reported.guid).version, reported.version);
  EXPECT_EQ(GptIniVersion(target), reported.version);
  auto gpos = restarted->ListGpos();
  ASSERT_TRUE(gpos.ok());
  int found = 0;
  for (const core::GpoInfo& g : *gpos) {
    if (g.guid != reported.guid) continue;
    ++found;
    EXPECT_EQ(g.version, reported.version);
    EXPECT_EQ(g.display_name, reported.display_name);
  }
  EXPECT_EQ(found, 1);
  std::optional<core::Outcome> recovered = restarted->Recover("op-io-write");
  ASSERT_TRUE(recovered.has_value());
  ASSERT_FALSE(recovered->error) << recovered->error->message;
  EXPECT_EQ(recovered->effects, core::Effects::kApplied);
  EXPECT_EQ(std::get<core::GpoInfo>(recovered->result).version, reported.version);

  if (c.kind == Kind::kRestoreWithSafetyBackup) {
    // The safety backup the run reported is whole, listed, and undoes the restore.
    ASSERT_FALSE(reported.safety_backup_id.empty());
    EXPECT_EQ(SafetyBackups(*restarted), std::vector<std::string>{reported.safety_backup_id});
    RecordingSink undo_sink;
    core::Outcome undo = RunOp(*restarted, RestoreOf(reported.safety_backup_id, false), undo_sink);
    ASSERT_FALSE(undo.error) << undo.error->message;
    EXPECT_EQ(Settings(target), s.old_settings);
  }
}

INSTANTIATE_TEST_SUITE_P(
    PastTheCommitPoint, SysvolGpoWriteIoFaultTest,
    ::testing::Values(
        IoCase{Kind::kRestore, FaultPoint::kAfterBackupRename, 0, false},
        IoCase{Kind::kRestore, FaultPoint::kAfterManifestRename, 0, true},
        IoCase{Kind::kCopy, FaultPoint::kAfterBackupRename, 0, true},
        IoCase{Kind::kCopy, FaultPoint::kAfterManifestRename, 0, false},
        // The first matching call is the safety backup's publish, the second the GPO write's.
        IoCase{Kind::kRestoreWithSafetyBackup, FaultPoint::kAfterBackupRename, 0, false},
        IoCase{Kind::kRestoreWithSafetyBackup, FaultPoint::kAfterBackupRename, 0, true},
        IoCase{Kind::kRestoreWithSafetyBackup, FaultPoint::kAfterManifestRename, 0, true},
        IoCase{Kind::kRestoreWithSafetyBackup, FaultPoint::kAfterBackupRename, 1, false},
        IoCase{Kind::kRestoreWithSafetyBackup, FaultPoint::kAfterManifestRename, 1, true}),
    IoName);

// A restore whose backup carries a security descriptor, stopped after its GPT is live but
// before the container half is written: recovery writes the backup's descriptor from the intent.
TEST(SysvolGpoWriteRecoveryTest, RecoveryPutsTheBackupsDescriptorFromTheIntent) {
  Scenario s = Prepare(Kind::kRestore);
  const std::string descriptor("\x01\x00\x04\x9c\x00\x20", 6);
  const fs::path xml = s.store.location() / s.backup_id / "Backup.xml";
  auto parsed = ParseBackupXml(ReadFileBytes(xml), "Backup.xml");
  ASSERT_TRUE(parsed.ok());
  parsed->core.security_descriptor = descriptor;
  WriteBytes(xml, WriteBackupXml(*parsed));
  s.backend->SetFaultHookForTesting(
      [](FaultPoint p) { return p == FaultPoint::kAfterBackupRename; });
  RecordingSink sink;
  core::Outcome out = RunOp(*s.backend, s.Spec(Kind::kRestore), sink, nullptr, "op-sd");
  ASSERT_TRUE(out.error);
  EXPECT_TRUE(StoredGpo(s.store.config, kServer).security_descriptor.empty());  // not yet
  s.backend.reset();

  auto restarted = OpenBackend(s.store.config);
  ASSERT_NE(restarted, nullptr);
  auto resolved = restarted->ResolveLeftovers();
  ASSERT_TRUE(resolved.ok()) << resolved.error().message;
  std::optional<core::Outcome> recovered = restarted->Recover("op-sd");
  ASSERT_TRUE(recovered.has_value());
  ASSERT_FALSE(recovered->error) << recovered->error->message;
  EXPECT_EQ(recovered->effects, core::Effects::kApplied);
  EXPECT_EQ(Settings(s.store.policies() / kServer), s.new_settings);
  EXPECT_EQ(StoredGpo(s.store.config, kServer).security_descriptor, descriptor);
}

// A COMMITTING intent for kServer (its GPT already live) with `descriptor` as its security
// descriptor field, or without the field.
Intent CommittingIntent(const std::string& id, const std::optional<std::string>& descriptor) {
  GpoMetadata target;
  target.guid = kServer;
  target.display_name = "Server Hardening (restored)";
  target.version = 0x00050005;
  Intent intent;
  intent.operation_id = id;
  intent.kind = kIntentGpoWrite;
  intent.root = "policies";
  intent.staging = "gone";
  intent.state = IntentState::kCommitting;
  intent.fields = GpoIntentFields(target);
  if (descriptor) {
    intent.fields["security_descriptor"] = *descriptor;
  } else {
    intent.fields.erase("security_descriptor");
  }
  return intent;
}

TEST(SysvolGpoWriteRecoveryTest, AMalformedDescriptorKeepsTheIntentOpen) {
  TestStore s = MakeDemoStore();
  // The container half as a directory would hold it (the demo store has no row yet).
  GpoMetadata row;
  row.guid = kServer;
  row.display_name = "Server Hardening";
  row.version = GptIniVersion(s.policies() / kServer);
  row.security_descriptor = std::string("\x01\x00\x04\x8c", 4);
  PutStoredGpo(s.config, row);
  {
    auto store = MetadataStore::Open(s.config.metadata_db);
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->RecordIntent(CommittingIntent("op-bad", "01 0g 04")).ok());
    ASSERT_TRUE((*store)->RecordIntent(CommittingIntent("op-old", std::nullopt)).ok());
  }
  const std::vector<std::string> rows_before = StoredGpos(s.config);

  auto backend = OpenBackend(s.config);
  ASSERT_NE(backend, nullptr);
  std::optional<core::Outcome> bad = backend->Recover("op-bad");
  ASSERT_TRUE(bad.has_value());
  ASSERT_TRUE(bad->error);
  EXPECT_EQ(bad->effects, core::Effects::kUnknown);
  EXPECT_NE(bad->error->message.find("unreadable security descriptor"), std::string::npos)
      << bad->error->message;
  EXPECT_EQ(StoredGpos(s.config), rows_before);  // the descriptor is not wiped
  auto resolved = backend->ResolveLeftovers();
  ASSERT_TRUE(resolved.ok()) << resolved.error().message;
  auto open = backend->metadata().OpenIntents();
  ASSERT_TRUE(open.ok());
  ASSERT_EQ(open->size(), 1u);  // the old intent is resolved, the unreadable one stays
  EXPECT_EQ(open->front().operation_id, "op-bad");

  // An intent recorded before the field existed publishes an empty descriptor, as it meant to.
  std::optional<core::Outcome> old = backend->Recover("op-old");
  ASSERT_TRUE(old.has_value());
  ASSERT_FALSE(old->error) << old->error->message;
  EXPECT_EQ(old->effects, core::Effects::kApplied);
  const GpoMetadata now = StoredGpo(s.config, kServer);
  EXPECT_EQ(now.display_name, "Server Hardening (restored)");
  EXPECT_TRUE(now.security_descriptor.empty());
}

}  // namespace
}  // namespace gpop::sysvol::testing
