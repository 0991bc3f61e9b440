// TransferClient: uploads and downloads through gpop.v1.BackupTransfer, in 1 MiB chunks, going on
// after a cut connection from where the server says it is (uploads: received_bytes; downloads:
// the bytes already written, checked against the SHA-256 announced first). Downloads are
// written atomically: a temporary file beside the target, fsynced, then renamed over it, so that
// a failure (a full disk, a cut that does not heal) never leaves a partial file under the name.
#ifndef GPOP_CLIENT_TRANSFER_CLIENT_H_
#define GPOP_CLIENT_TRANSFER_CLIENT_H_

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client/options.h"
#include "gpop/v1/transfer.grpc.pb.h"
#include "grpcpp/channel.h"

namespace gpop::client {

// TransferOptions
//
// How transfers behave.
struct TransferOptions {
  // Bytes per message (at most 1 MiB, what the server accepts).
  size_t chunk_bytes = 1 << 20;
  // Attempts per transfer; a cut connection (UNAVAILABLE, or a stream cancelled underneath) is
  // retried from the last acknowledged offset, and the budget resets after progress.
  int max_attempts = 5;
  // Waits between attempts (50 ms times the failures in a row); null = no wait. gpopctl sleeps.
  std::function<void(std::chrono::milliseconds)> sleeper;
  // Called after each chunk with the bytes done and in all (progress bars). Null = nothing.
  std::function<void(int64_t done, int64_t total)> on_progress;
  // Tests: called with the offset before each chunk is sent or written; true cuts the stream
  // there (the call is cancelled, as a dropped connection ends it).
  std::function<bool(int64_t offset)> cut_before;
};

// DownloadResult
//
// What a download wrote.
struct DownloadResult {
  int64_t size = 0;
  std::string sha256;
  std::string content_type;
  int attempts = 0;
};

// TransferClient
//
// Thread-compatible (one transfer at a time per object).
class TransferClient {
 public:
  TransferClient(std::shared_ptr<grpc::Channel> channel, ConnectionOptions options,
                 TransferOptions transfer = {});

  // UploadTar
  //
  // Uploads the tar file `tar` into `location` (empty: the default), declaring `files` (may be
  // empty). Returns the published upload, or the server's refusal.
  absl::StatusOr<v1::Upload> UploadTar(const std::filesystem::path& tar,
                                       const std::string& location,
                                       const std::vector<v1::UploadFile>& files);

  // GetUpload
  //
  // The upload as the server has it (a published one lists the backups it put in place).
  absl::StatusOr<v1::Upload> GetUpload(const std::string& upload_id);

  // DownloadBackup / DownloadReport
  //
  // Writes the download to `out` (replaced atomically). `request.offset` is ignored.
  absl::StatusOr<DownloadResult> DownloadBackup(const v1::DownloadBackupRequest& request,
                                                const std::filesystem::path& out);
  absl::StatusOr<DownloadResult> DownloadReport(const std::string& operation_id,
                                                const std::filesystem::path& out);

 private:
  std::unique_ptr<grpc::ClientContext> NewContext(bool unary) const;
  using Opener = std::function<std::unique_ptr<grpc::ClientReader<v1::DownloadChunk>>(
      grpc::ClientContext*, int64_t offset, const std::string& expected_sha256)>;
  absl::StatusOr<DownloadResult> Download(const Opener& open, const std::filesystem::path& out);

  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::BackupTransfer::Stub> stub_;
  const ConnectionOptions options_;
  const TransferOptions transfer_;
};

// WriteFileAtomically
//
// Replaces `path` with `bytes`: a temporary file in the same folder, fsynced, renamed over it,
// the folder fsynced. On failure `path` is as it was and no temporary file is left.
absl::Status WriteFileAtomically(const std::filesystem::path& path, const std::string& bytes);

}  // namespace gpop::client

#endif  // GPOP_CLIENT_TRANSFER_CLIENT_H_
