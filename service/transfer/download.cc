// Preparing and reading downloads (see download.h).

#include "service/transfer/download.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <random>
#include <set>

#include "service/backends/sysvol/backup_folder.h"
#include "service/backends/sysvol/format/backup_inst.h"
#include "service/backends/sysvol/format/manifest.h"
#include "service/backends/sysvol/safe_fs.h"
#include "service/core/guid.h"
#include "service/transfer/folder_tar.h"
#include "service/transfer/sha256.h"

namespace gpop::transfer {
namespace {

namespace fs = std::filesystem;
using sysvol::Dir;

constexpr size_t kMaxInfoBytes = 1 << 20;

struct OpenedBackup {
  std::string id;
  std::string folder_name;  // as on disk
  sysvol::BackupInst inst;
};

core::Result<std::vector<OpenedBackup>> OpenBackups(const Dir& location,
                                                    const std::vector<std::string>& ids) {
  if (ids.empty()) return core::InvalidField("backup_ids", "name at least one backup");
  std::vector<OpenedBackup> out;
  std::set<std::string> seen;
  for (size_t i = 0; i < ids.size(); ++i) {
    const std::string field = "backup_ids[" + std::to_string(i) + "]";
    std::optional<std::string> id = core::NormalizeGuid(ids[i]);
    if (!id) return core::InvalidField(field, "is not a backup ID ({GUID})");
    if (!seen.insert(*id).second) return core::InvalidField(field, "is repeated");
    core::Result<std::optional<sysvol::DirEntry>> entry = location.FindNoCase(*id);
    if (!entry.ok()) return entry.error();
    if (!*entry || (*entry)->type != sysvol::EntryType::kDirectory) {
      return core::MakeError(core::Code::kNotFound, core::reason::kBackupNotFound,
                             "no backup " + *id + " in this location", {{"backup_id", *id}});
    }
    core::Result<Dir> folder = location.OpenSubdir((*entry)->name);
    if (!folder.ok()) return folder.error();
    core::Result<std::optional<sysvol::DirEntry>> info = folder->FindNoCase("bkupInfo.xml");
    if (!info.ok()) return info.error();
    if (!*info) {
      return core::MakeError(core::Code::kFailedPrecondition, core::reason::kCorruptFile,
                             "backup " + *id + " has no bkupInfo.xml", {{"backup_id", *id}});
    }
    core::Result<std::string> bytes = folder->ReadFile((*info)->name, kMaxInfoBytes);
    if (!bytes.ok()) return bytes.error();
    core::Result<sysvol::BackupInst> inst = sysvol::ParseBkupInfo(*bytes, *id + "/bkupInfo.xml");
    if (!inst.ok()) return inst.error();
    out.push_back(OpenedBackup{*id, (*entry)->name, *std::move(inst)});
  }
  return out;
}

// The backups `ids` of the location `location`, with the location's configured name and folder.
core::Result<std::vector<OpenedBackup>> OpenBackups(const TransferLocations& locations,
                                                    const std::string& location,
                                                    const std::vector<std::string>& ids,
                                                    std::string* name, Dir* folder) {
  core::Result<std::pair<std::string, fs::path>> resolved = ResolveLocation(locations, location);
  if (!resolved.ok()) return resolved.error();
  core::Result<Dir> loc = Dir::OpenRoot(resolved->second, "backups/" + resolved->first);
  if (!loc.ok()) return loc.error();
  *name = resolved->first;
  *folder = std::move(*loc);
  return OpenBackups(*folder, ids);
}

std::string ScratchName() {
  static constexpr char kHex[] = "0123456789abcdef";
  std::random_device random;
  std::string name = "download-";
  for (int i = 0; i < 20; ++i) name += kHex[random() % 16];
  return name + ".tar";
}

}  // namespace

Download::Download(std::string bytes, std::string content_type)
    : bytes_(std::move(bytes)),
      size_(static_cast<int64_t>(bytes_.size())),
      sha256_(Sha256Hex(bytes_)),
      content_type_(std::move(content_type)) {}

Download::Download(fs::path path, int64_t size, std::string sha256, std::string content_type)
    : path_(std::move(path)),
      size_(size),
      sha256_(std::move(sha256)),
      content_type_(std::move(content_type)) {}

Download::~Download() {
  if (!path_.empty()) {
    std::error_code ec;
    fs::remove(path_, ec);
  }
}

core::Status Download::CheckResume(int64_t offset, const std::string& expected_sha256) const {
  if (offset < 0 || offset > size_) {
    return core::MakeError(core::Code::kOutOfRange, core::reason::kInvalidField,
                           "offset " + std::to_string(offset) + " is beyond the download's " +
                               std::to_string(size_) + " bytes",
                           {{"field", "offset"}, {"total_bytes", std::to_string(size_)}});
  }
  if (!expected_sha256.empty() && expected_sha256 != sha256_) {
    return core::MakeError(core::Code::kFailedPrecondition, kDownloadChanged,
                           "the download changed since it was started (SHA-256 now " + sha256_ +
                               "); start again from offset 0",
                           {{"sha256", sha256_}});
  }
  return core::Status();
}

core::Result<std::string> Download::Read(int64_t offset, size_t max_bytes) const {
  if (offset >= size_) return std::string();
  const size_t n = static_cast<size_t>(std::min<int64_t>(size_ - offset, max_bytes));
  if (path_.empty()) return bytes_.substr(static_cast<size_t>(offset), n);
  int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return sysvol::ErrnoError(errno, "open", "download");
  std::string out(n, '\0');
  size_t got = 0;
  while (got < n) {
    ssize_t r = ::pread(fd, out.data() + got, n - got, offset + static_cast<int64_t>(got));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      int err = r < 0 ? errno : EIO;
      ::close(fd);
      return sysvol::ErrnoError(err, "read", "download");
    }
    got += static_cast<size_t>(r);
  }
  ::close(fd);
  return out;
}

