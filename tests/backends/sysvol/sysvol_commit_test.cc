// The sysvol backend's commit protocol: a cancel at every progress call and a crash at every
// fault point leave effects NONE (nothing behind) or APPLIED (everything), and recovery and the
// start-up sweep resolve what a crash left.

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <thread>

#include "service/backends/sysvol/backup_folder.h"
#include "service/backends/sysvol/format/backup_inst.h"
#include "service/backends/sysvol/format/manifest.h"
#include "service/backends/sysvol/sysvol_backend.h"
#include "tests/backends/sysvol/sysvol_test_fixture.h"

namespace gpop::sysvol::testing {
namespace {

// The location without its (possibly empty) staging folder.
std::map<std::string, std::string> Published(const testing::TestStore& store) {
  std::map<std::string, std::string> snap = Snapshot(store.location());
  snap.erase(".gpop-staging");
  return snap;
}

bool StagingEmpty(const testing::TestStore& store) {
  fs::path staging = store.location() / ".gpop-staging";
  return !fs::exists(staging) || fs::is_empty(staging);
}

size_t ManifestSize(const testing::TestStore& store) {
  auto m = ParseManifest(ReadFileBytes(store.location() / "manifest.xml"), "manifest.xml");
  return m.ok() ? m->backups.size() : 0;
}

size_t BackupFolders(const testing::TestStore& store) {
  size_t n = 0;
  for (auto& e : fs::directory_iterator(store.location())) {
    if (e.is_directory() && e.path().filename().string().front() == '{') ++n;
  }
  return n;
}

TEST(SysvolCommitTest, CancelAtEveryProgressCallLeavesNothingOrEverything) {
  TestStore store = MakeDemoStore();
  auto backend = OpenBackend(store.config);
  ASSERT_NE(backend, nullptr);
  // One backup first, so that the manifest exists and must stay byte for byte unchanged.
  RecordingSink first;
  core::Outcome base = RunOp(*backend, BackupOf(kWorkstation), first);
  ASSERT_FALSE(base.error) << base.error->message;
  // Progress is rate-limited at the source (CopyProgress): a small GPO reports a few values,
  // each a moment at which a cancel can arrive.
  const int calls = static_cast<int>(first.progress.size());
  ASSERT_GE(calls, 4);
  // Progress counts real work: it only grows and ends at the denominator.
  for (size_t i = 1; i < first.progress.size(); ++i) {
    EXPECT_GE(first.progress[i].first, first.progress[i - 1].first);
    EXPECT_EQ(first.progress[i].second, first.progress[0].second);
  }
  EXPECT_EQ(first.progress.back().first, first.progress.back().second);

  int cancelled = 0;
  int applied = 0;
  for (int k = 1; k <= calls + 1; ++k) {
    SCOPED_TRACE("cancel at progress call " + std::to_string(k));
    auto before = Published(store);
    size_t manifest_before = ManifestSize(store);
    core::CancelToken token;
    RecordingSink sink(&token, k);
    core::Outcome out = RunOp(*backend, BackupOf(kWorkstation), sink, &token);
    EXPECT_TRUE(StagingEmpty(store));
    if (out.error) {
      EXPECT_EQ(out.error->code, core::Code::kCancelled) << out.error->message;
      EXPECT_EQ(out.effects, core::Effects::kNone);
      EXPECT_EQ(Published(store), before);  // no new folder, manifest unchanged
      ++cancelled;
    } else {
      EXPECT_EQ(out.effects, core::Effects::kApplied);
      EXPECT_EQ(ManifestSize(store), manifest_before + 1);
      const auto& info = std::get<core::BackupInfo>(out.result);
      EXPECT_TRUE(fs::exists(store.location() / info.backup_id / "Backup.xml"));
      ++applied;
    }
  }
  EXPECT_EQ(cancelled, calls);  // every cancel before the commit point took effect
  EXPECT_EQ(applied, 1);        // the cancel that came after the last progress call did not
  EXPECT_EQ(BackupFolders(store), ManifestSize(store));
}

TEST(SysvolCommitTest, CancelBeforeStartAndAfterCommit) {
  TestStore store = MakeDemoStore();
  auto backend = OpenBackend(store.config);
  ASSERT_NE(backend, nullptr);
  core::CancelToken before;
  before.RequestCancel();
  RecordingSink sink;
  core::Outcome out = RunOp(*backend, BackupOf(kWorkstation), sink, &before);
  ASSERT_TRUE(out.error);
  EXPECT_EQ(out.error->code, core::Code::kCancelled);
  EXPECT_EQ(out.effects, core::Effects::kNone);
  EXPECT_EQ(BackupFolders(store), 0u);
  EXPECT_FALSE(fs::exists(store.location() / "manifest.xml"));

  // A cancel that arrives once the commit point has passed does not apply.
  core::CancelToken token;
  backend->SetFaultHookForTesting([&](FaultPoint p) {
    if (p == FaultPoint::kAfterCommitRecord) EXPECT_FALSE(token.RequestCancel());
    return false;
  });
  out = RunOp(*backend, BackupOf(kWorkstation), sink, &token);
  ASSERT_FALSE(out.error) << out.error->message;
  EXPECT_EQ(out.effects, core::Effects::kApplied);
}

class SysvolCrashTest : public ::testing::TestWithParam<FaultPoint> {};

TEST_P(SysvolCrashTest, RecoverRollsForwardOrBack) {
  const FaultPoint point = GetParam();
  TestStore store = MakeDemoStore();
  auto backend = OpenBackend(store.config);
  ASSERT_NE(backend, nullptr);
  RecordingSink sink;
  ASSERT_FALSE(RunOp(*backend, BackupOf(kWorkstation), sink).error);
  auto before = Published(store);

  backend->SetFaultHookForTesting([point](FaultPoint p) { return p == point; });
  core::Outcome crashed = RunOp(*backend, BackupOf(kWorkstation), sink, nullptr, "op-crash");
  ASSERT_TRUE(crashed.error);
  EXPECT_EQ(crashed.effects, core::Effects::kUnknown);
  backend.reset();  // the process dies

  auto restarted = OpenBackend(store.config);
  ASSERT_NE(restarted, nullptr);
  std::optional<core::Outcome> recovered = restarted->Recover("op-crash");
  if (point == FaultPoint::kAfterStaging) {
    EXPECT_FALSE(recovered.has_value());  // rolled back: effects NONE
    EXPECT_EQ(Published(store), before);
  } else {
    ASSERT_TRUE(recovered.has_value());
    ASSERT_FALSE(recovered->error) << recovered->error->message;
    EXPECT_EQ(recovered->effects, core::Effects::kApplied);
    const auto& info = std::get<core::BackupInfo>(recovered->result);
    EXPECT_TRUE(fs::exists(store.location() / info.backup_id / "gpreport.xml"));
    EXPECT_EQ(ManifestSize(store), 2u);
    EXPECT_EQ(BackupFolders(store), 2u);
  }
  EXPECT_TRUE(StagingEmpty(store));
  // Recovering again gives the same answer.
  std::optional<core::Outcome> again = restarted->Recover("op-crash");
  EXPECT_EQ(again.has_value(), recovered.has_value());
  // Unknown operations have no intent.
  EXPECT_FALSE(restarted->Recover("op-never-ran").has_value());
}

TEST_P(SysvolCrashTest, StartUpSweepResolvesLeftovers) {
  const FaultPoint point = GetParam();
  TestStore store = MakeDemoStore();
  auto backend = OpenBackend(store.config);
  ASSERT_NE(backend, nullptr);
  backend->SetFaultHookForTesting([point](FaultPoint p) { return p == point; });
  RecordingSink sink;
  ASSERT_TRUE(RunOp(*backend, BackupOf(kWorkstation), sink, nullptr, "op-sweep").error);
  backend.reset();
  // Garbage no intent owns: an orphan staging folder and a temporary manifest.
  fs::create_directories(store.location() / ".gpop-staging" / "op-orphan" / "x");
  testing::WriteBytes(store.location() / ".manifest.xml.tmp-0123", "partial");

  auto restarted = OpenBackend(store.config);
  ASSERT_NE(restarted, nullptr);
  auto resolved = restarted->ResolveLeftovers();
  ASSERT_TRUE(resolved.ok()) << resolved.error().message;
  EXPECT_EQ(*resolved, std::vector<std::string>{"op-sweep"});
  EXPECT_TRUE(StagingEmpty(store));
  EXPECT_FALSE(fs::exists(store.location() / ".manifest.xml.tmp-0123"));
  const size_t expected = point == FaultPoint::kAfterStaging ? 0u : 1u;
  EXPECT_EQ(BackupFolders(store), expected);
  EXPECT_EQ(ManifestSize(store), expected);
  // The engine's later Recover sees the same outcome.
  EXPECT_EQ(restarted->Recover("op-sweep").has_value(), expected == 1u);
}

INSTANTIATE_TEST_SUITE_P(AllFaultPoints, SysvolCrashTest,
                         ::testing::Values(FaultPoint::kAfterStaging,
                                           FaultPoint::kAfterCommitRecord,
                                           FaultPoint::kAfterBackupRename,
                                           FaultPoint::kAfterManifestRename));

// The publish fsyncs the location once, after both renames (the backup folder's, then the
// manifest's): a crash before that fsync may leave either rename on disk without the other.
// Recovery finishes both cases. Simulated from a crash right after the two renames by undoing
// one of them (the other is then the only one that reached the disk).
enum class LostRename { kFolder, kManifest };

class SysvolLostRenameTest : public ::testing::TestWithParam<LostRename> {};

TEST_P(SysvolLostRenameTest, RecoveryPublishesWhicheverRenameWasLost) {
  TestStore store = MakeDemoStore();
  auto backend = OpenBackend(store.config);
  ASSERT_NE(backend, nullptr);
  RecordingSink sink;
  ASSERT_FALSE(RunOp(*backend, BackupOf(kWorkstation), sink).error);
  const std::string old_manifest = ReadFileBytes(store.location() / "manifest.xml");
  std::set<std::string> before;
  for (auto& e : fs::directory_iterator(store.location())) {
    before.insert(e.path().filename().string());
  }

  backend->SetFaultHookForTesting(
      [](FaultPoint p) { return p == FaultPoint::kAfterManifestRename; });
  ASSERT_TRUE(RunOp(*backend, BackupOf(kWorkstation), sink, nullptr, "op-lost").error);
  backend.reset();  // the process dies

  std::string new_id;
  for (auto& e : fs::directory_iterator(store.location())) {
    const std::string name = e.path().filename().string();
    if (name.front() == '{' && before.count(name) == 0) new_id = name;
  }
  ASSERT_FALSE(new_id.empty());
  std::vector<fs::path> staging;
  for (auto& e : fs::directory_iterator(store.location() / ".gpop-staging")) {
    staging.push_back(e.path());
  }
  ASSERT_EQ(staging.size(), 1u);  // the crashed backup's staging folder, emptied by the renames
  if (GetParam() == LostRename::kFolder) {
    // The new manifest (listing the new backup) is in; the folder is still staged.
    fs::rename(store.location() / new_id, staging[0] / new_id);
    EXPECT_EQ(ManifestSize(store), 2u);
  } else {
    // The folder is in; the manifest is the old one, the new one still staged.
    fs::rename(store.location() / "manifest.xml", staging[0] / "manifest.xml");
    testing::WriteBytes(store.location() / "manifest.xml", old_manifest);
    EXPECT_EQ(ManifestSize(store), 1u);
  }

  auto restarted = OpenBackend(store.config);
  ASSERT_NE(restarted, nullptr);
  std::optional<core::Outcome> recovered = restarted->Recover("op-lost");
  ASSERT_TRUE(recovered.has_value());
  ASSERT_FALSE(recovered->error) << recovered->error->message;
  EXPECT_EQ(recovered->effects, core::Effects::kApplied);
  EXPECT_EQ(std::get<core::BackupInfo>(recovered->result).backup_id, new_id);
  EXPECT_TRUE(fs::exists(store.location() / new_id / "gpreport.xml"));
  EXPECT_EQ(BackupFolders(store), 2u);
  EXPECT_EQ(ManifestSize(store), 2u);
  EXPECT_TRUE(StagingEmpty(store));
}

INSTANTIATE_TEST_SUITE_P(EitherRename, SysvolLostRenameTest,
                         ::testing::Values(LostRename::kFolder, LostRename::kManifest));

// Every backup folder's bkupInfo.xml record, and the manifest's records, by backup ID.
std::map<std::string, BackupInst> FolderRecords(const testing::TestStore& store) {
  std::map<std::string, BackupInst> out;
  for (auto& e : fs::directory_iterator(store.location())) {
    const std::string name = e.path().filename().string();
    if (!e.is_directory() || name.front() != '{') continue;
    auto inst = ParseBkupInfo(ReadFileBytes(e.path() / kBkupInfoFile), name);
    if (inst.ok()) out[name] = *inst;
  }
  return out;
}

std::map<std::string, BackupInst> ManifestRecords(const testing::TestStore& store) {
  std::map<std::string, BackupInst> out;
  auto m = ParseManifest(ReadFileBytes(store.location() / "manifest.xml"), "manifest.xml");
  if (!m.ok()) return out;
  for (const BackupInst& b : m->backups) out[b.id] = b;
  return out;
}

// A writer stopped between publishing its folders and writing manifest.xml (an upload killed
// between its renames and its manifest write, a backup killed the same way) leaves the manifest
// stale; so does an operator removing it. Start-up's sweep brings it in step with the folder.
TEST(SysvolCommitTest, StartUpRepairsAStaleOrMissingManifest) {
  TestStore store = MakeDemoStore();
  std::string manifest_of_one;
  {
    auto backend = OpenBackend(store.config);
    ASSERT_NE(backend, nullptr);
    ASSERT_FALSE(BackupGpo(*backend, kWorkstation).error);
    manifest_of_one = ReadFileBytes(store.location() / "manifest.xml");
    ASSERT_FALSE(BackupGpo(*backend, kServer).error);
  }
  ASSERT_EQ(FolderRecords(store).size(), 2u);
  // Stale: the manifest as it was before the second folder was published.
  WriteBytes(store.location() / "manifest.xml", manifest_of_one);
  ASSERT_EQ(ManifestRecords(store).size(), 1u);
  {
    auto restarted = OpenBackend(store.config);
    ASSERT_NE(restarted, nullptr);
    auto resolved = restarted->ResolveLeftovers();
    ASSERT_TRUE(resolved.ok()) << resolved.error().message;
  }
  EXPECT_EQ(ManifestRecords(store), FolderRecords(store));
  // Missing: removed altogether.
  fs::remove(store.location() / "manifest.xml");
  {
    auto restarted = OpenBackend(store.config);
    ASSERT_NE(restarted, nullptr);
    auto resolved = restarted->ResolveLeftovers();
    ASSERT_TRUE(resolved.ok()) << resolved.error().message;
  }
  EXPECT_EQ(ManifestRecords(store), FolderRecords(store));
  EXPECT_EQ(ManifestRecords(store).size(), 2u);
}

// An upload's staging folder may hold backup folders its open publish journal still moves in
// (service/transfer/upload_publish.h): the start-up sweep leaves it to the upload store, which
// resolves and removes it when it opens; every other stale staging folder goes.
TEST(SysvolCommitTest, StartUpSweepLeavesUploadStagingToTheUploadStore) {
  TestStore store = MakeDemoStore();
  const fs::path area = store.location() / ".gpop-staging";
  const fs::path staged =
      area / "upload-up-aaaaaaaaaaaaaaaaaaaaaaaaaa" / "{32D5EEFD-DACE-44DC-BC16-D364B32B0D2A}";
  fs::create_directories(staged);
  WriteBytes(staged / "bkupInfo.xml", "x");
  fs::create_directories(area / "op-stale" / "x");
  {
    auto restarted = OpenBackend(store.config);
    ASSERT_NE(restarted, nullptr);
    auto resolved = restarted->ResolveLeftovers();
    ASSERT_TRUE(resolved.ok()) << resolved.error().message;
  }
  EXPECT_TRUE(fs::exists(staged / "bkupInfo.xml"));
  EXPECT_FALSE(fs::exists(area / "op-stale"));
}

TEST(SysvolCommitTest, ConcurrentBackupsToOneLocationKeepEveryManifestEntry) {
  TestStore store = MakeDemoStore();
  auto backend = OpenBackend(store.config);
  ASSERT_NE(backend, nullptr);
  std::vector<std::thread> threads;
  std::vector<core::Outcome> outs(6);
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&, i] {
      RecordingSink sink;
      outs[i] = RunOp(*backend, BackupOf(kWorkstation), sink, nullptr,
                      "op-concurrent-" + std::to_string(i));
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& o : outs) EXPECT_FALSE(o.error);
  EXPECT_EQ(ManifestSize(store), 6u);
  EXPECT_EQ(BackupFolders(store), 6u);
  // Each backup marks its intent DONE and removes its staging folder after releasing the
  // location's lock: by the time it returns both are done.
  EXPECT_TRUE(StagingEmpty(store));
  auto intents = backend->metadata().OpenIntents();
  ASSERT_TRUE(intents.ok());
  EXPECT_TRUE(intents->empty());
}

TEST(SysvolCommitTest, AnOperationIdIsUsedOnce) {
  TestStore store = MakeDemoStore();
  auto backend = OpenBackend(store.config);
  ASSERT_NE(backend, nullptr);
  RecordingSink sink;
  ASSERT_FALSE(RunOp(*backend, BackupOf(kWorkstation), sink, nullptr, "op-same").error);
  core::Outcome again = RunOp(*backend, BackupOf(kWorkstation), sink, nullptr, "op-same");
  ASSERT_TRUE(again.error);
  EXPECT_EQ(again.error->code, core::Code::kAlreadyExists);
  EXPECT_EQ(again.effects, core::Effects::kNone);
  EXPECT_EQ(BackupFolders(store), 1u);
}

}  // namespace
}  // namespace gpop::sysvol::testing
