// The backup location index (a listing reads only what changed) and the backup's rate-limited
// progress.

#include "service/backends/sysvol/backup_index.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "service/backends/sysvol/backup_locations.h"
#include "service/backends/sysvol/demo_store.h"
#include "service/backends/sysvol/format/manifest.h"
#include "service/backends/sysvol/gpt_copy.h"
#include "service/core/guid.h"
#include "tests/backends/sysvol/backend_test_util.h"

namespace gpop::sysvol {
namespace {

namespace fs = std::filesystem;
using testing::BackupOf;
using testing::OpenBackend;
using testing::ReadFileBytes;
using testing::RecordingSink;
using testing::RunOp;

constexpr char kWorkstation[] = "{7C1A5B2E-3D4F-4A8B-9C6D-1E2F3A4B5C6D}";

// A location holding `n` backups of the demo store's workstation GPO.
testing::TestStore StoreWithBackups(int n) {
  testing::TestStore store = testing::MakeEmptyStore();
  EXPECT_TRUE(WriteDemoStore(store.config.sysvol_dir).ok());
  auto backend = OpenBackend(store.config);
  EXPECT_NE(backend, nullptr);
  for (int i = 0; i < n; ++i) {
    RecordingSink sink;
    core::Outcome out = RunOp(*backend, BackupOf(kWorkstation), sink);
    EXPECT_FALSE(out.error) << out.error->message;
  }
  return store;
}

Dir OpenLocation(const testing::TestStore& store) {
  core::Result<Dir> loc = BackupLocations::Open(BackupLocation{"default", store.location()});
  EXPECT_TRUE(loc.ok());
  return std::move(*loc);
}

std::vector<std::string> Folders(const std::vector<ScannedBackup>& backups) {
  std::vector<std::string> out;
  for (const ScannedBackup& b : backups) out.push_back(b.folder);
  return out;
}

// The index answers exactly what a full scan answers.
void ExpectSameAsScan(LocationIndex& index, const Dir& loc) {
  std::vector<std::string> skipped_index, skipped_scan;
  std::set<std::string> unreadable_index, unreadable_scan;
  auto indexed = index.Backups(loc, &skipped_index, &unreadable_index);
  auto scanned = ScanBackups(loc, &skipped_scan, &unreadable_scan);
  ASSERT_TRUE(indexed.ok() && scanned.ok());
  ASSERT_EQ(Folders(*indexed), Folders(*scanned));
  for (size_t i = 0; i < indexed->size(); ++i) {
    EXPECT_EQ((*indexed)[i].inst, (*scanned)[i].inst) << (*indexed)[i].folder;
  }
  EXPECT_EQ(skipped_index, skipped_scan);
  EXPECT_EQ(unreadable_index, unreadable_scan);
}

// Copies backup folder `from` to a new backup ID (its bkupInfo.xml says so); returns the ID.
std::string CopyBackupAs(const testing::TestStore& store, const std::string& from) {
  std::string id = core::NewGuid();
  fs::copy(store.location() / from, store.location() / id, fs::copy_options::recursive);
  std::string info = ReadFileBytes(store.location() / id / "bkupInfo.xml");
  size_t at = info.find(from.substr(1, 36));
  EXPECT_NE(at, std::string::npos);
  info.replace(at, 36, id.substr(1, 36));
  testing::WriteBytes(store.location() / id / "bkupInfo.xml", info);
  return id;
}

TEST(BackupIndexTest, ReadsEveryRecordOnceThenOnlyWhatChanged) {
  testing::TestStore store = StoreWithBackups(5);
  Dir loc = OpenLocation(store);
  LocationIndex index;
  ExpectSameAsScan(index, loc);
  EXPECT_EQ(index.records_read(), 5);
  EXPECT_EQ(index.listings(), 1);
  // Nothing changed: no listing, no read.
  for (int i = 0; i < 3; ++i) ExpectSameAsScan(index, loc);
  EXPECT_EQ(index.records_read(), 5);
  EXPECT_EQ(index.listings(), 1);

  // A backup copied in by hand: one listing, one record read.
  auto before = ScanBackups(loc, nullptr);
  ASSERT_TRUE(before.ok());
  std::string added = CopyBackupAs(store, before->front().folder);
  ExpectSameAsScan(index, loc);
  EXPECT_EQ(index.records_read(), 6);
  EXPECT_EQ(index.listings(), 2);

  // A record replaced (written beside and renamed over, as editors do): read again.
  fs::path info = store.location() / added / "bkupInfo.xml";
  std::string bytes = ReadFileBytes(info);
  size_t comment = bytes.find("<Comment>");
  ASSERT_NE(comment, std::string::npos);
  bytes.insert(comment + 9, "edited ");
  testing::WriteBytes(store.location() / added / "new.tmp", bytes);
  fs::rename(store.location() / added / "new.tmp", info);
  fs::create_directory(store.location() / "touch");  // the location changes too
  ExpectSameAsScan(index, loc);
  EXPECT_EQ(index.records_read(), 7);
  auto listed = index.Backups(loc, nullptr);
  ASSERT_TRUE(listed.ok());
  auto it = std::find_if(listed->begin(), listed->end(),
                         [&](const ScannedBackup& b) { return b.folder == added; });
  ASSERT_NE(it, listed->end());
  EXPECT_EQ(it->inst.comment.rfind("edited ", 0), 0u);

  // A backup deleted by hand disappears; broken folders are skipped as a scan skips them.
  fs::remove_all(store.location() / before->back().folder);
  fs::create_directory(store.location() / core::NewGuid());  // no bkupInfo.xml
  ExpectSameAsScan(index, loc);
  EXPECT_EQ(index.Backups(loc, nullptr)->size(), 5u);
}

TEST(BackupIndexTest, OwnPublishKeepsTheIndexCurrentAndAStrangerMakesItStale) {
  testing::TestStore store = StoreWithBackups(3);
  Dir loc = OpenLocation(store);
  LocationIndex index;
  auto first = index.Backups(loc, nullptr);
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->size(), 3u);
  bool corrupt = true;
  ASSERT_TRUE(index.ReadManifest(loc, &corrupt).ok());
  EXPECT_FALSE(corrupt);

