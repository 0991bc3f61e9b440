// UploadStore: chunked and resumed uploads of real GPMC backups, the atomic checked publish,
// quotas, and refusals that leave nothing behind.

#include "service/transfer/upload_store.h"

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <future>
#include <thread>

#include "service/backends/sysvol/backup_index.h"
#include "service/backends/sysvol/format/manifest.h"
#include "service/transfer/folder_tar.h"
#include "service/transfer/sha256.h"
#include "tests/testing/fixtures.h"
#include "tests/transfer/folder_files.h"
#include "tests/transfer/raw_tar.h"

namespace gpop::transfer {
namespace {

namespace fs = std::filesystem;

constexpr char kBackup[] = "{32D5EEFD-DACE-44DC-BC16-D364B32B0D2A}";

using testing::ManifestIds;
using testing::ReadAll;
using testing::Tree;

class UploadStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    work_ = gpop::testing::TempDir("gpop-uploads");
    fs::create_directories(work_ / "backups");
    options_.dir = work_ / "uploads";
    options_.locations.folders["default"] = work_ / "backups";
    options_.locations.default_name = "default";
    options_.now = [this] { return now_; };
    Reopen();
  }

  void Reopen() {
    store_.reset();
    core::Result<std::unique_ptr<UploadStore>> store = UploadStore::Open(options_);
    ASSERT_TRUE(store.ok()) << store.error().message;
    store_ = std::move(*store);
  }

  std::string TarOf(const fs::path& dir, std::vector<ExtractedFile>* files = nullptr) {
    fs::path out = gpop::testing::TempDir("gpop-tar") / "x.tar";
    core::Result<std::vector<ExtractedFile>> sent = TarFolder(dir, out);
    EXPECT_TRUE(sent.ok());
    if (files != nullptr && sent.ok()) *files = *sent;
    return ReadAll(out);
  }

  core::Result<UploadRecord> Create(const std::string& bytes, const std::string& who = "alice",
                                    std::vector<DeclaredFile> files = {}) {
    UploadRequest request;
    request.total_bytes = static_cast<int64_t>(bytes.size());
    request.sha256 = Sha256Hex(bytes);
    request.files = std::move(files);
    return store_->Create(who, request);
  }

  // Sends bytes [from, to) of `bytes` in chunks of `chunk`; finishes only when `finish`.
  core::Result<UploadRecord> Send(const std::string& id, const std::string& bytes, size_t from,
                                  size_t to, size_t chunk = 7000, bool finish = true) {
    core::Result<std::unique_ptr<UploadStore::Writer>> writer =
        store_->BeginWrite("alice", id, static_cast<int64_t>(from));
    if (!writer.ok()) return writer.error();
    for (size_t at = from; at < to; at += chunk) {
      core::Status s =
          (*writer)->Append(std::string_view(bytes).substr(at, std::min(chunk, to - at)));
      if (!s.ok()) return s.error();
    }
    if (!finish) {
      writer->reset();  // the writer is dropped: a cut stream
      return store_->Get("alice", id);
    }
    return (*writer)->Finish();
  }

  core::Result<UploadRecord> Upload(const std::string& bytes) {
    core::Result<UploadRecord> created = Create(bytes);
    if (!created.ok()) return created;
    return Send(created->id, bytes, 0, bytes.size());
  }

  void ExpectNothingLeft() {
    std::map<std::string, std::string> tree = Tree(work_ / "backups");
    EXPECT_TRUE(tree.empty()) << "the location holds " << tree.begin()->first;
  }

  fs::path work_;
  UploadOptions options_;
  std::chrono::system_clock::time_point now_ =
      std::chrono::system_clock::time_point(std::chrono::hours(24 * 365 * 50));
  std::unique_ptr<UploadStore> store_;
};

