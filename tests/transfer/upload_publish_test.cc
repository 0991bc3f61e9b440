// The publish of a multi-backup upload is all or nothing across a crash: a crash injected at
// every step (after k of n renames, for every k) leaves, once the store is opened again, all n
// backups in the location or none, with manifest.xml and the upload's record agreeing.

#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include "service/backends/sysvol/backup_folder.h"
#include "service/backends/sysvol/backup_index.h"
#include "service/backends/sysvol/format/manifest.h"
#include "service/backends/sysvol/txn/backup_publish.h"
#include "service/backends/sysvol/txn/staging.h"
#include "service/transfer/folder_tar.h"
#include "service/transfer/publish_journal.h"
#include "service/transfer/sha256.h"
#include "service/transfer/upload_store.h"
#include "tests/testing/fixtures.h"

namespace gpop::transfer {
namespace {

namespace fs = std::filesystem;

// Three of the Windows-made backups, as one set.
const char* const kSet[] = {"{32D5EEFD-DACE-44DC-BC16-D364B32B0D2A}",
                            "{403B3DA7-7021-439A-8CA4-B2B0C1138937}",
                            "{A2A38432-E322-437F-9975-B7CC7F16F4AA}"};
constexpr size_t kSetSize = 3;

std::string ReadAll(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::map<std::string, std::string> Tree(const fs::path& dir) {
  std::map<std::string, std::string> tree;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    tree[fs::relative(e.path(), dir).generic_string()] =
        e.is_regular_file() ? Sha256Hex(ReadAll(e.path())) : "dir";
  }
  return tree;
}

// The backup folders in the location ({GUID} names).
std::set<std::string> FoldersIn(const fs::path& location) {
  std::set<std::string> ids;
  for (const auto& e : fs::directory_iterator(location)) {
    const std::string name = e.path().filename().string();
    if (name.front() == '{') ids.insert(name);
  }
  return ids;
}

std::set<std::string> ManifestIds(const fs::path& location) {
  if (!fs::exists(location / "manifest.xml")) return {};
  core::Result<sysvol::Manifest> manifest =
      sysvol::ParseManifest(ReadAll(location / "manifest.xml"), "manifest.xml");
  EXPECT_TRUE(manifest.ok()) << manifest.error().message;
  std::set<std::string> ids;
  if (manifest.ok()) {
    for (const sysvol::BackupInst& b : manifest->backups) ids.insert(b.id);
  }
  return ids;
}

std::set<std::string> RecordIds(const UploadRecord& record) {
  std::set<std::string> ids;
  for (const PublishedBackup& b : record.backups) ids.insert(b.info.backup_id);
  return ids;
}

// Where the crash comes: a step, and for kRename after how many renames.
struct CrashAt {
  PublishPoint point;
  size_t renamed;
  std::string Name() const {
    switch (point) {
      case PublishPoint::kStaged:
        return "staged";
      case PublishPoint::kJournal:
        return "journal";
      case PublishPoint::kRename:
        return "rename " + std::to_string(renamed);
      case PublishPoint::kManifest:
        return "manifest";
    }
    return "?";
  }
};

class UploadPublishTest : public ::testing::Test {
 protected:
  void SetUp() override {
    GPOP_REQUIRE_FIXTURES(fixtures);
    fixtures_ = fixtures;
    set_ = gpop::testing::TempDir("gpop-set");
    for (const char* id : kSet) {
      fs::copy(fixtures_ / "gpmc-backups" / id, set_ / id, fs::copy_options::recursive);
      want_.insert(id);
    }
    fs::path tar = gpop::testing::TempDir("gpop-tar") / "set.tar";
    ASSERT_TRUE(TarFolder(set_, tar).ok());
    tar_ = ReadAll(tar);
  }

  // A fresh location and uploads folder; the store opened with `hook`.
  void Start(PublishCrashHook hook) {
    work_ = gpop::testing::TempDir("gpop-publish");
    location_ = work_ / "backups";
    fs::create_directories(location_);
    options_ = UploadOptions();
    options_.dir = work_ / "uploads";
    options_.locations.folders["default"] = location_;
    options_.locations.default_name = "default";
    options_.crash_hook = std::move(hook);
    Open();
  }

  // Opens the store again (a restart: the old one is dropped as a crash would leave it), with
  // no hook, after the backend's start-up sweep of the location as gpopd runs it first (every
  // staging folder but the uploads' removed, manifest.xml repaired).
  void Restart() {
    store_.reset();
    core::Result<sysvol::Dir> loc = sysvol::Dir::OpenRoot(location_, "backups");
    ASSERT_TRUE(loc.ok());
    ASSERT_TRUE(sysvol::RemoveAllStaging(*loc, sysvol::kUploadStagingPrefix).ok());
    sysvol::LocationIndex index;
    ASSERT_TRUE(sysvol::RepairManifestLocked(*loc, index).ok());
    options_.crash_hook = nullptr;
    Open();
  }