  // As a backup publishes: the folder renamed in, then the manifest replaced.
  const std::string staged = CopyBackupAs(store, first->front().folder);
  fs::create_directories(store.root / "staging");
  fs::rename(store.location() / staged, store.root / "staging" / staged);
  ExpectSameAsScan(index, loc);  // (the copy above changed the location: listed again)
  ASSERT_TRUE(index.ReadManifest(loc, &corrupt).ok());
  const int64_t listings = index.listings();
  auto read = ParseBkupInfo(ReadFileBytes(store.root / "staging" / staged / "bkupInfo.xml"), "b");
  ASSERT_TRUE(read.ok());
  FileStamp before = LocationIndex::StampBeforePublish(loc);
  fs::rename(store.root / "staging" / staged, store.location() / staged);
  auto manifest = ParseManifest(ReadFileBytes(store.location() / "manifest.xml"), "m");
  ASSERT_TRUE(manifest.ok());
  manifest->backups.push_back(*read);
  testing::WriteBytes(store.root / "staging" / "manifest.xml", WriteManifest(*manifest));
  fs::rename(store.root / "staging" / "manifest.xml", store.location() / "manifest.xml");
  index.NotePublished(loc, before, staged, *read, &*manifest);
  ExpectSameAsScan(index, loc);
  EXPECT_EQ(index.listings(), listings);  // taken in place: no listing
  auto m = index.ReadManifest(loc, &corrupt);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->backups.size(), 4u);

  // Someone else adds a backup while gpop publishes: the link count shows it, the index is
  // listed again and sees both.
  const std::string ours = CopyBackupAs(store, first->front().folder);
  fs::rename(store.location() / ours, store.root / "staging" / ours);
  ExpectSameAsScan(index, loc);
  before = LocationIndex::StampBeforePublish(loc);
  fs::rename(store.root / "staging" / ours, store.location() / ours);
  const std::string theirs = CopyBackupAs(store, first->front().folder);
  auto ours_inst = ParseBkupInfo(ReadFileBytes(store.location() / ours / "bkupInfo.xml"), "b");
  ASSERT_TRUE(ours_inst.ok());
  index.NotePublished(loc, before, ours, *ours_inst, nullptr);
  ExpectSameAsScan(index, loc);
  auto all = index.Backups(loc, nullptr);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 6u);
  EXPECT_TRUE(std::any_of(all->begin(), all->end(),
                          [&](const ScannedBackup& b) { return b.folder == theirs; }));
}

