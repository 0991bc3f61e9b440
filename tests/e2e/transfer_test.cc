// gpop.v1.BackupTransfer from outside: a real server on 127.0.0.1 with tokens and grants;
// uploads of real GPMC backups and sets in chunks, cut and resumed; hostile streams and quotas
// refused with nothing written; downloads of backups and reports, resumed and checked.

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <random>
#include <set>
#include <thread>

#include "client/error_info.h"
#include "client/transfer_client.h"
#include "service/api/auth/auth_files.h"
#include "service/api/auth/configured_authenticator.h"
#include "service/api/transfer_service.h"
#include "service/transfer/folder_tar.h"
#include "service/transfer/sha256.h"
#include "tests/e2e/test_certs.h"
#include "tests/e2e/test_server.h"
#include "tests/testing/fixtures.h"
#include "tests/transfer/raw_tar.h"

namespace gpop::e2e {
namespace {

namespace fs = std::filesystem;

constexpr char kBackup[] = "{32D5EEFD-DACE-44DC-BC16-D364B32B0D2A}";
constexpr char kAdminToken[] = "admin-secret-0001";
constexpr char kViewerToken[] = "viewer-secret-0001";
constexpr char kFinanceToken[] = "finance-secret-0001";

std::string TokenLine(const std::string& principal, const std::string& token) {
  return principal + " sha256:" + api::HashToken(token) + " never\n";
}

std::string ReadAll(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::map<std::string, std::string> Tree(const fs::path& dir) {
  std::map<std::string, std::string> tree;
  if (!fs::exists(dir)) return tree;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    tree[fs::relative(e.path(), dir).generic_string()] =
        e.is_regular_file() ? transfer::Sha256Hex(ReadAll(e.path())) : "dir";
  }
  return tree;
}

class TransferTest : public ::testing::Test {
 protected:
  TransferTest() : clock_(engine::Time(std::chrono::hours(24 * 365 * 57))) {
    WriteText(dir_.File("tokens"), TokenLine("admin", kAdminToken) +
                                       TokenLine("vic", kViewerToken) +
                                       TokenLine("fin", kFinanceToken));
    WriteText(dir_.File("policy"),
              "grant admin admin\ngrant vic viewer\ngrant fin operator gpo=\"Finance *\"\n");
    absl::StatusOr<std::unique_ptr<api::ConfiguredAuthenticator>> auth =
        api::ConfiguredAuthenticator::Load(dir_.File("tokens"), dir_.File("policy"), &clock_);
    EXPECT_TRUE(auth.ok()) << auth.status();
    auth_ = *std::move(auth);
    location_ = fs::path(dir_.path()) / "backups";
    fs::create_directories(location_);
    transfer::UploadOptions uploads;
    uploads.dir = fs::path(dir_.path()) / "uploads";
    uploads.locations.folders["default"] = location_;
    uploads.locations.default_name = "default";
    uploads.quota_per_principal = 8 << 20;
    auto store = transfer::UploadStore::Open(uploads);
    EXPECT_TRUE(store.ok());
    uploads_ = std::move(*store);
    api::ServerOptions options;
    options.authenticator = auth_.get();
    options.extra_services.push_back(
        [this](api::OperationsApi* api, api::CallAuthentication call_auth) {
          return std::unique_ptr<grpc::Service>(std::make_unique<api::TransferService>(
              api, call_auth, uploads_.get(), fs::path(dir_.path()) / "downloads"));
        });
    server_ = std::make_unique<TestServer>(options, engine::EngineOptions{});
  }

  client::TransferClient Client(const std::string& token, client::TransferOptions options = {}) {
    client::ConnectionOptions connection;
    connection.bearer_token = token;
    options.chunk_bytes = 64 * 1024;
    options.sleeper = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
    return client::TransferClient(server_->NewChannel(), connection, options);
  }