TEST_F(UploadStoreTest, PublishesOneBackupByteForByte) {
  GPOP_REQUIRE_FIXTURES(fixtures);
  const fs::path original = fixtures / "gpmc-backups" / kBackup;
  std::vector<ExtractedFile> files;
  std::string tar = TarOf(original, &files);
  std::vector<DeclaredFile> declared;
  for (const ExtractedFile& f : files) declared.push_back({f.path, f.size, f.sha256});
  core::Result<UploadRecord> created = Create(tar, "alice", declared);
  ASSERT_TRUE(created.ok()) << created.error().message;
  EXPECT_EQ(created->received_bytes, 0);
  core::Result<UploadRecord> done = Send(created->id, tar, 0, tar.size());
  ASSERT_TRUE(done.ok()) << done.error().message;
  EXPECT_TRUE(done->published);
  EXPECT_FALSE(done->backup_set);
  ASSERT_EQ(done->backups.size(), 1u);
  EXPECT_EQ(done->backups[0].info.backup_id, kBackup);
  EXPECT_EQ(done->backups[0].info.location, "default");
  EXPECT_EQ(Tree(work_ / "backups" / kBackup), Tree(original));
  // The bytes are dropped; the publish journal stays as the upload's record.
  EXPECT_FALSE(fs::exists(options_.dir / created->id / "data.tar")) << "the bytes are kept";
  EXPECT_TRUE(fs::exists(options_.dir / created->id / "publish"));
  // The staging area goes with the upload's staging folder when it is left empty.
  EXPECT_FALSE(fs::exists(work_ / "backups" / ".gpop-staging"));
}

TEST_F(UploadStoreTest, PublishesEveryBackupOfASetAtOnce) {
  GPOP_REQUIRE_FIXTURES(fixtures);
  fs::path set = gpop::testing::CopyToTemp(fixtures / "gpmc-backups");
  fs::remove(set / "manifest-sample.xml");
  core::Result<UploadRecord> done = Upload(TarOf(set));
  ASSERT_TRUE(done.ok()) << done.error().message;
  EXPECT_TRUE(done->backup_set);
  ASSERT_EQ(done->backups.size(), 8u);
  for (const PublishedBackup& b : done->backups) {
    EXPECT_EQ(Tree(work_ / "backups" / b.info.backup_id), Tree(set / b.info.backup_id));
  }
}

// The publish brings manifest.xml up to date before it returns (GPMC lists a location's backups
// from it): the backups already listed stay first, in their order, the uploaded ones follow.
TEST_F(UploadStoreTest, PublishListsTheUploadedBackupsInTheManifest) {
  GPOP_REQUIRE_FIXTURES(fixtures);
  sysvol::LocationIndex index;
  std::vector<std::string> indexed;
  options_.location_index = [&](const std::string& name) {
    indexed.push_back(name);
    return &index;
  };
  Reopen();
  core::Result<UploadRecord> one = Upload(TarOf(fixtures / "gpmc-backups" / kBackup));
  ASSERT_TRUE(one.ok()) << one.error().message;
  EXPECT_EQ(ManifestIds(work_ / "backups"), std::vector<std::string>{kBackup});

  fs::path set = gpop::testing::CopyToTemp(fixtures / "gpmc-backups");
  fs::remove(set / "manifest-sample.xml");
  fs::remove_all(set / kBackup);
  core::Result<UploadRecord> rest = Upload(TarOf(set));
  ASSERT_TRUE(rest.ok()) << rest.error().message;
  ASSERT_EQ(rest->backups.size(), 7u);
  std::vector<std::string> listed = ManifestIds(work_ / "backups");
  ASSERT_EQ(listed.size(), 8u);
  EXPECT_EQ(listed.front(), kBackup);
  std::set<std::string> want = {kBackup};
  for (const PublishedBackup& b : rest->backups) want.insert(b.info.backup_id);
  EXPECT_EQ(std::set<std::string>(listed.begin(), listed.end()), want);
  // Through the index the backend lists the location with (it now knows all eight), and no
  // temporary file is left beside the manifest.
  EXPECT_EQ(indexed, (std::vector<std::string>{"default", "default"}));
  EXPECT_GE(index.records_read(), 8);
  for (const auto& e : fs::directory_iterator(work_ / "backups")) {
    const std::string name = e.path().filename().string();
    EXPECT_TRUE(name == "manifest.xml" || name.front() == '{') << name;
  }
}