core::Result<std::vector<core::BackupInfo>> LookUpBackups(const TransferLocations& locations,
                                                          const std::string& location,
                                                          const std::vector<std::string>& ids) {
  std::string name;
  Dir loc;
  core::Result<std::vector<OpenedBackup>> opened =
      OpenBackups(locations, location, ids, &name, &loc);
  if (!opened.ok()) return opened.error();
  std::vector<core::BackupInfo> out;
  for (const OpenedBackup& b : *opened) {
    out.push_back(sysvol::BackupInfoFromInst(b.inst, name));
  }
  return out;
}

core::Result<std::unique_ptr<Download>> PrepareBackupDownload(const TransferLocations& locations,
                                                              const fs::path& scratch,
                                                              const std::string& location,
                                                              const std::vector<std::string>& ids,
                                                              bool as_set) {
  std::string name;
  Dir loc;
  core::Result<std::vector<OpenedBackup>> opened =
      OpenBackups(locations, location, ids, &name, &loc);
  if (!opened.ok()) return opened.error();
  std::error_code ec;
  fs::create_directories(scratch, ec);
  const fs::path path = scratch / ScratchName();
  core::Status status;
  {
    core::Result<std::unique_ptr<TarWriter>> tar = TarWriter::Create(path);
    if (!tar.ok()) return tar.error();
    const bool set = as_set || opened->size() > 1;
    if (set) {
      sysvol::Manifest manifest;
      for (const OpenedBackup& b : *opened) manifest.backups.push_back(b.inst);
      status = (*tar)->AddFile("manifest.xml", sysvol::WriteManifest(manifest));
    }
    for (const OpenedBackup& b : *opened) {
      if (!status.ok()) break;
      core::Result<Dir> folder = loc.OpenSubdir(b.folder_name);
      if (!folder.ok()) {
        status = folder.error();
        break;
      }
      if (set) status = (*tar)->AddFolder(b.id);
      if (status.ok()) status = AddTree(**tar, *folder, set ? b.id : "", nullptr);
    }
    if (status.ok()) status = (*tar)->Close();
  }
  core::Result<std::string> sha =
      status.ok() ? Sha256OfFile(path) : core::Result<std::string>(status.error());
  const int64_t size = static_cast<int64_t>(fs::file_size(path, ec));
  if (!sha.ok() || ec) {
    fs::remove(path, ec);
    return sha.ok() ? sysvol::ErrnoError(EIO, "stat", "download") : sha.error();
  }
  return std::make_unique<Download>(path, size, *sha, "application/x-tar");
}

}  // namespace gpop::transfer