  void Open() {
    core::Result<std::unique_ptr<UploadStore>> store = UploadStore::Open(options_);
    ASSERT_TRUE(store.ok()) << store.error().message;
    store_ = std::move(*store);
  }

  core::Result<UploadRecord> Create() {
    UploadRequest request;
    request.total_bytes = static_cast<int64_t>(tar_.size());
    request.sha256 = Sha256Hex(tar_);
    return store_->Create("alice", request);
  }

  // Sends the bytes from `from` and finishes (from = the size: only the publish again).
  core::Result<UploadRecord> Send(const std::string& id, size_t from) {
    core::Result<std::unique_ptr<UploadStore::Writer>> writer =
        store_->BeginWrite("alice", id, static_cast<int64_t>(from));
    if (!writer.ok()) return writer.error();
    if (from < tar_.size()) {
      if (core::Status s = (*writer)->Append(std::string_view(tar_).substr(from)); !s.ok()) {
        return s.error();
      }
    }
    return (*writer)->Finish();
  }

  // All of the set is published: every folder byte for byte, the manifest and the record.
  void ExpectAllPublished(const std::string& id, const std::string& label) {
    EXPECT_EQ(FoldersIn(location_), want_) << label;
    for (const std::string& b : want_) {
      if (fs::exists(location_ / b)) EXPECT_EQ(Tree(location_ / b), Tree(set_ / b)) << label;
    }
    EXPECT_EQ(ManifestIds(location_), want_) << label;
    EXPECT_FALSE(fs::exists(location_ / sysvol::kStagingFolder)) << label;
    core::Result<UploadRecord> record = store_->Get("alice", id);
    ASSERT_TRUE(record.ok()) << label << ": " << record.error().message;
    EXPECT_TRUE(record->published) << label;
    EXPECT_TRUE(record->backup_set) << label;
    EXPECT_EQ(RecordIds(*record), want_) << label;
    EXPECT_FALSE(fs::exists(options_.dir / id / "data.tar")) << label << ": bytes kept";
  }

  // None of it is: the location as before, the upload complete and not published.
  void ExpectNonePublished(const std::string& id, const std::string& label) {
    EXPECT_TRUE(FoldersIn(location_).empty()) << label;
    EXPECT_TRUE(ManifestIds(location_).empty()) << label;
    EXPECT_FALSE(fs::exists(location_ / sysvol::kStagingFolder)) << label;
    core::Result<UploadRecord> record = store_->Get("alice", id);
    ASSERT_TRUE(record.ok()) << label << ": " << record.error().message;
    EXPECT_FALSE(record->published) << label;
    EXPECT_EQ(record->received_bytes, static_cast<int64_t>(tar_.size())) << label;
  }