// A manifest that cannot be written publishes nothing: the backups go back out of the location
// and the upload stays, to be finished again.
TEST_F(UploadStoreTest, AManifestThatCannotBeWrittenPublishesNothing) {
  GPOP_REQUIRE_FIXTURES(fixtures);
  fs::create_directories(work_ / "backups" / "manifest.xml" / "in-the-way");
  std::string tar = TarOf(fixtures / "gpmc-backups" / kBackup);
  core::Result<UploadRecord> created = Create(tar);
  ASSERT_TRUE(created.ok());
  core::Result<UploadRecord> done = Send(created->id, tar, 0, tar.size());
  ASSERT_FALSE(done.ok());
  EXPECT_NE(done.error().message.find("manifest.xml"), std::string::npos) << done.error().message;
  EXPECT_FALSE(fs::exists(work_ / "backups" / kBackup));
  EXPECT_FALSE(fs::exists(work_ / "backups" / ".gpop-staging"));
  core::Result<UploadRecord> kept = store_->Get("alice", created->id);
  ASSERT_TRUE(kept.ok()) << kept.error().message;
  EXPECT_FALSE(kept->published);
  EXPECT_EQ(kept->received_bytes, static_cast<int64_t>(tar.size()));
  // Once the manifest can be written, finishing again publishes.
  fs::remove_all(work_ / "backups" / "manifest.xml");
  core::Result<UploadRecord> again = Send(created->id, tar, tar.size(), tar.size());
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_TRUE(again->published);
  EXPECT_EQ(ManifestIds(work_ / "backups"), std::vector<std::string>{kBackup});
}

TEST_F(UploadStoreTest, ACutUploadResumesFromTheBytesReceivedAndShowsNothingBefore) {
  GPOP_REQUIRE_FIXTURES(fixtures);
  std::string tar = TarOf(fixtures / "hardenad" / "HAD-LAPS-X64-Deployment");
  core::Result<UploadRecord> created = Create(tar);
  ASSERT_TRUE(created.ok());
  const size_t cut = tar.size() / 3;
  core::Result<UploadRecord> partial = Send(created->id, tar, 0, cut, 4096, /*finish=*/false);
  ASSERT_TRUE(partial.ok());
  EXPECT_EQ(partial->received_bytes, static_cast<int64_t>(cut));
  EXPECT_FALSE(partial->published);
  ExpectNothingLeft();
  // A gpopd restart in between: the bytes received are still there.
  Reopen();
  core::Result<UploadRecord> again = store_->Get("alice", created->id);
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again->received_bytes, static_cast<int64_t>(cut));
  // Resuming elsewhere than the received offset is refused with the offset to use.
  core::Result<UploadRecord> wrong = Send(created->id, tar, cut + 10, tar.size());
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().reason, kUploadOffsetMismatch);
  EXPECT_EQ(wrong.error().metadata.at("received_bytes"), std::to_string(cut));
  core::Result<UploadRecord> done = Send(created->id, tar, cut, tar.size());
  ASSERT_TRUE(done.ok()) << done.error().message;
  EXPECT_TRUE(done->published);
  EXPECT_EQ(done->backups.size(), 1u);
}

// A resume goes on from the offset the store synced and recorded, never from what data.tar
// merely holds: a gpopd stopped mid-stream can leave bytes in the file that were written but not
// synced (after a crash they may be zeros or stale blocks, not what the client sent).
TEST_F(UploadStoreTest, AResumeStartsFromTheSyncedOffsetNotFromTheFileSize) {
  GPOP_REQUIRE_FIXTURES(fixtures);
  std::string tar = TarOf(fixtures / "gpmc-backups" / kBackup);
  core::Result<UploadRecord> created = Create(tar);
  ASSERT_TRUE(created.ok());
  const size_t cut = tar.size() / 2;
  core::Result<UploadRecord> partial = Send(created->id, tar, 0, cut, 4096, /*finish=*/false);
  ASSERT_TRUE(partial.ok());
  ASSERT_EQ(partial->received_bytes, static_cast<int64_t>(cut));
  // What a crash can leave: more bytes in the file than were synced, and not the client's.
  const fs::path data = options_.dir / created->id / "data.tar";
  {
    std::ofstream grow(data, std::ios::binary | std::ios::app);
    grow << std::string(5000, '\0');
  }
  ASSERT_EQ(fs::file_size(data), cut + 5000);
  Reopen();
  core::Result<UploadRecord> again = store_->Get("alice", created->id);
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again->received_bytes, static_cast<int64_t>(cut));
  // The client resumes there; the stray bytes are dropped and the upload publishes intact.
  core::Result<UploadRecord> done = Send(created->id, tar, cut, tar.size());
  ASSERT_TRUE(done.ok()) << done.error().message;
  EXPECT_TRUE(done->published);
  EXPECT_EQ(Tree(work_ / "backups" / kBackup), Tree(fixtures / "gpmc-backups" / kBackup));
}