  // A tar of `dir` and its files with their digests.
  fs::path Tar(const fs::path& dir, std::vector<v1::UploadFile>* files = nullptr) {
    fs::path out = fs::path(gpop::testing::TempDir("gpop-e2e-tar")) / "up.tar";
    auto sent = transfer::TarFolder(dir, out);
    EXPECT_TRUE(sent.ok());
    if (files != nullptr && sent.ok()) {
      for (const transfer::ExtractedFile& f : *sent) {
        v1::UploadFile* u = &files->emplace_back();
        u->set_path(f.path);
        u->set_size_bytes(f.size);
        u->set_sha256(f.sha256);
      }
    }
    return out;
  }

  fs::path RawTarFile(const std::string& bytes) {
    fs::path out = fs::path(gpop::testing::TempDir("gpop-e2e-tar")) / "raw.tar";
    std::ofstream(out, std::ios::binary) << bytes;
    return out;
  }

  bool LocationEmpty() {
    std::map<std::string, std::string> tree = Tree(location_);
    tree.erase(".gpop-staging");
    return tree.empty();
  }

  TempDir dir_;
  engine::FakeClock clock_;
  std::unique_ptr<api::ConfiguredAuthenticator> auth_;
  fs::path location_;
  std::unique_ptr<transfer::UploadStore> uploads_;
  std::unique_ptr<TestServer> server_;
};

TEST_F(TransferTest, UploadsABackupInChunksAndDownloadsItByteForByte) {
  GPOP_REQUIRE_FIXTURES(fixtures);
  const fs::path original = fixtures / "gpmc-backups" / kBackup;
  std::vector<v1::UploadFile> files;
  fs::path tar = Tar(original, &files);
  absl::StatusOr<v1::Upload> upload = Client(kAdminToken).UploadTar(tar, "", files);
  ASSERT_TRUE(upload.ok()) << upload.status();
  EXPECT_EQ(upload->state(), v1::PUBLISHED);
  ASSERT_EQ(upload->backups_size(), 1);
  EXPECT_EQ(upload->backups(0).backup().backup_id(), kBackup);
  EXPECT_EQ(upload->backups(0).backup().location(), "default");
  EXPECT_EQ(Tree(location_ / kBackup), Tree(original));

  v1::DownloadBackupRequest request;
  request.add_backup_ids(kBackup);
  fs::path out = fs::path(dir_.path()) / "down.tar";
  absl::StatusOr<client::DownloadResult> down = Client(kAdminToken).DownloadBackup(request, out);
  ASSERT_TRUE(down.ok()) << down.status();
  EXPECT_EQ(down->content_type, "application/x-tar");
  EXPECT_EQ(down->size, static_cast<int64_t>(fs::file_size(out)));
  EXPECT_EQ(down->sha256, transfer::Sha256Hex(ReadAll(out)));
  fs::path unpacked = fs::path(dir_.path()) / "unpacked";
  fs::create_directories(unpacked);
  ASSERT_TRUE(transfer::ExtractTar(out, unpacked, {}).ok());
  EXPECT_EQ(Tree(unpacked), Tree(original));
}

TEST_F(TransferTest, UploadsAndDownloadsResumeAfterCutConnections) {
  GPOP_REQUIRE_FIXTURES(fixtures);
  fs::path set = gpop::testing::CopyToTemp(fixtures / "gpmc-backups");
  fs::remove(set / "manifest-sample.xml");
  fs::path tar = Tar(set);
  const int64_t size = static_cast<int64_t>(fs::file_size(tar));
  // Cut at three points of the stream (each once).
  std::set<int64_t> cut_at = {size / 5, size / 2, size * 3 / 4};
  int cuts = 0;
  client::TransferOptions options;
  options.max_attempts = 10;
  options.cut_before = [&](int64_t offset) {
    for (int64_t at : cut_at) {
      if (offset >= at) {
        cut_at.erase(at);
        ++cuts;
        return true;
      }
    }
    return false;
  };
  absl::StatusOr<v1::Upload> upload = Client(kAdminToken, options).UploadTar(tar, "", {});
  ASSERT_TRUE(upload.ok()) << upload.status();
  EXPECT_EQ(cuts, 3);
  EXPECT_TRUE(upload->backup_set());
  ASSERT_EQ(upload->backups_size(), 8);

  v1::DownloadBackupRequest request;
  for (const v1::UploadedBackup& b : upload->backups())
    request.add_backup_ids(b.backup().backup_id());
  fs::path out = fs::path(dir_.path()) / "set.tar";
  cuts = 0;
  int64_t whole = 0;
  options.cut_before = [&](int64_t offset) {
    if (cuts < 2 && offset > 0 && offset >= whole / 3 * (cuts + 1)) {
      ++cuts;
      return true;
    }
    return false;
  };
  options.on_progress = [&](int64_t, int64_t total) { whole = total; };
  absl::StatusOr<client::DownloadResult> down =
      Client(kAdminToken, options).DownloadBackup(request, out);
  ASSERT_TRUE(down.ok()) << down.status();
  EXPECT_EQ(cuts, 2);
  EXPECT_GE(down->attempts, 3);
  fs::path unpacked = fs::path(dir_.path()) / "unpacked";
  fs::create_directories(unpacked);
  ASSERT_TRUE(transfer::ExtractTar(out, unpacked, {}).ok());
  EXPECT_TRUE(fs::exists(unpacked / "manifest.xml"));
  for (const v1::UploadedBackup& b : upload->backups()) {
    EXPECT_EQ(Tree(unpacked / b.backup().backup_id()), Tree(set / b.backup().backup_id()));
  }
}

// Cuts at random points of the stream (a seed printed, GPOP_TEST_SEED to repeat one): an upload
// in 64 KiB chunks cut at six points (the set published whole, byte for byte), then a download
// resumed at six points (the rest byte for byte the uncut download's).
TEST_F(TransferTest, UploadsAndDownloadsResumeAfterCutsAtRandomPoints) {
  GPOP_REQUIRE_FIXTURES(fixtures);
  const char* env = std::getenv("GPOP_TEST_SEED");
  const uint64_t seed = env != nullptr ? std::strtoull(env, nullptr, 10) : std::random_device()();
  std::printf("UploadsAndDownloadsResumeAfterCutsAtRandomPoints: GPOP_TEST_SEED=%llu\n",
              static_cast<unsigned long long>(seed));
  SCOPED_TRACE("GPOP_TEST_SEED=" + std::to_string(seed));
  std::mt19937_64 random(seed);
  constexpr size_t kChunk = 64 << 10;
  // Six points in [1, size - kChunk]: a chunk starts at or past each of them.
  auto points = [&](int64_t size) {
    std::uniform_int_distribution<int64_t> at(1, size - static_cast<int64_t>(kChunk));
    std::multiset<int64_t> out;
    for (int i = 0; i < 6; ++i) out.insert(at(random));
    return out;
  };
  fs::path set = gpop::testing::CopyToTemp(fixtures / "gpmc-backups");
  fs::remove(set / "manifest-sample.xml");
  fs::path tar = Tar(set);
  const int64_t size = static_cast<int64_t>(fs::file_size(tar));
  ASSERT_GT(size, static_cast<int64_t>(4 * kChunk));
  std::multiset<int64_t> cut_at = points(size);
  int cuts = 0;
  client::TransferOptions options;
  options.chunk_bytes = kChunk;
  options.max_attempts = 20;
  options.cut_before = [&](int64_t offset) {
    if (cut_at.empty() || *cut_at.begin() > offset) return false;
    cut_at.erase(cut_at.begin());
    ++cuts;
    return true;
  };
  absl::StatusOr<v1::Upload> upload = Client(kAdminToken, options).UploadTar(tar, "", {});
  ASSERT_TRUE(upload.ok()) << upload.status();
  EXPECT_EQ(cuts, 6);
  ASSERT_EQ(upload->backups_size(), 8);
  for (const v1::UploadedBackup& b : upload->backups()) {
    EXPECT_EQ(Tree(location_ / b.backup().backup_id()), Tree(set / b.backup().backup_id()));
  }

  v1::DownloadBackupRequest request;
  for (const v1::UploadedBackup& b : upload->backups()) {
    request.add_backup_ids(b.backup().backup_id());
  }
  client::TransferOptions plain;
  plain.chunk_bytes = kChunk;
  const fs::path uncut = fs::path(dir_.path()) / "uncut.tar";
  ASSERT_TRUE(Client(kAdminToken, plain).DownloadBackup(request, uncut).ok());
  const std::string want = ReadAll(uncut);
  ASSERT_GT(want.size(), 4 * kChunk);
  // The server sends 1 MiB chunks, so a client cut lands on a chunk boundary; a connection cut
  // anywhere leaves the client with any number of bytes, from which it resumes: six random
  // offsets, each resumed with the announced SHA-256, must give the rest byte for byte.
  const std::string sha = transfer::Sha256Hex(want);
  auto stub = v1::BackupTransfer::NewStub(server_->NewChannel());
  std::uniform_int_distribution<int64_t> at(1, static_cast<int64_t>(want.size()) - 1);
  for (int i = 0; i < 6; ++i) {
    const int64_t offset = at(random);
    SCOPED_TRACE("download resumed at " + std::to_string(offset));
    request.set_offset(offset);
    request.set_expected_sha256(sha);
    grpc::ClientContext context;
    context.AddMetadata("authorization", std::string("Bearer ") + kAdminToken);
    auto reader = stub->DownloadBackup(&context, request);
    v1::DownloadChunk chunk;
    std::string rest;
    int64_t next = offset;
    while (reader->Read(&chunk)) {
      EXPECT_EQ(chunk.offset(), next);
      next += static_cast<int64_t>(chunk.data().size());
      rest += chunk.data();
    }
    ASSERT_TRUE(reader->Finish().ok());
    EXPECT_TRUE(rest == want.substr(static_cast<size_t>(offset))) << "the rest differs";
  }
}

// A connection cut mid-upload, then gpopd stopped with bytes in data.tar past what it synced
// (what a crash can leave): after the restart GetUpload names the synced offset, the file's
// prefix up to it is the client's, and writing on from there publishes the backup intact.
TEST_F(TransferTest, AResumedUploadStartsFromTheDurablyRecordedOffset) {
  GPOP_REQUIRE_FIXTURES(fixtures);
  const fs::path original = fixtures / "hardenad" / "HAD-LAPS-X64-Deployment";
  fs::path tar = Tar(original);
  const std::string bytes = ReadAll(tar);
  const int64_t size = static_cast<int64_t>(bytes.size());
  client::TransferOptions options;
  options.max_attempts = 1;  // give up after the cut: the test resumes by hand
  // The cut comes once half is sent and the server has written some of it: a cut before the
  // server read anything leaves offset 0, which would not show the resume from the middle.
  const fs::path uploads_dir = fs::path(dir_.path()) / "uploads";
  auto server_has_bytes = [&] {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(uploads_dir, ec)) {
      if (fs::file_size(e.path() / "data.tar", ec) > 0 && !ec) return true;
    }
    return false;
  };
  options.cut_before = [&](int64_t offset) {
    if (offset < size / 2) return false;
    // A condition polled (bounded), not a sleep standing in for one.
    for (int i = 0; i < 10000 && !server_has_bytes(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return true;
  };
  absl::StatusOr<v1::Upload> cut = Client(kAdminToken, options).UploadTar(tar, "", {});
  ASSERT_FALSE(cut.ok());

  // Stop the server (the cut stream's handler ends, syncing what it had), then leave stray bytes.
  server_.reset();
  std::vector<fs::path> folders;
  for (const auto& e : fs::directory_iterator(fs::path(dir_.path()) / "uploads")) {
    folders.push_back(e.path());
  }
  ASSERT_EQ(folders.size(), 1u);
  const std::string id = folders[0].filename().string();
  const int64_t synced = static_cast<int64_t>(fs::file_size(folders[0] / "data.tar"));
  std::ofstream(folders[0] / "data.tar", std::ios::binary | std::ios::app)
      << std::string(4096, '\0');
  uploads_.reset();
  transfer::UploadOptions reopened;
  reopened.dir = fs::path(dir_.path()) / "uploads";
  reopened.locations.folders["default"] = location_;
  reopened.locations.default_name = "default";
  auto store = transfer::UploadStore::Open(reopened);
  ASSERT_TRUE(store.ok()) << store.error().message;
  uploads_ = std::move(*store);
  api::ServerOptions server_options;
  server_options.authenticator = auth_.get();
  server_options.extra_services.push_back(
      [this](api::OperationsApi* api, api::CallAuthentication call_auth) {
        return std::unique_ptr<grpc::Service>(std::make_unique<api::TransferService>(
            api, call_auth, uploads_.get(), fs::path(dir_.path()) / "downloads"));
      });
  server_ = std::make_unique<TestServer>(server_options, engine::EngineOptions{});

  auto stub = v1::BackupTransfer::NewStub(server_->NewChannel());
  v1::GetUploadRequest get;
  get.set_upload_id(id);
  v1::Upload now;
  {
    grpc::ClientContext context;
    context.AddMetadata("authorization", std::string("Bearer ") + kAdminToken);
    ASSERT_TRUE(stub->GetUpload(&context, get, &now).ok());
  }
  EXPECT_EQ(now.received_bytes(), synced) << "not the synced offset";
  EXPECT_GT(now.received_bytes(), 0);
  EXPECT_LT(now.received_bytes(), size / 2 + 64 * 1024);  // the cut came before that chunk
  EXPECT_EQ(ReadAll(folders[0] / "data.tar").substr(0, synced), bytes.substr(0, synced));

  grpc::ClientContext context;
  context.AddMetadata("authorization", std::string("Bearer ") + kAdminToken);
  v1::Upload done;
  auto writer = stub->WriteUpload(&context, &done);
  for (int64_t at = now.received_bytes(); at < size; at += 65536) {
    v1::WriteUploadRequest message;
    if (at == now.received_bytes()) {
      message.set_upload_id(id);
      message.set_offset(at);
    }
    message.set_data(bytes.substr(static_cast<size_t>(at), 65536));
    ASSERT_TRUE(writer->Write(message));
  }
  writer->WritesDone();
  grpc::Status status = writer->Finish();
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(done.state(), v1::PUBLISHED);
  ASSERT_EQ(done.backups_size(), 1);
  const std::string backup_id = done.backups(0).backup().backup_id();
  std::string folder;
  for (const auto& e : fs::directory_iterator(original)) {
    if (e.is_directory()) folder = e.path().filename().string();
  }
  EXPECT_EQ(Tree(location_ / backup_id), Tree(original / folder));
}

TEST_F(TransferTest, HostileTarStreamsAreRefusedWithNothingWritten) {
  using transfer::testing::RawTar;
  for (const std::string& bytes :
       {RawTar().File("../../etc/evil", "x").Finish(), RawTar().File("/etc/evil", "x").Finish(),
        RawTar().Entry("l", '2', "", "/etc/passwd").Finish(),
        RawTar().File("a", "1").Entry("b", '1', "", "a").Finish(),
        RawTar().Entry("d", '3').Finish(), RawTar().File("x", "1").File("X", "2").Finish(),
        RawTar().Pax("size", "10737418240").Entry("big", '0', "", "", 0).Finish()}) {
    absl::StatusOr<v1::Upload> upload = Client(kAdminToken).UploadTar(RawTarFile(bytes), "", {});
    ASSERT_FALSE(upload.ok());
    EXPECT_EQ(upload.status().code(), absl::StatusCode::kInvalidArgument) << upload.status();
    EXPECT_EQ(client::GetReason(upload.status()), "UPLOAD_REJECTED");
    EXPECT_TRUE(LocationEmpty());
  }
  EXPECT_TRUE(fs::is_empty(fs::path(dir_.path()) / "uploads"));
}

// A hostile entry past the point where the connection was cut: the client resumes from the
// offset the server acknowledged, the whole stream arrives, and it is refused then, with nothing
// written (neither in the location nor where the entry points) and no bytes kept.
TEST_F(TransferTest, AHostileTarIsRefusedAfterAResumedUpload) {
  using transfer::testing::RawTar;
  for (const std::string& bytes :
       {RawTar().File("Backup.xml", std::string(300000, ' ')).File("../../escape", "x").Finish(),
        RawTar().File("a", std::string(300000, 'a')).Entry("l", '2', "", "/etc/passwd").Finish(),
        RawTar().File("x", std::string(300000, 'x')).File("X", "2").Finish()}) {
    const int64_t size = static_cast<int64_t>(bytes.size());
    int cuts = 0;
    int64_t resumed_at = -1;
    client::TransferOptions options;
    options.max_attempts = 5;
    options.cut_before = [&](int64_t offset) {
      if (cuts == 0 && offset >= size / 2) {
        ++cuts;
        return true;
      }
      if (cuts == 1 && resumed_at < 0) resumed_at = offset;
      return false;
    };
    absl::StatusOr<v1::Upload> upload =
        Client(kAdminToken, options).UploadTar(RawTarFile(bytes), "", {});
    ASSERT_FALSE(upload.ok());
    EXPECT_EQ(cuts, 1);
    EXPECT_GE(resumed_at, 0) << "the upload did not go on after the cut";
    EXPECT_LT(resumed_at, size);
    EXPECT_EQ(upload.status().code(), absl::StatusCode::kInvalidArgument) << upload.status();
    EXPECT_EQ(client::GetReason(upload.status()), "UPLOAD_REJECTED") << upload.status();
    EXPECT_TRUE(LocationEmpty());
    EXPECT_FALSE(fs::exists(location_.parent_path() / "escape"));
    EXPECT_FALSE(fs::exists(location_ / ".gpop-staging" / "escape"));
    EXPECT_TRUE(fs::is_empty(fs::path(dir_.path()) / "uploads"));
  }
}

// A download cut, then resumed after the backup changed on the server: the resumed bytes would
// not be those announced first, so the server refuses the resume (DOWNLOAD_CHANGED) and the
// client leaves nothing under the name, not even its temporary file.
TEST_F(TransferTest, ADownloadResumedAfterTheBackupChangedLeavesNoFile) {
  GPOP_REQUIRE_FIXTURES(fixtures);
  fs::copy(fixtures / "gpmc-backups" / kBackup, location_ / kBackup, fs::copy_options::recursive);
  const fs::path changed = location_ / kBackup / "Backup.xml";
  fs::permissions(changed, fs::perms::owner_write, fs::perm_options::add);
  int cuts = 0;
  int64_t whole = 0;
  client::TransferOptions options;
  options.max_attempts = 5;
  options.on_progress = [&](int64_t, int64_t total) { whole = total; };
  options.cut_before = [&](int64_t offset) {
    if (cuts == 0 && whole > 0 && offset >= whole / 3) {
      ++cuts;
      std::ofstream(changed, std::ios::binary | std::ios::app) << "<!-- changed -->";
      return true;
    }
    return false;
  };
  v1::DownloadBackupRequest request;
  request.add_backup_ids(kBackup);
  const fs::path out_dir = fs::path(dir_.path()) / "out";
  fs::create_directories(out_dir);
  absl::StatusOr<client::DownloadResult> down =
      Client(kAdminToken, options).DownloadBackup(request, out_dir / "backup.tar");
  ASSERT_FALSE(down.ok());
  EXPECT_EQ(cuts, 1);
  EXPECT_EQ(down.status().code(), absl::StatusCode::kFailedPrecondition) << down.status();
  EXPECT_EQ(client::GetReason(down.status()), "DOWNLOAD_CHANGED") << down.status();
  EXPECT_TRUE(fs::is_empty(out_dir)) << fs::directory_iterator(out_dir)->path();
  // Downloaded again from the start, the changed backup arrives whole.
  absl::StatusOr<client::DownloadResult> again =
      Client(kAdminToken).DownloadBackup(request, out_dir / "backup.tar");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->sha256, transfer::Sha256Hex(ReadAll(out_dir / "backup.tar")));
}

// An unknown location is NOT_FOUND / LOCATION_NOT_FOUND naming the request field, for uploads
// and downloads alike (both requests call it `location`).
TEST_F(TransferTest, AnUnknownLocationNamesTheField) {
  auto stub = v1::BackupTransfer::NewStub(server_->NewChannel());
  v1::CreateUploadRequest create;
  create.set_total_bytes(100);
  create.set_sha256(transfer::Sha256Hex("x"));
  create.set_location("nowhere");
  v1::Upload upload;
  grpc::ClientContext context;
  context.AddMetadata("authorization", std::string("Bearer ") + kAdminToken);
  absl::Status created = client::FromGrpcStatus(stub->CreateUpload(&context, create, &upload));
  EXPECT_EQ(created.code(), absl::StatusCode::kNotFound) << created;
  std::optional<client::ErrorInfo> info = client::GetErrorInfo(created);
  ASSERT_TRUE(info.has_value()) << created;
  EXPECT_EQ(info->reason, "LOCATION_NOT_FOUND");
  EXPECT_EQ(info->metadata["field"], "location");

  v1::DownloadBackupRequest download;
  download.add_backup_ids(kBackup);
  download.set_location("nowhere");
  grpc::ClientContext download_context;
  download_context.AddMetadata("authorization", std::string("Bearer ") + kAdminToken);
  auto reader = stub->DownloadBackup(&download_context, download);
  v1::DownloadChunk chunk;
  while (reader->Read(&chunk)) {
  }
  absl::Status downloaded = client::FromGrpcStatus(reader->Finish());
  EXPECT_EQ(downloaded.code(), absl::StatusCode::kNotFound) << downloaded;
  info = client::GetErrorInfo(downloaded);
  ASSERT_TRUE(info.has_value()) << downloaded;
  EXPECT_EQ(info->reason, "LOCATION_NOT_FOUND");
  EXPECT_EQ(info->metadata["field"], "location");
}

TEST_F(TransferTest, QuotaAndGrantsAreEnforced) {
  v1::CreateUploadRequest create;
  create.set_total_bytes(9 << 20);  // over the 8 MiB per-principal quota
  create.set_sha256(transfer::Sha256Hex("x"));
  v1::Upload upload;
  auto stub = v1::BackupTransfer::NewStub(server_->NewChannel());
  auto call = [&](const std::string& token) {
    grpc::ClientContext context;
    if (!token.empty()) context.AddMetadata("authorization", "Bearer " + token);
    return client::FromGrpcStatus(stub->CreateUpload(&context, create, &upload));
  };
  absl::Status over = call(kAdminToken);
  EXPECT_EQ(over.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(client::GetReason(over), "UPLOAD_QUOTA_EXCEEDED");
  create.set_total_bytes(100);
  EXPECT_EQ(call("").code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(call(kViewerToken).code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(call(kFinanceToken).code(), absl::StatusCode::kPermissionDenied);  // GPO-scoped
  EXPECT_TRUE(call(kAdminToken).ok());
  // Another principal does not see it.
  v1::GetUploadRequest get;
  get.set_upload_id(upload.upload_id());
  grpc::ClientContext context;
  context.AddMetadata("authorization", std::string("Bearer ") + kViewerToken);
  EXPECT_EQ(stub->GetUpload(&context, get, &upload).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(TransferTest, DownloadsAreResumableAtAnyOffsetAndChecked) {
  GPOP_REQUIRE_FIXTURES(fixtures);
  fs::copy(fixtures / "gpmc-backups" / kBackup, location_ / kBackup, fs::copy_options::recursive);
  auto stub = v1::BackupTransfer::NewStub(server_->NewChannel());
  auto read = [&](int64_t offset, const std::string& sha, std::string* bytes,
                  v1::DownloadChunk* first) {
    v1::DownloadBackupRequest request;
    request.add_backup_ids(kBackup);
    request.set_offset(offset);
    request.set_expected_sha256(sha);
    grpc::ClientContext context;
    context.AddMetadata("authorization", std::string("Bearer ") + kAdminToken);
    auto reader = stub->DownloadBackup(&context, request);
    v1::DownloadChunk chunk;
    bool got_first = false;
    while (reader->Read(&chunk)) {
      EXPECT_LE(chunk.ByteSizeLong(), size_t{1} << 21);
      if (!got_first && first != nullptr) *first = chunk;
      got_first = true;
      *bytes += chunk.data();
    }
    return client::FromGrpcStatus(reader->Finish());
  };
  std::string whole;
  v1::DownloadChunk first;
  ASSERT_TRUE(read(0, "", &whole, &first).ok());
  EXPECT_EQ(first.total_bytes(), static_cast<int64_t>(whole.size()));
  EXPECT_EQ(first.sha256(), transfer::Sha256Hex(whole));
  std::string tail;
  ASSERT_TRUE(read(12345, first.sha256(), &tail, nullptr).ok());
  EXPECT_EQ(tail, whole.substr(12345));
  std::string ignored;
  absl::Status changed = read(10, transfer::Sha256Hex("other"), &ignored, nullptr);
  EXPECT_EQ(changed.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(client::GetReason(changed), "DOWNLOAD_CHANGED");
  EXPECT_EQ(read(static_cast<int64_t>(whole.size()) + 1, "", &ignored, nullptr).code(),
            absl::StatusCode::kOutOfRange);
}

TEST_F(TransferTest, DownloadsAReportThroughItsOperation) {
  v1::StartOperationRequest start;
  start.mutable_spec()->mutable_report()->mutable_gpo()->set_display_name("Some GPO");
  start.mutable_spec()->mutable_report()->set_format(v1::HTML);
  grpc::ClientContext context;
  context.AddMetadata("authorization", std::string("Bearer ") + kAdminToken);
  v1::Operation op;
  ASSERT_TRUE(server_->stub().StartOperation(&context, start, &op).ok());
  {
    // Follow the operation's events to its end.
    grpc::ClientContext stream_context;
    stream_context.AddMetadata("authorization", std::string("Bearer ") + kAdminToken);
    v1::StreamStatusRequest follow;
    follow.set_operation_id(op.id());
    auto reader = server_->stub().StreamStatus(&stream_context, follow);
    v1::StatusUpdate update;
    v1::OperationState last = v1::OPERATION_STATE_UNSPECIFIED;
    while (reader->Read(&update)) {
      if (update.has_event()) last = update.event().state();
    }
    ASSERT_TRUE(reader->Finish().ok());
    ASSERT_EQ(last, v1::SUCCEEDED);
  }
  fs::path out = fs::path(dir_.path()) / "report.html";
  absl::StatusOr<client::DownloadResult> down = Client(kAdminToken).DownloadReport(op.id(), out);
  ASSERT_TRUE(down.ok()) << down.status();
  EXPECT_EQ(down->content_type, "text/html");
  EXPECT_NE(ReadAll(out).find("<html"), std::string::npos);
  EXPECT_EQ(down->sha256, transfer::Sha256Hex(ReadAll(out)));
  // A viewer may view the operation, so it may download its report; a stranger may not.
  EXPECT_TRUE(Client(kViewerToken).DownloadReport(op.id(), out).ok());
  EXPECT_EQ(Client("").DownloadReport(op.id(), out).status().code(),
            absl::StatusCode::kUnauthenticated);
}

}  // namespace
}  // namespace gpop::e2e
