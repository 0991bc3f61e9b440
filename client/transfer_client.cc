// Uploads and downloads with resume and atomic files (see transfer_client.h).

#include "client/transfer_client.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <random>

#include "client/error_info.h"
#include "service/transfer/sha256.h"

namespace gpop::client {
namespace {

namespace fs = std::filesystem;

// A cut connection, worth another attempt from the last acknowledged offset.
bool IsCut(const absl::Status& status) {
  return absl::IsUnavailable(status) || absl::IsCancelled(status) || absl::IsAborted(status);
}

absl::Status Errno(const std::string& what, const fs::path& path) {
  return absl::UnavailableError(what + " " + path.string() + ": " + std::strerror(errno));
}

std::string TempName(const fs::path& target) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::random_device random;
  std::string name = "." + target.filename().string() + ".gpop-partial-";
  for (int i = 0; i < 8; ++i) name += kHex[random() % 16];
  return (target.parent_path() / name).string();
}

absl::Status SyncFolder(const fs::path& folder) {
  int fd = ::open(folder.empty() ? "." : folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Errno("open", folder);
  int r = ::fsync(fd);
  ::close(fd);
  return r == 0 ? absl::OkStatus() : Errno("fsync", folder);
}

// A temporary file beside a target, renamed over it by Commit, removed otherwise.
class TempFile {
 public:
  explicit TempFile(const fs::path& target) : target_(target), path_(TempName(target)) {}
  ~TempFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_) ::unlink(path_.c_str());
  }
  absl::Status Open() {
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    return fd_ >= 0 ? absl::OkStatus() : Errno("create", path_);
  }
  absl::Status Truncate(int64_t size) {
    if (::ftruncate(fd_, size) != 0 || ::lseek(fd_, size, SEEK_SET) != size) {
      return Errno("truncate", path_);
    }
    return absl::OkStatus();
  }
  absl::Status Write(const std::string& bytes) {
    const char* p = bytes.data();
    size_t left = bytes.size();
    while (left > 0) {
      ssize_t w = ::write(fd_, p, left);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) return Errno("write", path_);
      p += w;
      left -= static_cast<size_t>(w);
    }
    return absl::OkStatus();
  }
  absl::Status Commit() {
    if (::fsync(fd_) != 0) return Errno("fsync", path_);
    ::close(fd_);
    fd_ = -1;
    if (::rename(path_.c_str(), target_.c_str()) != 0) return Errno("rename to", target_);
    committed_ = true;
    return SyncFolder(target_.parent_path());
  }

 private:
  fs::path target_;
  fs::path path_;
  int fd_ = -1;
  bool committed_ = false;
};

}  // namespace

absl::Status WriteFileAtomically(const fs::path& path, const std::string& bytes) {
  TempFile file(path);
  if (absl::Status s = file.Open(); !s.ok()) return s;
  if (absl::Status s = file.Write(bytes); !s.ok()) return s;
  return file.Commit();
}

TransferClient::TransferClient(std::shared_ptr<grpc::Channel> channel, ConnectionOptions options,
                               TransferOptions transfer)
    : channel_(std::move(channel)),
      stub_(v1::BackupTransfer::NewStub(channel_)),
      options_(std::move(options)),
      transfer_(std::move(transfer)) {}

std::unique_ptr<grpc::ClientContext> TransferClient::NewContext(bool unary) const {
  auto context = std::make_unique<grpc::ClientContext>();
  if (unary && options_.call_timeout.count() > 0) {
    context->set_deadline(std::chrono::system_clock::now() + options_.call_timeout);
  }
  if (!options_.bearer_token.empty()) {
    context->AddMetadata("authorization", "Bearer " + options_.bearer_token);
  }
  return context;
}

absl::StatusOr<v1::Upload> TransferClient::GetUpload(const std::string& upload_id) {
  std::unique_ptr<grpc::ClientContext> context = NewContext(true);
  v1::GetUploadRequest request;
  request.set_upload_id(upload_id);
  v1::Upload upload;
  grpc::Status status = stub_->GetUpload(context.get(), request, &upload);
  if (!status.ok()) return FromGrpcStatus(status);
  return upload;
}