// Bytes without any synced record (a writer that never finished its first sync) count for
// nothing: the upload starts again from 0.
TEST_F(UploadStoreTest, BytesNeverRecordedAsSyncedDoNotCount) {
  core::Result<UploadRecord> created = Create(std::string(10000, 'x'));
  ASSERT_TRUE(created.ok());
  {
    std::ofstream grow(options_.dir / created->id / "data.tar", std::ios::binary);
    grow << std::string(6000, 'x');
  }
  Reopen();
  core::Result<UploadRecord> again = store_->Get("alice", created->id);
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again->received_bytes, 0);
}

// The publish takes the lock the backend's backups of that location publish under (given by
// location_lock, by the location's configured name): while someone else holds it, nothing of
// the upload appears in the location; once it is released, the upload publishes.
TEST_F(UploadStoreTest, PublishTakesTheLocationsLock) {
  GPOP_REQUIRE_FIXTURES(fixtures);
  core::Mutex location_mu;
  std::promise<void> asked;
  std::vector<std::string> names;  // written by the publishing thread before `asked`
  options_.location_lock = [&](const std::string& name) {
    names.push_back(name);
    asked.set_value();
    return &location_mu;
  };
  Reopen();
  std::string tar = TarOf(fixtures / "gpmc-backups" / kBackup);
  core::Result<UploadRecord> created = Create(tar);
  ASSERT_TRUE(created.ok());
  core::Result<UploadRecord> done = core::MakeError(core::Code::kUnknown, "", "not run");
  location_mu.Lock();  // a backup of the location in its publish
  std::thread publisher([&] { done = Send(created->id, tar, 0, tar.size()); });
  asked.get_future().wait();
  // The upload is checked and staged, and waits for the lock: nothing is in the location.
  std::vector<std::string> visible;
  for (const auto& e : fs::directory_iterator(work_ / "backups")) {
    if (e.path().filename() != ".gpop-staging") visible.push_back(e.path().filename().string());
  }
  EXPECT_TRUE(visible.empty()) << visible.front();
  location_mu.Unlock();
  publisher.join();
  ASSERT_TRUE(done.ok()) << done.error().message;
  EXPECT_TRUE(done->published);
  EXPECT_EQ(names, std::vector<std::string>{"default"});
  EXPECT_TRUE(fs::exists(work_ / "backups" / kBackup));
}

TEST_F(UploadStoreTest, AWrongChecksumIsRefusedWithNothingLeft) {
  GPOP_REQUIRE_FIXTURES(fixtures);
  std::string tar = TarOf(fixtures / "gpmc-backups" / kBackup);
  UploadRequest request;
  request.total_bytes = static_cast<int64_t>(tar.size());
  request.sha256 = Sha256Hex("something else");
  core::Result<UploadRecord> created = store_->Create("alice", request);
  ASSERT_TRUE(created.ok());
  core::Result<UploadRecord> done = Send(created->id, tar, 0, tar.size());
  ASSERT_FALSE(done.ok());
  EXPECT_EQ(done.error().reason, kUploadChecksumMismatch);
  ExpectNothingLeft();
  EXPECT_FALSE(store_->Get("alice", created->id).ok()) << "a refused upload is kept";
  EXPECT_FALSE(fs::exists(options_.dir / created->id));
}

TEST_F(UploadStoreTest, ACorruptChunkIsCaughtByTheDigest) {
  GPOP_REQUIRE_FIXTURES(fixtures);
  std::string tar = TarOf(fixtures / "gpmc-backups" / kBackup);
  core::Result<UploadRecord> created = Create(tar);
  ASSERT_TRUE(created.ok());
  std::string corrupt = tar;
  corrupt[corrupt.size() / 2] ^= 0x20;
  core::Result<UploadRecord> done = Send(created->id, corrupt, 0, corrupt.size());
  ASSERT_FALSE(done.ok());
  EXPECT_EQ(done.error().reason, kUploadChecksumMismatch);
  ExpectNothingLeft();
}

TEST_F(UploadStoreTest, DeclaredFileDigestsAreChecked) {
  GPOP_REQUIRE_FIXTURES(fixtures);
  std::vector<ExtractedFile> files;
  std::string tar = TarOf(fixtures / "gpmc-backups" / kBackup, &files);
  std::vector<DeclaredFile> declared;
  for (const ExtractedFile& f : files) declared.push_back({f.path, f.size, f.sha256});
  declared[1].sha256 = Sha256Hex("not this");
  core::Result<UploadRecord> created = Create(tar, "alice", declared);
  ASSERT_TRUE(created.ok());
  core::Result<UploadRecord> done = Send(created->id, tar, 0, tar.size());
  ASSERT_FALSE(done.ok());
  EXPECT_EQ(done.error().reason, kUploadChecksumMismatch);
  EXPECT_EQ(done.error().metadata.at("entry"), declared[1].path);
  ExpectNothingLeft();
}

