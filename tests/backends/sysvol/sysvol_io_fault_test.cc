// An I/O error past the commit point (after the new GPT or backup folder is renamed into
// place: the fsync, the container half or manifest, the intent's DONE mark). A passing error is
// retried and the run is APPLIED as if nothing happened; a lasting one still reports APPLIED,
// with a warning, since the change is live, and the next start finishes the bookkeeping so that
// store, listings and recovery agree with what the run reported.

#include <gtest/gtest.h>

#include "service/backends/sysvol/format/manifest.h"
#include "service/backends/sysvol/sysvol_backend.h"
#include "tests/backends/sysvol/sysvol_test_fixture.h"

namespace gpop::sysvol::testing {
namespace {


struct Case {
  FaultPoint point;
  bool lasting;  // every attempt fails at `point`; otherwise only the first
};

std::string Name(const ::testing::TestParamInfo<Case>& info) {
  return std::string(info.param.point == FaultPoint::kAfterBackupRename ? "AfterRename"
                                                                        : "AfterMetadata") +
         (info.param.lasting ? "Lasting" : "Passing");
}

class SysvolIoFaultTest : public BackendTest<::testing::TestWithParam<Case>> {
 protected:
  // Arms the I/O hook of `backend_` for the case; returns how often it fired.
  std::shared_ptr<int> Arm() {
    auto fired = std::make_shared<int>(0);
    const Case c = GetParam();
    backend_->SetIoFaultHookForTesting([c, fired](FaultPoint p) {
      if (p != c.point || (!c.lasting && *fired > 0)) return false;
      ++*fired;
      return true;
    });
    return fired;
  }

  static int Warnings(const RecordingSink& sink) {
    int n = 0;
    for (const auto& m : sink.messages) {
      if (m.severity == core::Severity::kWarning &&
          m.message.find("at the next start") != std::string::npos) {
        ++n;
      }
    }
    return n;
  }
};

TEST_P(SysvolIoFaultTest, ImportIsAppliedAndRecoveryAgrees) {
  RecordingSink sink;
  core::Outcome backup = RunOp(*backend_, BackupOf(kServer), sink);
  ASSERT_FALSE(backup.error);
  const auto want = Snapshot(store_.policies() / kServer / "Machine");
  core::ImportSpec spec;
  spec.backup.backup_id = BackupIdOf(backup);
  spec.target.guid = kWorkstation;
  spec.safety_backup = false;
  auto fired = Arm();
  RecordingSink run_sink;
  core::Outcome out = RunOp(*backend_, spec, run_sink, nullptr, "op-io");
  ASSERT_FALSE(out.error) << out.error->message;
  EXPECT_EQ(out.effects, core::Effects::kApplied);
  EXPECT_EQ(*fired, GetParam().lasting ? 3 : 1);  // the first attempt and two retries
  EXPECT_EQ(Warnings(run_sink), GetParam().lasting ? 1 : 0);
  const core::GpoInfo reported = std::get<core::GpoInfo>(out.result);
  EXPECT_EQ(Snapshot(store_.policies() / kWorkstation / "Machine"), want);  // live now

  // The next start finishes what the run left: the container half says what the run reported,
  // the staging is gone, the settings stay as published, recovery reports the same GPO.
  backend_->SetIoFaultHookForTesting(nullptr);
  backend_.reset();
  auto restarted = OpenBackend(store_.config);
  ASSERT_NE(restarted, nullptr);
  auto resolved = restarted->ResolveLeftovers();
  ASSERT_TRUE(resolved.ok()) << resolved.error().message;
  EXPECT_EQ(Snapshot(store_.policies() / kWorkstation / "Machine"), want);
  EXPECT_TRUE(!fs::exists(store_.policies() / ".gpop-staging") ||
              fs::is_empty(store_.policies() / ".gpop-staging"));
  auto gpos = restarted->ListGpos();
  ASSERT_TRUE(gpos.ok());
  bool found = false;
  for (const core::GpoInfo& g : *gpos) {
    if (g.guid != kWorkstation) continue;
    found = true;
    EXPECT_EQ(g.version, reported.version);
  }
  EXPECT_TRUE(found);
  std::optional<core::Outcome> recovered = restarted->Recover("op-io");
  ASSERT_TRUE(recovered.has_value());
  ASSERT_FALSE(recovered->error) << recovered->error->message;
  EXPECT_EQ(recovered->effects, core::Effects::kApplied);
  EXPECT_EQ(std::get<core::GpoInfo>(recovered->result).version, reported.version);
}

TEST_P(SysvolIoFaultTest, BackupIsAppliedAndRecoveryAgrees) {
  auto fired = Arm();
  RecordingSink sink;
  core::Outcome out = RunOp(*backend_, BackupOf(kWorkstation), sink, nullptr, "op-io-backup");
  ASSERT_FALSE(out.error) << out.error->message;
  EXPECT_EQ(out.effects, core::Effects::kApplied);
  EXPECT_GE(*fired, 1);
  const std::string id = std::get<core::BackupInfo>(out.result).backup_id;
  EXPECT_TRUE(fs::exists(store_.location() / id / "Backup.xml"));
  backend_->SetIoFaultHookForTesting(nullptr);
  backend_.reset();
  auto restarted = OpenBackend(store_.config);
  ASSERT_NE(restarted, nullptr);
  ASSERT_TRUE(restarted->ResolveLeftovers().ok());
  // The manifest lists the backup exactly once, and the listing agrees with the result.
  auto manifest = ParseManifest(ReadFileBytes(store_.location() / "manifest.xml"), "manifest");
  ASSERT_TRUE(manifest.ok());
  ASSERT_EQ(manifest->backups.size(), 1u);
  auto listed = restarted->ListBackups({});
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].backup_id, id);
  std::optional<core::Outcome> recovered = restarted->Recover("op-io-backup");
  ASSERT_TRUE(recovered.has_value());
  EXPECT_EQ(recovered->effects, core::Effects::kApplied);
}

INSTANTIATE_TEST_SUITE_P(PastTheCommitPoint, SysvolIoFaultTest,
                         ::testing::Values(Case{FaultPoint::kAfterBackupRename, false},
                                           Case{FaultPoint::kAfterBackupRename, true},
                                           Case{FaultPoint::kAfterManifestRename, false},
                                           Case{FaultPoint::kAfterManifestRename, true}),
                         Name);

}  // namespace
}  // namespace gpop::sysvol::testing