absl::StatusOr<v1::Upload> TransferClient::UploadTar(const fs::path& tar,
                                                     const std::string& location,
                                                     const std::vector<v1::UploadFile>& files) {
  std::ifstream in(tar, std::ios::binary);
  std::error_code ec;
  const int64_t total = static_cast<int64_t>(fs::file_size(tar, ec));
  if (!in || ec) return absl::InvalidArgumentError("cannot read " + tar.string());
  core::Result<std::string> digest = transfer::Sha256OfFile(tar);
  if (!digest.ok()) return absl::InvalidArgumentError(digest.error().message);

  v1::CreateUploadRequest create;
  create.set_location(location);
  create.set_total_bytes(total);
  create.set_sha256(*digest);
  for (const v1::UploadFile& f : files) *create.add_files() = f;
  v1::Upload upload;
  {
    std::unique_ptr<grpc::ClientContext> context = NewContext(true);
    grpc::Status status = stub_->CreateUpload(context.get(), create, &upload);
    if (!status.ok()) return FromGrpcStatus(status);
  }
  int failures = 0;
  std::vector<char> buffer(std::min<size_t>(transfer_.chunk_bytes, 1 << 20));
  while (true) {
    const int64_t start = upload.received_bytes();
    std::unique_ptr<grpc::ClientContext> context = NewContext(false);
    v1::Upload response;
    std::unique_ptr<grpc::ClientWriter<v1::WriteUploadRequest>> writer =
        stub_->WriteUpload(context.get(), &response);
    in.clear();
    in.seekg(start);
    int64_t offset = start;
    bool first = true;
    bool cut = false;
    while (first || offset < total) {
      if (transfer_.cut_before && transfer_.cut_before(offset)) {
        context->TryCancel();
        cut = true;
        break;
      }
      v1::WriteUploadRequest message;
      if (first) {
        message.set_upload_id(upload.upload_id());
        message.set_offset(start);
        first = false;
      }
      const size_t n = static_cast<size_t>(
          std::min<int64_t>(total - offset, static_cast<int64_t>(buffer.size())));
      if (n > 0 && !in.read(buffer.data(), static_cast<std::streamsize>(n))) {
        return absl::UnavailableError("cannot read " + tar.string());
      }
      message.set_data(buffer.data(), n);
      if (!writer->Write(message)) break;  // the stream broke: Finish says why
      offset += static_cast<int64_t>(n);
      if (transfer_.on_progress) transfer_.on_progress(offset, total);
    }
    if (!cut) writer->WritesDone();
    absl::Status status = FromGrpcStatus(writer->Finish());
    if (status.ok() && response.state() == v1::PUBLISHED) return response;
    if (status.ok()) status = absl::UnavailableError("the upload ended unpublished");
    // Another stream of this upload was still being closed (a cut one): ask where it is.
    const bool stale =
        GetReason(status) == "UPLOAD_OFFSET_MISMATCH" || GetReason(status) == "UPLOAD_BUSY";
    if (!IsCut(status) && !cut && !stale) return status;
    if (failures > 0 && transfer_.sleeper)
      transfer_.sleeper(std::chrono::milliseconds(50 * failures));
    // Where the server is now (what it synced of the cut stream).
    std::unique_ptr<grpc::ClientContext> get_context = NewContext(true);
    v1::GetUploadRequest get;
    get.set_upload_id(upload.upload_id());
    v1::Upload now;
    grpc::Status got = stub_->GetUpload(get_context.get(), get, &now);
    if (!got.ok()) {
      absl::Status s = FromGrpcStatus(got);
      if (!IsCut(s)) return s;
    } else {
      if (now.state() == v1::PUBLISHED) return now;
      if (now.received_bytes() > upload.received_bytes()) failures = -1;  // progress: reset
      upload = now;
    }
    if (++failures >= transfer_.max_attempts)
      return status.ok() ? absl::UnavailableError("cut") : status;
  }
}

absl::StatusOr<DownloadResult> TransferClient::Download(const Opener& open, const fs::path& out) {
  TempFile file(out);
  if (absl::Status s = file.Open(); !s.ok()) return s;
  DownloadResult result;
  int64_t written = 0;
  int failures = 0;
  bool announced = false;
  transfer::Sha256 digest;
  while (true) {
    ++result.attempts;
    std::unique_ptr<grpc::ClientContext> context = NewContext(false);
    std::unique_ptr<grpc::ClientReader<v1::DownloadChunk>> reader =
        open(context.get(), written, result.sha256);
    v1::DownloadChunk chunk;
    bool cut = false;
    while (true) {
      if (transfer_.cut_before && transfer_.cut_before(written)) {
        context->TryCancel();
        cut = true;
        break;
      }
      if (!reader->Read(&chunk)) break;
      if (!announced) {
        if (chunk.sha256().empty()) return absl::DataLossError("the download announced no SHA-256");
        result.size = chunk.total_bytes();
        result.sha256 = chunk.sha256();
        result.content_type = chunk.content_type();
        announced = true;
      }
      if (chunk.offset() != written) {
        return absl::DataLossError("the server sent offset " + std::to_string(chunk.offset()) +
                                   ", expected " + std::to_string(written));
      }
      if (absl::Status s = file.Write(chunk.data()); !s.ok()) return s;
      digest.Update(chunk.data());
      written += static_cast<int64_t>(chunk.data().size());
      if (written > result.size) return absl::DataLossError("the server sent too many bytes");
      if (transfer_.on_progress) transfer_.on_progress(written, result.size);
    }
    if (cut) {
      // Drain the cancelled call before the next attempt.
      while (reader->Read(&chunk)) {
      }
    }
    absl::Status status = FromGrpcStatus(reader->Finish());
    if (status.ok() && !cut && announced && written == result.size) break;
    if (status.ok() && !cut) return absl::DataLossError("the download ended early");
    if (!IsCut(status) && !cut) return status;
    if (++failures >= transfer_.max_attempts)
      return status.ok() ? absl::UnavailableError("cut") : status;
    if (transfer_.sleeper) transfer_.sleeper(std::chrono::milliseconds(50 * failures));
  }
  if (digest.Hex() != result.sha256) {
    return absl::DataLossError("the download's SHA-256 does not match the one announced");
  }
  if (absl::Status s = file.Commit(); !s.ok()) return s;
  return result;
}

absl::StatusOr<DownloadResult> TransferClient::DownloadBackup(
    const v1::DownloadBackupRequest& request, const fs::path& out) {
  return Download(
      [&](grpc::ClientContext* context, int64_t offset, const std::string& sha) {
        v1::DownloadBackupRequest r = request;
        r.set_offset(offset);
        r.set_expected_sha256(sha);
        return stub_->DownloadBackup(context, r);
      },
      out);
}

absl::StatusOr<DownloadResult> TransferClient::DownloadReport(const std::string& operation_id,
                                                              const fs::path& out) {
  return Download(
      [&](grpc::ClientContext* context, int64_t offset, const std::string& sha) {
        v1::DownloadReportRequest r;
        r.set_operation_id(operation_id);
        r.set_offset(offset);
        r.set_expected_sha256(sha);
        return stub_->DownloadReport(context, r);
      },
      out);
}

}  // namespace gpop::client