TEST_F(UploadStoreTest, HostileStreamsAreRefusedWithNothingLeft) {
  using testing::RawTar;
  for (const std::string& tar :
       {RawTar().File("../escape", "x").Finish(), RawTar().Entry("l", '2', "", "/").Finish(),
        RawTar().File("Backup.xml", "<unclosed").File("bkupInfo.xml", "<x/>").Finish(),
        RawTar().File("a", std::string(3000, 'a')).Finish().substr(0, 1200)}) {
    core::Result<UploadRecord> done = Upload(tar);
    ASSERT_FALSE(done.ok());
    EXPECT_EQ(done.error().code, core::Code::kInvalidArgument) << done.error().message;
    ExpectNothingLeft();
  }
  EXPECT_TRUE(fs::is_empty(options_.dir));
}

TEST_F(UploadStoreTest, ABackupAlreadyInTheLocationPublishesNothing) {
  GPOP_REQUIRE_FIXTURES(fixtures);
  fs::path set = gpop::testing::CopyToTemp(fixtures / "gpmc-backups");
  fs::remove(set / "manifest-sample.xml");
  fs::copy(set / kBackup, work_ / "backups" / kBackup, fs::copy_options::recursive);
  core::Result<UploadRecord> done = Upload(TarOf(set));
  ASSERT_FALSE(done.ok());
  EXPECT_EQ(done.error().code, core::Code::kAlreadyExists);
  std::set<std::string> present;
  for (const auto& e : fs::directory_iterator(work_ / "backups")) {
    present.insert(e.path().filename().string());
  }
  EXPECT_EQ(present, (std::set<std::string>{kBackup}));
}

TEST_F(UploadStoreTest, QuotasPerPrincipalAndOverall) {
  options_.quota_per_principal = 1000;
  options_.quota_total = 1500;
  Reopen();
  std::string bytes(600, 'x');
  ASSERT_TRUE(Create(bytes, "alice").ok());
  core::Result<UploadRecord> second = Create(bytes, "alice");
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, core::Code::kResourceExhausted);
  EXPECT_EQ(second.error().reason, kUploadQuotaExceeded);
  EXPECT_EQ(second.error().metadata.at("quota"), "per-principal");
  core::Result<UploadRecord> bob = Create(bytes, "bob");
  ASSERT_TRUE(bob.ok());
  core::Result<UploadRecord> carol = Create(bytes, "carol");
  ASSERT_FALSE(carol.ok());
  EXPECT_EQ(carol.error().metadata.at("quota"), "overall");
  // Cancelling frees the quota; nobody else can cancel or see an upload.
  EXPECT_EQ(store_->Cancel("alice", bob->id).error().reason, kUploadNotFound);
  ASSERT_TRUE(store_->Cancel("bob", bob->id).ok());
  EXPECT_TRUE(Create(bytes, "carol").ok());
}

TEST_F(UploadStoreTest, IdleUploadsExpire) {
  core::Result<UploadRecord> created = Create(std::string(100, 'x'));
  ASSERT_TRUE(created.ok());
  now_ += options_.expiry + std::chrono::seconds(1);
  ASSERT_TRUE(Create(std::string(10, 'y')).ok());  // creation expires idle uploads
  EXPECT_EQ(store_->Get("alice", created->id).error().reason, kUploadNotFound);
  EXPECT_FALSE(fs::exists(options_.dir / created->id));
}

TEST_F(UploadStoreTest, BadRequestsNameTheField) {
  UploadRequest request;
  request.total_bytes = 0;
  request.sha256 = Sha256Hex("x");
  EXPECT_EQ(store_->Create("alice", request).error().metadata.at("field"), "total_bytes");
  request.total_bytes = 10;
  request.sha256 = "ABC";
  EXPECT_EQ(store_->Create("alice", request).error().metadata.at("field"), "sha256");
  request.sha256 = Sha256Hex("x");
  request.files.push_back({"../x", 1, Sha256Hex("x")});
  EXPECT_EQ(store_->Create("alice", request).error().metadata.at("field"), "files[0].path");
  request.files.clear();
  request.location = "nowhere";
  EXPECT_EQ(store_->Create("alice", request).error().reason, core::reason::kLocationNotFound);
}

}  // namespace
}  // namespace gpop::transfer
