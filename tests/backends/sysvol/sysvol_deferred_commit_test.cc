// A backup's metadata commits that are not synced on their own (Durability::kDeferred): the
// intent's STAGING record, its DONE mark and its ROLLED_BACK mark. A crash of the machine may
// lose any of them (never a later synced commit: the WAL keeps the order). These tests make the
// state such a loss leaves (the metadata store's row as it was before the lost commit, the
// staging folder whose removal was not fsynced back or not) and check that recovery and the
// start-up sweep still end at effects NONE or APPLIED, as the synced commit would have.

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <set>

#include "service/backends/sysvol/format/manifest.h"
#include "service/backends/sysvol/sysvol_backend.h"
#include "tests/backends/sysvol/sysvol_test_fixture.h"

namespace gpop::sysvol::testing {
namespace {

// Runs `sql` on the metadata store's file with a raw connection (the backend is closed): the
// file as a crash that lost the last unsynced commit leaves it.
void RawExec(const fs::path& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.string().c_str(), &db), SQLITE_OK);
  char* error = nullptr;
  int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  std::string message = error != nullptr ? error : "";
  sqlite3_free(error);
  sqlite3_close(db);
  ASSERT_EQ(rc, SQLITE_OK) << message;
}

std::map<std::string, std::string> Published(const TestStore& store) {
  std::map<std::string, std::string> snap = Snapshot(store.location());
  snap.erase(".gpop-staging");
  return snap;
}

bool StagingEmpty(const TestStore& store) {
  fs::path staging = store.location() / ".gpop-staging";
  return !fs::exists(staging) || fs::is_empty(staging);
}

size_t ManifestSize(const TestStore& store) {
  auto m = ParseManifest(ReadFileBytes(store.location() / "manifest.xml"), "manifest.xml");
  return m.ok() ? m->backups.size() : 0;
}

// Whether the staging folder whose unsynced removal a crash undid is back (empty: both renames
// out of it were made durable by the location's fsync).
enum class StagingBack { kNo, kYes };

class SysvolLostDoneTest : public ::testing::TestWithParam<StagingBack> {};

// The DONE mark is committed without a sync: a crash may lose it after the run reported
// SUCCEEDED / APPLIED. The intent is then COMMITTING with its backup published; recovery's
// roll-forward finds both renames made and the manifest current: APPLIED, the same backup,
// nothing written twice.
TEST_P(SysvolLostDoneTest, RecoveryRollsThePublishedBackupForwardOnce) {
  TestStore store = MakeDemoStore();
  std::string staging_name;
  core::BackupInfo done;
  {
    auto backend = OpenBackend(store.config);
    ASSERT_NE(backend, nullptr);
    RecordingSink sink;
    ASSERT_FALSE(RunOp(*backend, BackupOf(kWorkstation), sink).error);
    core::Outcome out = RunOp(*backend, BackupOf(kWorkstation), sink, nullptr, "op-lost-done");
    ASSERT_FALSE(out.error) << out.error->message;
    ASSERT_EQ(out.effects, core::Effects::kApplied);
    done = std::get<core::BackupInfo>(out.result);
    auto intent = backend->metadata().GetIntent("op-lost-done");
    ASSERT_TRUE(intent.ok() && intent->has_value());
    ASSERT_EQ((*intent)->state, IntentState::kDone);
    staging_name = (*intent)->staging;
  }  // the machine crashes
  const auto after_run = Published(store);
  ASSERT_EQ(ManifestSize(store), 2u);
  RawExec(store.config.metadata_db,
          "UPDATE intents SET state = 'COMMITTING' WHERE operation_id = 'op-lost-done'");
  if (GetParam() == StagingBack::kYes) {
    fs::create_directories(store.location() / ".gpop-staging" / staging_name);
  }

  auto restarted = OpenBackend(store.config);
  ASSERT_NE(restarted, nullptr);
  auto resolved = restarted->ResolveLeftovers();
  ASSERT_TRUE(resolved.ok()) << resolved.error().message;
  EXPECT_EQ(*resolved, std::vector<std::string>{"op-lost-done"});
  std::optional<core::Outcome> recovered = restarted->Recover("op-lost-done");
  ASSERT_TRUE(recovered.has_value());
  ASSERT_FALSE(recovered->error) << recovered->error->message;
  EXPECT_EQ(recovered->effects, core::Effects::kApplied);
  EXPECT_EQ(std::get<core::BackupInfo>(recovered->result).backup_id, done.backup_id);
  // Byte for byte what the run left: no second folder, the manifest not rewritten.
  EXPECT_EQ(Published(store), after_run);
  EXPECT_EQ(ManifestSize(store), 2u);
  EXPECT_TRUE(StagingEmpty(store));
  auto intent = restarted->metadata().GetIntent("op-lost-done");
  ASSERT_TRUE(intent.ok() && intent->has_value());
  EXPECT_EQ((*intent)->state, IntentState::kDone);
}

INSTANTIATE_TEST_SUITE_P(StagingFolder, SysvolLostDoneTest,
                         ::testing::Values(StagingBack::kNo, StagingBack::kYes),
                         [](const auto& info) {
                           return info.param == StagingBack::kYes ? std::string("StagingBack")
                                                                  : std::string("StagingGone");
                         });

