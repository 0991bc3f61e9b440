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
#include "tests/transfer/folder_files.h"

namespace gpop::transfer {
namespace {

namespace fs = std::filesystem;

// Three of the Windows-made backups, as one set.
const char* const kSet[] = {"{32D5EEFD-DACE-44DC-BC16-D364B32B0D2A}",
                            "{403B3DA7-7021-439A-8CA4-B2B0C1138937}",
                            "{A2A38432-E322-437F-9975-B7CC7F16F4AA}"};
constexpr size_t kSetSize = 3;

using testing::ReadAll;
using testing::Tree;

// The backup folders in the location ({GUID} names).
std::set<std::string> FoldersIn(const fs::path& location) {
  std::set<std::string> ids;
  for (const auto& e : fs::directory_iterator(location)) {
    const std::string name = e.path().filename().string();
    if (name.front() == '{') ids.insert(name);
  }
  return ids;
}

// The IDs manifest.xml lists, as a set.
std::set<std::string> ManifestIds(const fs::path& location) {
  const std::vector<std::string> ids = testing::ManifestIds(location);
  return std::set<std::string>(ids.begin(), ids.end());
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
  void Restart(RecoveryCrashHook recovery_hook = nullptr) {
    store_.reset();
    core::Result<sysvol::Dir> loc = sysvol::Dir::OpenRoot(location_, "backups");
    ASSERT_TRUE(loc.ok());
    ASSERT_TRUE(sysvol::RemoveAllStaging(*loc, sysvol::kUploadStagingPrefix).ok());
    sysvol::LocationIndex index;
    ASSERT_TRUE(sysvol::RepairManifestLocked(*loc, index).ok());
    options_.crash_hook = nullptr;
    options_.recovery_crash_hook = std::move(recovery_hook);
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

  // Creates an upload and sends it with the publish stopped after `renamed` renames.
  std::string CrashAfterRenames(size_t renamed) {
    Start([renamed](PublishPoint point, size_t n) {
      return point == PublishPoint::kRename && n == renamed;
    });
    core::Result<UploadRecord> created = Create();
    EXPECT_TRUE(created.ok());
    if (!created.ok()) return "";
    EXPECT_FALSE(Send(created->id, 0).ok());
    EXPECT_EQ(FoldersIn(location_).size(), renamed);
    return created->id;
  }

  fs::path StagingOf(const std::string& id) const {
    return location_ / sysvol::kStagingFolder / (sysvol::kUploadStagingPrefix + id);
  }

  // Removes one file of a staged backup folder of upload `id`, as a crash while the staging
  // folder was being removed file by file would leave it.
  void RemoveAStagedFile(const std::string& id) {
    for (const auto& e : fs::directory_iterator(StagingOf(id))) {
      if (e.path().filename().string().front() != '{') continue;
      for (const auto& f : fs::recursive_directory_iterator(e.path())) {
        if (f.is_regular_file()) {
          fs::remove(f.path());
          return;
        }
      }
    }
    ADD_FAILURE() << "no staged file to remove";
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

// A staged folder that lost some of its files (a crash while its staging folder was being
// removed) is never rolled forward, although the folder itself is there: the journal's file list
// (paths and sizes) is checked, and the publish rolled back.
TEST_F(UploadPublishTest, AStagedFolderMissingFilesIsRolledBackNotForward) {
  const std::string id = CrashAfterRenames(1);
  ASSERT_FALSE(id.empty());
  RemoveAStagedFile(id);
  Restart();
  ExpectNonePublished(id, "a staged file removed");
  core::Result<UploadRecord> again = Send(id, tar_.size());
  ASSERT_TRUE(again.ok()) << again.error().message;
  ExpectAllPublished(id, "finished again");
}

// A crash at every step of the recovery itself, then recovering again (with no hook): rolling
// forward (after the folders are in, after the journal is marked done) ends with all of the set
// published; rolling back (a staged file lost: after the folders are out, after the journal is
// removed) with none of it, also when the crash came while the staging folder was being removed.
TEST_F(UploadPublishTest, ACrashAtEveryRecoveryStepThenRecoveringAgainIsAllOrNothing) {
  for (RecoveryPoint at : {RecoveryPoint::kMovedIn, RecoveryPoint::kMarkedDone,
                           RecoveryPoint::kMovedOut, RecoveryPoint::kJournalRemoved}) {
    const bool forward = at == RecoveryPoint::kMovedIn || at == RecoveryPoint::kMarkedDone;
    const std::string label = "recovery crash at " + std::to_string(static_cast<int>(at));
    const std::string id = CrashAfterRenames(1);
    ASSERT_FALSE(id.empty()) << label;
    if (!forward) RemoveAStagedFile(id);
    int hits = 0;
    Restart([&](RecoveryPoint point) {
      if (point != at) return false;
      ++hits;
      return true;
    });
    ASSERT_EQ(hits, 1) << label;
    if (at == RecoveryPoint::kMovedIn || at == RecoveryPoint::kMovedOut) {
      EXPECT_TRUE(fs::exists(options_.dir / id / kPublishJournalFile)) << label;
    }
    EXPECT_EQ(FoldersIn(location_).size(), forward ? kSetSize : 0u) << label;
    if (at == RecoveryPoint::kJournalRemoved) {
      // The journal goes before the staging folder, so what a crash leaves there is garbage.
      EXPECT_FALSE(fs::exists(options_.dir / id / kPublishJournalFile)) << label;
      EXPECT_TRUE(fs::exists(StagingOf(id))) << label;
      RemoveAStagedFile(id);  // the crash came halfway through removing it
    }
    Restart();
    if (forward) {
      ExpectAllPublished(id, label);
    } else {
      ExpectNonePublished(id, label);
    }
    Restart();
    if (forward) {
      ExpectAllPublished(id, label + ", again");
    } else {
      ExpectNonePublished(id, label + ", again");
    }
  }
}

// Every folder in and manifest.xml rewritten, but the journal cannot be marked done (here its
// file is replaced by a folder for that moment): the publish answers UNAVAILABLE, not
// PUBLISHED, the journal stays open (the upload cannot be cancelled), and finishing the upload
// again (a WriteUpload at its size) marks it done, as does a restart.
TEST_F(UploadPublishTest, ADoneMarkThatFailsLeavesTheJournalOpenUntilARetry) {
  for (bool by_restart : {false, true}) {
    const std::string label = by_restart ? "resolved by a restart" : "resolved by a retry";
    std::string id;
    Start([&](PublishPoint point, size_t) {
      if (point != PublishPoint::kManifest) return false;
      const fs::path journal = options_.dir / id / kPublishJournalFile;
      fs::rename(journal, options_.dir / id / "saved");
      fs::create_directories(journal / "blocker");
      return false;
    });
    core::Result<UploadRecord> created = Create();
    ASSERT_TRUE(created.ok());
    id = created->id;
    core::Result<UploadRecord> sent = Send(id, 0);
    ASSERT_FALSE(sent.ok()) << label << ": answered as published";
    EXPECT_EQ(sent.error().code, core::Code::kUnavailable) << label;
    EXPECT_EQ(FoldersIn(location_), want_) << label;
    fs::remove_all(options_.dir / id / kPublishJournalFile);
    fs::rename(options_.dir / id / "saved", options_.dir / id / kPublishJournalFile);
    core::Result<UploadRecord> record = store_->Get("alice", id);
    ASSERT_TRUE(record.ok());
    EXPECT_FALSE(record->published) << label;
    core::Result<UploadRecord> cancelled = store_->Cancel("alice", id);
    ASSERT_FALSE(cancelled.ok()) << label;
    EXPECT_EQ(cancelled.error().code, core::Code::kFailedPrecondition) << label;
    if (by_restart) {
      Restart();
    } else {
      options_.crash_hook = nullptr;
      core::Result<UploadRecord> again = Send(id, tar_.size());
      ASSERT_TRUE(again.ok()) << label << ": " << again.error().message;
      EXPECT_TRUE(again->published) << label;
    }
    ExpectAllPublished(id, label);
  }
}

// An open journal whose folders are all in the location is never rolled back, even when the
// roll forward fails (here manifest.xml cannot be replaced): the publish may have been
// answered. The journal stays open and the next start finishes it.
TEST_F(UploadPublishTest, AnOpenJournalWithEveryFolderInIsNeverRolledBack) {
  Start([](PublishPoint point, size_t) { return point == PublishPoint::kManifest; });
  core::Result<UploadRecord> created = Create();
  ASSERT_TRUE(created.ok());
  ASSERT_FALSE(Send(created->id, 0).ok());
  store_.reset();
  fs::remove(location_ / "manifest.xml");
  fs::create_directories(location_ / "manifest.xml" / "blocker");
  options_.crash_hook = nullptr;
  Open();
  EXPECT_EQ(FoldersIn(location_), want_);
  EXPECT_TRUE(fs::exists(options_.dir / created->id / kPublishJournalFile));
  core::Result<UploadRecord> record = store_->Get("alice", created->id);
  ASSERT_TRUE(record.ok());
  EXPECT_FALSE(record->published);
  fs::remove_all(location_ / "manifest.xml");
  Restart();
  ExpectAllPublished(created->id, "finished at the next start");
}

// A published upload whose record came from its journal at a restart can be cancelled, and
// expires, as any: the record goes, the backups it published stay.
TEST_F(UploadPublishTest, APublishedUploadRecordedByItsJournalIsCancelledOrExpires) {
  for (bool cancel : {true, false}) {
    const std::string label = cancel ? "cancelled" : "expired";
    auto now = std::make_shared<std::chrono::system_clock::time_point>(
        std::chrono::system_clock::time_point(std::chrono::hours(500000)));
    Start([](PublishPoint point, size_t) { return point == PublishPoint::kManifest; });
    options_.now = [now] { return *now; };
    Open();
    core::Result<UploadRecord> created = Create();
    ASSERT_TRUE(created.ok());
    ASSERT_FALSE(Send(created->id, 0).ok()) << label;
    Restart();
    ExpectAllPublished(created->id, label);
    if (cancel) {
      core::Result<UploadRecord> cancelled = store_->Cancel("alice", created->id);
      ASSERT_TRUE(cancelled.ok()) << label << ": " << cancelled.error().message;
      EXPECT_TRUE(cancelled->published) << label;
    } else {
      *now += options_.expiry + std::chrono::seconds(1);
      Restart();
    }
    EXPECT_FALSE(store_->Get("alice", created->id).ok()) << label;
    EXPECT_FALSE(fs::exists(options_.dir / created->id)) << label;
    EXPECT_EQ(FoldersIn(location_), want_) << label;
    EXPECT_EQ(ManifestIds(location_), want_) << label;
    Restart();
    EXPECT_FALSE(store_->Get("alice", created->id).ok()) << label << ", after a restart";
  }
}

// An upload folder that cannot be opened when the store opens (here a link to nowhere) may hold
// an open journal: the upload is skipped and its staging folder kept, never taken for an
// unpublished upload whose staging is garbage; once it can be opened, its publish is finished.
TEST_F(UploadPublishTest, AnUploadFolderThatCannotBeOpenedKeepsItsStaging) {
  const std::string id = CrashAfterRenames(1);
  ASSERT_FALSE(id.empty());
  store_.reset();
  const fs::path folder = options_.dir / id;
  const fs::path aside = work_ / "aside";
  fs::rename(folder, aside);
  fs::create_symlink(work_ / "nowhere", folder);
  options_.crash_hook = nullptr;
  Open();
  EXPECT_FALSE(store_->Get("alice", id).ok());
  EXPECT_TRUE(fs::exists(StagingOf(id)));
  EXPECT_EQ(FoldersIn(location_).size(), 1u);
  store_.reset();
  fs::remove(folder);
  fs::rename(aside, folder);
  Restart();
  ExpectAllPublished(id, "opened again");
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
