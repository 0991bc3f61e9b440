// A cancel at every progress call of a restore (into the live GPO and re-creating a deleted one)
// and of a copy: effects NONE leaves the SYSVOL tree and the metadata store's GPO rows as they
// were (a copy leaves no half-made GPT and no row), effects APPLIED is the whole change.
// (The import's own cancel test is SysvolRestoreTest.CancelAtEveryMomentLeavesNoneOrApplied.)

#include <gtest/gtest.h>

#include "tests/backends/sysvol/gpo_write_test_util.h"
#include "tests/backends/sysvol/sysvol_test_fixture.h"

namespace gpop::sysvol::testing {
namespace {

// Every backup folder of a location holds its Backup.xml (no half-written backup).
void ExpectOnlyWholeBackups(const fs::path& location) {
  for (const auto& e : fs::directory_iterator(location)) {
    const std::string name = e.path().filename().string();
    if (!e.is_directory() || name.front() != '{') continue;
    EXPECT_TRUE(fs::exists(e.path() / "Backup.xml")) << name;
  }
}

class SysvolGpoWriteCancelTest : public ::testing::TestWithParam<bool> {};

TEST_P(SysvolGpoWriteCancelTest, RestoreCancelledAtEveryMomentLeavesNoneOrApplied) {
  const bool recreate = GetParam();  // the GPO is deleted before each restore
  TestStore s = MakeDemoStore();
  auto backend = OpenBackend(s.config);
  core::Outcome backup = BackupGpo(*backend, kServer);
  ASSERT_FALSE(backup.error);
  const fs::path gpt = s.policies() / kServer;
  const auto want = Settings(gpt);
  int cancelled = 0;
  int k = 1;
  for (; k < 80; ++k) {
    SCOPED_TRACE(k);
    // Something for the restore to change.
    if (recreate) {
      fs::remove_all(gpt);
    } else {
      WriteBytes(gpt / "Machine" / "changed.txt", "run " + std::to_string(k));
    }
    const auto tree_before = Snapshot(s.config.sysvol_dir);
    const auto rows_before = StoredGpos(s.config);
    core::CancelToken token;
    RecordingSink sink(&token, k);
    core::Outcome out = RunOp(*backend, RestoreOf(BackupIdOf(backup)), sink, &token);
    if (out.error) {
      ++cancelled;
      EXPECT_EQ(out.error->code, core::Code::kCancelled) << out.error->message;
      EXPECT_EQ(out.effects, core::Effects::kNone);
      EXPECT_EQ(Snapshot(s.config.sysvol_dir), tree_before);
      EXPECT_EQ(StoredGpos(s.config), rows_before);
    } else {
      EXPECT_EQ(out.effects, core::Effects::kApplied);
      EXPECT_EQ(Settings(gpt), want);
      const auto& gpo = std::get<core::GpoInfo>(out.result);
      EXPECT_EQ(GptIniVersion(gpt), gpo.version);
      EXPECT_EQ(StoredGpo(s.config, kServer).version, gpo.version);
      EXPECT_EQ(StoredGpo(s.config, kServer).display_name, "Server Hardening");
      EXPECT_FALSE(fs::exists(s.policies() / ".gpop-staging"));
      if (static_cast<int>(sink.progress.size()) < k) break;  // finished before the cancel
    }
    EXPECT_FALSE(fs::exists(s.policies() / ".gpop-staging"));  // nothing left behind
    ExpectOnlyWholeBackups(s.location());
  }
  EXPECT_LT(k, 80);         // the loop reached a run that finished before its cancel
  EXPECT_GT(cancelled, 2);  // and cancelled runs at several moments before that
}

INSTANTIATE_TEST_SUITE_P(LiveAndDeleted, SysvolGpoWriteCancelTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return std::string(info.param ? "Recreated" : "Overwritten");
                         });

// A restore cancelled once its safety backup is published: effects NONE (the GPO is untouched;
// effects are the target's), and the safety backup stays, whole, named in the error and in a
// status message.
TEST(SysvolGpoWriteCancelTest, ACancelAfterTheSafetyBackupKeepsItAndNamesIt) {
  TestStore s = MakeDemoStore();
  auto backend = OpenBackend(s.config);
  core::Outcome backup = BackupGpo(*backend, kServer);
  ASSERT_FALSE(backup.error);
  const fs::path gpt = s.policies() / kServer;
  WriteBytes(gpt / "Machine" / "changed.txt", "after the backup");
  const auto settings_before = Settings(gpt);
  const auto rows_before = StoredGpos(s.config);
  core::CancelToken token;
  RecordingSink sink(&token, 1);  // the write's first progress call: the safety backup is done
  core::Outcome out = RunOp(*backend, RestoreOf(BackupIdOf(backup), true), sink, &token);
  ASSERT_TRUE(out.error);
  EXPECT_EQ(out.error->code, core::Code::kCancelled) << out.error->message;
  EXPECT_EQ(out.effects, core::Effects::kNone);
  EXPECT_EQ(Settings(gpt), settings_before);
  EXPECT_EQ(StoredGpos(s.config), rows_before);
  ExpectOnlyWholeBackups(s.location());
  auto listed = backend->ListBackups({});
  ASSERT_TRUE(listed.ok());
  std::string safety_id;
  for (const core::BackupInfo& b : *listed) {
    if (b.comment.find("gpop safety backup") != std::string::npos) safety_id = b.backup_id;
  }
  ASSERT_FALSE(safety_id.empty());
  EXPECT_NE(out.error->message.find(safety_id), std::string::npos) << out.error->message;
  int named = 0;
  for (const auto& m : sink.messages) {
    if (m.message.find("safety backup " + safety_id) == std::string::npos) continue;
    EXPECT_EQ(m.severity, core::Severity::kInfo);
    ++named;
  }
  EXPECT_EQ(named, 1);
  // It is the GPO as it was: restoring it keeps the settings.
  RecordingSink undo_sink;
  core::Outcome undo = RunOp(*backend, RestoreOf(safety_id, false), undo_sink);
  ASSERT_FALSE(undo.error) << undo.error->message;
  EXPECT_EQ(Settings(gpt), settings_before);
}

TEST(SysvolGpoWriteCancelTest, CopyCancelledAtEveryMomentLeavesNoHalfMadeGpo) {
  TestStore s = MakeDemoStore();
  auto backend = OpenBackend(s.config);
  const auto source = Settings(s.policies() / kServer);
  int cancelled = 0;
  int k = 1;
  for (; k < 80; ++k) {
    SCOPED_TRACE(k);
    const auto tree_before = Snapshot(s.config.sysvol_dir);
    const auto rows_before = StoredGpos(s.config);
    auto listed_before = backend->ListGpos();
    ASSERT_TRUE(listed_before.ok());
    core::CopySpec spec;
    spec.source.guid = kServer;
    spec.new_display_name = "Copy " + std::to_string(k);
    core::CancelToken token;
    RecordingSink sink(&token, k);
    core::Outcome out = RunOp(*backend, spec, sink, &token);
    if (out.error) {
      ++cancelled;
      EXPECT_EQ(out.error->code, core::Code::kCancelled) << out.error->message;
      EXPECT_EQ(out.effects, core::Effects::kNone);
      EXPECT_EQ(Snapshot(s.config.sysvol_dir), tree_before);  // no half-made GPT
      EXPECT_EQ(StoredGpos(s.config), rows_before);           // no row
      auto listed = backend->ListGpos();
      ASSERT_TRUE(listed.ok());
      EXPECT_EQ(listed->size(), listed_before->size());
      for (const core::GpoInfo& g : *listed) EXPECT_NE(g.display_name, spec.new_display_name);
    } else {
      EXPECT_EQ(out.effects, core::Effects::kApplied);
      const auto& gpo = std::get<core::GpoInfo>(out.result);
      EXPECT_EQ(Settings(s.policies() / gpo.guid), source);
      EXPECT_EQ(GptIniVersion(s.policies() / gpo.guid), gpo.version);
      const GpoMetadata row = StoredGpo(s.config, gpo.guid);
      EXPECT_EQ(row.display_name, spec.new_display_name);
      EXPECT_EQ(row.version, gpo.version);
      EXPECT_EQ(StoredGpos(s.config).size(), rows_before.size() + 1);
      if (static_cast<int>(sink.progress.size()) < k) break;  // finished before the cancel
    }
    EXPECT_FALSE(fs::exists(s.policies() / ".gpop-staging"));  // nothing left behind
  }
  EXPECT_LT(k, 80);
  EXPECT_GT(cancelled, 2);
}

}  // namespace
}  // namespace gpop::sysvol::testing
