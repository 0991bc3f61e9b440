// gpopctl upload and download-backup (see transfer_commands.h).

#include "client/ctl/transfer_commands.h"

#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "client/ctl/exit_codes.h"
#include "client/ctl/render.h"
#include "service/transfer/folder_tar.h"
#include "service/transfer/tar_extract.h"

namespace gpop::ctl {
namespace {

namespace fs = std::filesystem;

int Fail(const Io& io, const absl::Status& status) {
  *io.err << "gpopctl: " << ErrorText(status) << "\n";
  return ExitCodeForStatus(status);
}

int FailText(const Io& io, const std::string& message, int code) {
  *io.err << "gpopctl: " << message << "\n";
  return code;
}

// A new private folder for temporary files, removed with the object.
class Scratch {
 public:
  explicit Scratch(const fs::path& beside) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::random_device random;
    std::string name = ".gpopctl-";
    for (int i = 0; i < 12; ++i) name += kHex[random() % 16];
    path_ = beside / name;
    std::error_code ec;
    ok_ = fs::create_directory(path_, ec);
  }
  ~Scratch() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  bool ok() const { return ok_; }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
  bool ok_ = false;
};

fs::path FolderOf(const fs::path& path) {
  fs::path parent = fs::absolute(path).parent_path();
  return parent.empty() ? fs::current_path() : parent;
}

}  // namespace

int RunUpload(const Command& command, client::TransferClient& transfer, const Io& io) {
  const fs::path source = command.transfer_paths[0];
  std::error_code ec;
  std::vector<v1::UploadFile> files;
  fs::path tar = source;
  Scratch scratch(fs::temp_directory_path());
  if (fs::is_directory(source, ec)) {
    if (!scratch.ok()) return FailText(io, "cannot create a temporary folder", kExitOther);
    tar = scratch.path() / "upload.tar";
    core::Result<std::vector<transfer::ExtractedFile>> sent = transfer::TarFolder(source, tar);
    if (!sent.ok()) {
      return FailText(io, "cannot pack " + source.string() + ": " + sent.error().message,
                      kExitInvalid);
    }
    for (const transfer::ExtractedFile& f : *sent) {
      v1::UploadFile* u = &files.emplace_back();
      u->set_path(f.path);
      u->set_size_bytes(f.size);
      u->set_sha256(f.sha256);
    }
  } else if (!fs::is_regular_file(source, ec)) {
    return FailText(io, source.string() + ": not a folder or a tar file", kExitUsage);
  }
  absl::StatusOr<v1::Upload> upload = transfer.UploadTar(tar, command.transfer_location, files);
  if (!upload.ok()) return Fail(io, upload.status());
  if (command.global.output == OutputFormat::kJson) {
    *io.out << ToJson(*upload, /*pretty=*/true) << "\n";
    return kExitOk;
  }
  v1::ListBackupsResponse listing;
  for (const v1::UploadedBackup& b : upload->backups()) *listing.add_backups() = b.backup();
  *io.out << BackupsTable(listing);
  // The upload ID names the set to `import-set --upload`.
  *io.err << "gpopctl: upload " << upload->upload_id() << ": " << upload->total_bytes()
          << " bytes (SHA-256 " << upload->sha256() << "): " << upload->backups_size() << " backup"
          << (upload->backups_size() == 1 ? "" : "s") << " in location " << upload->location()
          << "\n";
  return kExitOk;
}

int RunDownloadBackup(const Command& command, client::TransferClient& transfer, const Io& io) {
  v1::DownloadBackupRequest request;
  request.set_location(command.transfer_location);
  for (const std::string& id : command.transfer_paths) request.add_backup_ids(id);
  request.set_as_backup_set(command.as_backup_set);
  const fs::path out = command.out_file;
  if (absl::EndsWithIgnoreCase(out.string(), ".tar")) {
    absl::StatusOr<client::DownloadResult> down = transfer.DownloadBackup(request, out);
    if (!down.ok()) return Fail(io, down.status());
    *io.err << "gpopctl: wrote " << down->size << " bytes to " << out.string() << " (SHA-256 "
            << down->sha256 << ")\n";
    return kExitOk;
  }
  std::error_code ec;
  if (fs::exists(out, ec)) {
    return FailText(io, out.string() + " exists; name a new folder or a .tar file", kExitUsage);
  }
  Scratch scratch(FolderOf(out));
  if (!scratch.ok()) return FailText(io, "cannot write beside " + out.string(), kExitOther);
  const fs::path tar = scratch.path() / "download.tar";
  absl::StatusOr<client::DownloadResult> down = transfer.DownloadBackup(request, tar);
  if (!down.ok()) return Fail(io, down.status());
  // The same checks as the server's on upload: nothing of a hostile tar lands outside.
  const fs::path tree = scratch.path() / "tree";
  fs::create_directory(tree, ec);
  core::Result<std::vector<transfer::ExtractedFile>> files =
      transfer::ExtractTar(tar, tree, transfer::ExtractLimits());
  if (!files.ok())
    return FailText(io, "the download is not a safe tar: " + files.error().message, kExitOther);
  fs::rename(tree, out, ec);
  if (ec) return FailText(io, "cannot create " + out.string() + ": " + ec.message(), kExitOther);
  *io.err << "gpopctl: wrote " << files->size() << " files (" << down->size
          << " bytes of tar, SHA-256 " << down->sha256 << ") to " << out.string() << "\n";
  return kExitOk;
}

}  // namespace gpop::ctl