TEST(BackupIndexTest, ListingsAfterManyBackupsDoNotReReadRecords) {
  testing::TestStore store = testing::MakeEmptyStore();
  ASSERT_TRUE(WriteDemoStore(store.config.sysvol_dir).ok());
  auto backend = OpenBackend(store.config);
  ASSERT_NE(backend, nullptr);
  for (int i = 0; i < 8; ++i) {
    RecordingSink sink;
    ASSERT_FALSE(RunOp(*backend, BackupOf(kWorkstation), sink).error);
    auto listed = backend->ListBackups({});
    ASSERT_TRUE(listed.ok());
    EXPECT_EQ(listed->size(), static_cast<size_t>(i + 1));
  }
  // A backup copied in by hand is listed, and the manifest is repaired to hold it.
  Dir loc = OpenLocation(store);
  auto scanned = ScanBackups(loc, nullptr);
  ASSERT_TRUE(scanned.ok());
  CopyBackupAs(store, scanned->front().folder);
  auto listed = backend->ListBackups({});
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->size(), 9u);
  auto manifest = ParseManifest(ReadFileBytes(store.location() / "manifest.xml"), "m");
  ASSERT_TRUE(manifest.ok());
  EXPECT_EQ(manifest->backups.size(), 9u);
}

class CountingSink : public core::ProgressSink {
 public:
  void Progress(int64_t n, int64_t d) override { values.emplace_back(n, d); }
  void Messages(std::vector<core::StatusMessage>, std::optional<uint32_t>) override {}
  std::vector<std::pair<int64_t, int64_t>> values;
};

TEST(CopyProgressTest, ReportsAtMostOneValuePerStepAndTheEnd) {
  CountingSink sink;
  core::CancelToken cancel;
  const int64_t total = 1000003;
  CopyProgress progress(sink, cancel, total);
  progress.Start();
  for (int64_t i = 0; i < total; ++i) progress.Advance(1);
  ASSERT_FALSE(sink.values.empty());
  EXPECT_LE(sink.values.size(), static_cast<size_t>(CopyProgress::kSteps + 2));
  EXPECT_GE(sink.values.size(), static_cast<size_t>(CopyProgress::kSteps));
  EXPECT_EQ(sink.values.front().first, 0);
  EXPECT_EQ(sink.values.back().first, total);
  for (size_t i = 1; i < sink.values.size(); ++i) {
    EXPECT_GT(sink.values[i].first, sink.values[i - 1].first);
    EXPECT_EQ(sink.values[i].second, total);
  }
  // Large steps are each reported; a total of a few units reports every unit.
  CountingSink small;
  CopyProgress few(small, cancel, 3);
  few.Start();
  for (int i = 0; i < 3; ++i) few.Advance(1);
  EXPECT_EQ(small.values.size(), 4u);
}

TEST(CopyProgressTest, ABackupOfALargeGpoReportsABoundedNumberOfValues) {
  testing::TestStore store = testing::MakeEmptyStore();
  ASSERT_TRUE(WriteLargeStore(store.config.sysvol_dir, 1, 6).ok());
  // Many small files as well as large ones.
  fs::path gpt;
  for (auto& e : fs::directory_iterator(store.policies())) gpt = e.path();
  for (int i = 0; i < 600; ++i) {
    testing::WriteBytes(gpt / "Machine" / "Scripts" / "Startup" / ("s" + std::to_string(i)),
                        std::string(100, 'x'));
  }
  auto backend = OpenBackend(store.config);
  ASSERT_NE(backend, nullptr);
  RecordingSink sink;
  core::BackupSpec spec;
  spec.gpo.guid = gpt.filename().string();
  core::Outcome out = RunOp(*backend, spec, sink);
  ASSERT_FALSE(out.error) << out.error->message;
  EXPECT_LE(sink.progress.size(), static_cast<size_t>(CopyProgress::kSteps + 2));
  EXPECT_EQ(sink.progress.back().first, sink.progress.back().second);
}

}  // namespace
}  // namespace gpop::sysvol