  fs::path fixtures_, set_, work_, location_;
  std::set<std::string> want_;
  std::string tar_;
  UploadOptions options_;
  std::unique_ptr<UploadStore> store_;
};

// A crash at every step of the publish: before the commit point (staged, no journal) nothing is
// published and finishing the upload again publishes it; from the journal on (after 0, 1, 2 and
// 3 of the 3 renames, and after the manifest) all of it is, once the store opens again, and
// stays so across a further restart.
TEST_F(UploadPublishTest, ACrashAtEveryStepLeavesAllOrNothingAfterRecovery) {
  std::vector<CrashAt> points = {{PublishPoint::kStaged, 0}, {PublishPoint::kJournal, 0}};
  for (size_t k = 1; k <= kSetSize; ++k) points.push_back({PublishPoint::kRename, k});
  points.push_back({PublishPoint::kManifest, kSetSize});
  for (const CrashAt& at : points) {
    const std::string label = "crash at " + at.Name();
    int hits = 0;
    Start([&](PublishPoint point, size_t renamed) {
      if (point != at.point || (point == PublishPoint::kRename && renamed != at.renamed)) {
        return false;
      }
      ++hits;
      return true;
    });
    core::Result<UploadRecord> created = Create();
    ASSERT_TRUE(created.ok()) << created.error().message;
    core::Result<UploadRecord> stopped = Send(created->id, 0);
    ASSERT_FALSE(stopped.ok()) << label;
    ASSERT_EQ(hits, 1) << label;
    // The crash left exactly `renamed` folders of the set in the location.
    const size_t in =
        at.point == PublishPoint::kRename || at.point == PublishPoint::kManifest ? at.renamed : 0;
    ASSERT_EQ(FoldersIn(location_).size(), in) << label;

    Restart();
    if (at.point == PublishPoint::kStaged) {
      ExpectNonePublished(created->id, label);
      core::Result<UploadRecord> again = Send(created->id, tar_.size());
      ASSERT_TRUE(again.ok()) << label << ": " << again.error().message;
      EXPECT_EQ(RecordIds(*again), want_) << label;
    }
    ExpectAllPublished(created->id, label);
    Restart();
    ExpectAllPublished(created->id, label + ", after a second restart");
  }
}

// A roll forward needs every folder: when the staged ones are gone (removed by hand after the
// crash), the publish is rolled back instead, the ones already in the location taken out, and
// the upload can be finished again from its bytes.
TEST_F(UploadPublishTest, AnOpenJournalWhoseStagedFoldersAreLostIsRolledBack) {
  for (size_t k = 1; k < kSetSize; ++k) {
    const std::string label = "crash after " + std::to_string(k) + " renames";
    Start([&](PublishPoint point, size_t renamed) {
      return point == PublishPoint::kRename && renamed == k;
    });
    core::Result<UploadRecord> created = Create();
    ASSERT_TRUE(created.ok());
    ASSERT_FALSE(Send(created->id, 0).ok());
    ASSERT_EQ(FoldersIn(location_).size(), k) << label;
    fs::remove_all(location_ / sysvol::kStagingFolder);
    Restart();
    ExpectNonePublished(created->id, label);
    core::Result<UploadRecord> again = Send(created->id, tar_.size());
    ASSERT_TRUE(again.ok()) << label << ": " << again.error().message;
    ExpectAllPublished(created->id, label);
  }
}

// A journal that cannot be resolved when the store opens (here its location is no longer
// configured) stays open: the upload shows as not published and cannot be cancelled (its record
// of what to finish would go), and a later open that can resolve it does.
TEST_F(UploadPublishTest, AJournalThatCannotBeResolvedYetStaysOpen) {
  Start([](PublishPoint point, size_t renamed) {
    return point == PublishPoint::kRename && renamed == 1;
  });
  core::Result<UploadRecord> created = Create();
  ASSERT_TRUE(created.ok());
  ASSERT_FALSE(Send(created->id, 0).ok());
  const TransferLocations configured = options_.locations;
  store_.reset();
  options_.crash_hook = nullptr;
  options_.locations.folders = {{"other", work_ / "other"}};
  options_.locations.default_name = "other";
  fs::create_directories(work_ / "other");
  Open();
  core::Result<UploadRecord> record = store_->Get("alice", created->id);
  ASSERT_TRUE(record.ok()) << record.error().message;
  EXPECT_FALSE(record->published);
  core::Result<UploadRecord> cancelled = store_->Cancel("alice", created->id);
  ASSERT_FALSE(cancelled.ok());
  EXPECT_EQ(cancelled.error().code, core::Code::kFailedPrecondition);
  EXPECT_TRUE(fs::exists(options_.dir / created->id / kPublishJournalFile));
  EXPECT_EQ(FoldersIn(location_).size(), 1u);
  options_.locations = configured;
  Restart();
  ExpectAllPublished(created->id, "resolved at the next open");
}

// The journal's text keeps every field whatever bytes it holds, and only a whole journal reads.
TEST(PublishJournalTest, RoundTripsAndRefusesPartialText) {
  PublishJournal journal;
  journal.location = "my location %";
  journal.staging = "upload-up-x";
  journal.backup_set = true;
  PublishedBackup b;
  b.info.backup_id = "{32D5EEFD-DACE-44DC-BC16-D364B32B0D2A}";
  b.info.gpo_display_name = "Name with spaces\nand a new line";
  b.info.comment = "";
  b.info.domain = "example.com";
  b.info.time = std::chrono::system_clock::time_point(std::chrono::seconds(1700000000));
  b.files.push_back({"DomainSysvol/GPO/Machine/a b.pol", 12, std::string(64, 'a')});
  journal.backups.push_back(b);
  const std::string text = EncodeJournal(journal);
  std::optional<PublishJournal> back = DecodeJournal(text);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(EncodeJournal(*back), text);
  EXPECT_EQ(back->location, journal.location);
  ASSERT_EQ(back->backups.size(), 1u);
  EXPECT_EQ(back->backups[0].info.gpo_display_name, b.info.gpo_display_name);
  EXPECT_EQ(back->backups[0].info.time, b.info.time);
  EXPECT_EQ(back->backups[0].files[0].path, "DomainSysvol/GPO/Machine/a b.pol");
  EXPECT_FALSE(back->done);
  EXPECT_FALSE(DecodeJournal(text.substr(0, text.size() - 4)).has_value());
  EXPECT_FALSE(DecodeJournal(text + "end\n").has_value());
}

}  // namespace
}  // namespace gpop::transfer