// The STAGING record is committed without a sync (the COMMITTING commit syncs it): a crash
// before the commit point may lose it. The staging folder is then owned by no intent: the
// start-up sweep removes it and the operation has no intent to recover: effects NONE.
TEST(SysvolLostStagingRecordTest, TheSweepRemovesTheStagingFolderAndNothingIsPublished) {
  TestStore store = MakeDemoStore();
  std::map<std::string, std::string> before;
  {
    auto backend = OpenBackend(store.config);
    ASSERT_NE(backend, nullptr);
    RecordingSink sink;
    ASSERT_FALSE(RunOp(*backend, BackupOf(kWorkstation), sink).error);
    before = Published(store);
    backend->SetFaultHookForTesting([](FaultPoint p) { return p == FaultPoint::kAfterStaging; });
    core::Outcome crashed = RunOp(*backend, BackupOf(kWorkstation), sink, nullptr, "op-lost-rec");
    ASSERT_TRUE(crashed.error);
  }
  ASSERT_FALSE(StagingEmpty(store));  // the whole staged backup and its manifest
  RawExec(store.config.metadata_db,
          "DELETE FROM intent_fields WHERE operation_id = 'op-lost-rec';"
          "DELETE FROM intents WHERE operation_id = 'op-lost-rec';");

  auto restarted = OpenBackend(store.config);
  ASSERT_NE(restarted, nullptr);
  auto resolved = restarted->ResolveLeftovers();
  ASSERT_TRUE(resolved.ok()) << resolved.error().message;
  EXPECT_TRUE(resolved->empty());
  EXPECT_FALSE(restarted->Recover("op-lost-rec").has_value());  // effects NONE
  EXPECT_TRUE(StagingEmpty(store));
  EXPECT_EQ(Published(store), before);
}

// The ROLLED_BACK mark of a cancelled backup is committed without a sync: a crash may lose it,
// leaving STAGING (its staging folder already removed), which recovery rolls back again: NONE.
TEST(SysvolLostRolledBackTest, RecoveryRollsBackAgain) {
  TestStore store = MakeDemoStore();
  std::map<std::string, std::string> before;
  {
    auto backend = OpenBackend(store.config);
    ASSERT_NE(backend, nullptr);
    RecordingSink sink;
    ASSERT_FALSE(RunOp(*backend, BackupOf(kWorkstation), sink).error);
    before = Published(store);
    core::CancelToken token;
    RecordingSink cancelling(&token, 2);  // cancels at the second progress call
    core::Outcome out =
        RunOp(*backend, BackupOf(kWorkstation), cancelling, &token, "op-lost-rollback");
    ASSERT_TRUE(out.error);
    ASSERT_EQ(out.error->code, core::Code::kCancelled);
    auto intent = backend->metadata().GetIntent("op-lost-rollback");
    ASSERT_TRUE(intent.ok() && intent->has_value());
    ASSERT_EQ((*intent)->state, IntentState::kRolledBack);
  }
  RawExec(store.config.metadata_db,
          "UPDATE intents SET state = 'STAGING' WHERE operation_id = 'op-lost-rollback'");

  auto restarted = OpenBackend(store.config);
  ASSERT_NE(restarted, nullptr);
  auto resolved = restarted->ResolveLeftovers();
  ASSERT_TRUE(resolved.ok()) << resolved.error().message;
  EXPECT_EQ(*resolved, std::vector<std::string>{"op-lost-rollback"});
  EXPECT_FALSE(restarted->Recover("op-lost-rollback").has_value());  // effects NONE
  EXPECT_TRUE(StagingEmpty(store));
  EXPECT_EQ(Published(store), before);
  auto intent = restarted->metadata().GetIntent("op-lost-rollback");
  ASSERT_TRUE(intent.ok() && intent->has_value());
  EXPECT_EQ((*intent)->state, IntentState::kRolledBack);
}

// The deferred commits are durable once a synced one follows: the next backup's COMMITTING
// commit (synced) carries the previous backup's DONE mark with it, whatever the connection's
// mode was; a reopened store reads every state as written.
TEST(SysvolDeferredCommitTest, StatesReadBackAfterReopen) {
  TestStore store = MakeDemoStore();
  std::vector<std::string> ids;
  {
    auto backend = OpenBackend(store.config);
    ASSERT_NE(backend, nullptr);
    for (int i = 0; i < 3; ++i) {
      RecordingSink sink;
      const std::string id = "op-deferred-" + std::to_string(i);
      ASSERT_FALSE(RunOp(*backend, BackupOf(kWorkstation), sink, nullptr, id).error);
      ids.push_back(id);
    }
  }
  auto restarted = OpenBackend(store.config);
  ASSERT_NE(restarted, nullptr);
  for (const std::string& id : ids) {
    auto intent = restarted->metadata().GetIntent(id);
    ASSERT_TRUE(intent.ok() && intent->has_value()) << id;
    EXPECT_EQ((*intent)->state, IntentState::kDone) << id;
  }
  auto open = restarted->metadata().OpenIntents();
  ASSERT_TRUE(open.ok());
  EXPECT_TRUE(open->empty());
}

}  // namespace
}  // namespace gpop::sysvol::testing
