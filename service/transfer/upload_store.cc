// Uploads: sessions, quotas, resumable bytes, and the checked publish (see upload_store.h).

#include "service/transfer/upload_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <vector>

#include "service/backends/sysvol/backup_folder.h"
#include "service/backends/sysvol/backup_index.h"
#include "service/backends/sysvol/safe_fs.h"
#include "service/backends/sysvol/txn/backup_publish.h"
#include "service/backends/sysvol/txn/staging.h"
#include "service/core/guid.h"
#include "service/transfer/sha256.h"
#include "service/transfer/upload_layout.h"

namespace gpop::transfer {
namespace {

namespace fs = std::filesystem;
using sysvol::Dir;

constexpr char kDataFile[] = "data.tar";
constexpr char kMetaFile[] = "upload.meta";
// The bytes of data.tar known to be on disk (fsynced), as decimal text.
constexpr char kReceivedFile[] = "received";
constexpr char kStagingPrefix[] = "upload-";

std::string NewUploadId() {
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
  std::random_device random;
  std::string id = "up-";
  for (int i = 0; i < 26; ++i) id += kAlphabet[random() % 32];
  return id;
}

bool IsUploadId(const std::string& id) {
  if (id.size() != 29 || id.rfind("up-", 0) != 0) return false;
  for (size_t i = 3; i < id.size(); ++i) {
    char c = id[i];
    if (!((c >= 'a' && c <= 'z') || (c >= '2' && c <= '7'))) return false;
  }
  return true;
}

core::Error NotFound(const std::string& id) {
  return core::MakeError(core::Code::kNotFound, kUploadNotFound,
                         "no upload " + id + " of this principal (finished, cancelled or expired)",
                         {{"upload_id", id}});
}

int64_t FileSize(const fs::path& path) {
  std::error_code ec;
  uintmax_t size = fs::file_size(path, ec);
  return ec ? -1 : static_cast<int64_t>(size);
}

// Checks the extracted files against what the client declared (when it declared any).
core::Status CheckDeclared(const std::vector<DeclaredFile>& declared,
                           const std::vector<ExtractedFile>& files) {
  if (declared.empty()) return core::Status();
  std::map<std::string, const DeclaredFile*> by_path;
  for (const DeclaredFile& d : declared) by_path[d.path] = &d;
  for (const ExtractedFile& f : files) {
    auto it = by_path.find(f.path);
    if (it == by_path.end()) {
      return core::MakeError(core::Code::kInvalidArgument, kUploadChecksumMismatch,
                             "upload: " + f.path +
                                 " is in the tar but not among the files "
                                 "declared",
                             {{"entry", f.path}});
    }
    if (it->second->size != f.size || it->second->sha256 != f.sha256) {
      return core::MakeError(core::Code::kInvalidArgument, kUploadChecksumMismatch,
                             "upload: " + f.path + " has size " + std::to_string(f.size) +
                                 " and SHA-256 " + f.sha256 + ", not the declared " +
                                 std::to_string(it->second->size) + " and " + it->second->sha256,
                             {{"entry", f.path}});
    }
    by_path.erase(it);
  }
  if (!by_path.empty()) {
    const std::string& missing = by_path.begin()->first;
    return core::MakeError(core::Code::kInvalidArgument, kUploadChecksumMismatch,
                           "upload: the declared file " + missing + " is not in the tar",
                           {{"entry", missing}});
  }
  return core::Status();
}

std::string MetaText(const UploadRecord& record, const std::vector<DeclaredFile>& declared,
                     std::chrono::system_clock::time_point touched) {
  std::ostringstream out;
  out << "principal " << record.principal << "\n"
      << "location " << record.location << "\n"
      << "total " << record.total_bytes << "\n"
      << "sha256 " << record.sha256 << "\n"
      << "touched "
      << std::chrono::duration_cast<std::chrono::seconds>(touched.time_since_epoch()).count()
      << "\n";
  for (const DeclaredFile& f : declared) {
    out << "file " << f.size << " " << f.sha256 << " " << f.path << "\n";
  }
  return out.str();
}

bool ParseMeta(const std::string& text, UploadRecord* record, std::vector<DeclaredFile>* declared,
               std::chrono::system_clock::time_point* touched) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    size_t space = line.find(' ');
    if (space == std::string::npos) return false;
    std::string key = line.substr(0, space), value = line.substr(space + 1);
    if (key == "principal") {
      record->principal = value;
    } else if (key == "location") {
      record->location = value;
    } else if (key == "total") {
      record->total_bytes = std::strtoll(value.c_str(), nullptr, 10);
    } else if (key == "sha256") {
      record->sha256 = value;
    } else if (key == "touched") {
      *touched = std::chrono::system_clock::time_point(
          std::chrono::seconds(std::strtoll(value.c_str(), nullptr, 10)));
    } else if (key == "file") {
      std::istringstream f(value);
      DeclaredFile d;
      f >> d.size >> d.sha256;
      f.get();
      std::getline(f, d.path);
      if (d.path.empty()) return false;
      declared->push_back(std::move(d));
    } else {
      return false;
    }
  }
  return !record->principal.empty() && record->total_bytes > 0 && IsSha256Hex(record->sha256);
}

// Removes the staging folders a stopped publish left in `location` (and the area if empty).
void RemoveStaleStaging(const fs::path& location) {
  core::Result<Dir> root = Dir::OpenRoot(location, "backups");
  if (!root.ok() || !root->Exists(sysvol::kStagingFolder)) return;
  std::error_code ec;
  std::vector<std::string> stale;
  for (const fs::directory_entry& e :
       fs::directory_iterator(location / sysvol::kStagingFolder, ec)) {
    const std::string name = e.path().filename().string();
    if (name.rfind(kStagingPrefix, 0) == 0) stale.push_back(name);
  }
  for (const std::string& name : stale) (void)sysvol::RemoveStaging(*root, name);
}

}  // namespace

core::Result<std::unique_ptr<UploadStore>> UploadStore::Open(UploadOptions options) {
  std::error_code ec;
  fs::create_directories(options.dir, ec);
  if (ec) {
    return core::MakeError(
        core::Code::kFailedPrecondition, core::reason::kIoError,
        "cannot create the uploads folder " + options.dir.string() + ": " + ec.message());
  }
  std::unique_ptr<UploadStore> store(new UploadStore(std::move(options)));
  for (const auto& [name, folder] : store->options_.locations.folders) RemoveStaleStaging(folder);
  core::MutexLock lock(&store->mu_);
  for (const fs::directory_entry& e : fs::directory_iterator(store->options_.dir, ec)) {
    const std::string id = e.path().filename().string();
    Session session;
    session.record.id = id;
    std::ifstream meta(e.path() / kMetaFile);
    std::stringstream text;
    text << meta.rdbuf();
    const int64_t size = FileSize(e.path() / kDataFile);
    // Only what a writer synced and recorded counts; bytes past it (written, not yet synced,
    // when gpopd stopped) may not be what was sent, and are truncated by the next writer.
    int64_t received = 0;
    {
      std::ifstream record(e.path() / kReceivedFile);
      std::string digits;
      if (record >> digits) received = std::strtoll(digits.c_str(), nullptr, 10);
    }
    if (!IsUploadId(id) ||
        !ParseMeta(text.str(), &session.record, &session.declared, &session.touched) ||
        size < 0 || received < 0 || received > session.record.total_bytes) {
      fs::remove_all(e.path(), ec);
      continue;
    }
    session.record.received_bytes = std::min(received, size);
    store->sessions_.emplace(id, std::move(session));
  }
  store->ExpireLocked();
  return store;
}

core::Result<std::pair<std::string, fs::path>> UploadStore::ResolveLocation(
    const std::string& name) const {
  return transfer::ResolveLocation(options_.locations, name);
}

core::Status UploadStore::SaveMeta(const Session& session) const {
  core::Result<Dir> folder = Dir::OpenRoot(FolderOf(session.record.id), "upload");
  if (!folder.ok()) return folder.status();
  const std::string tmp = std::string(kMetaFile) + ".tmp";
  if (core::Status s =
          folder->WriteFile(tmp, MetaText(session.record, session.declared, session.touched));
      !s.ok()) {
    return s;
  }
  if (core::Status s = folder->RenameTo(tmp, *folder, kMetaFile); !s.ok()) return s;
  return folder->Sync();
}

core::Status UploadStore::SaveReceived(const std::string& id, int64_t received) const {
  core::Result<Dir> folder = Dir::OpenRoot(FolderOf(id), "upload");
  if (!folder.ok()) return folder.status();
  const std::string tmp = std::string(kReceivedFile) + ".tmp";
  if (core::Status s = folder->WriteFile(tmp, std::to_string(received) + "\n"); !s.ok()) return s;
  if (core::Status s = folder->RenameTo(tmp, *folder, kReceivedFile); !s.ok()) return s;
  return folder->Sync();
}

void UploadStore::RemoveLocked(const std::string& id) {
  std::error_code ec;
  fs::remove_all(FolderOf(id), ec);
  sessions_.erase(id);
}

void UploadStore::ExpireLocked() {
  const auto now = options_.now();
  std::vector<std::string> expired;
  for (const auto& [id, session] : sessions_) {
    if (!session.writing && now - session.touched > options_.expiry) expired.push_back(id);
  }
  for (const std::string& id : expired) RemoveLocked(id);
}

core::Result<UploadStore::Session*> UploadStore::FindLocked(const std::string& principal,
                                                            const std::string& id) {
  auto it = sessions_.find(id);
  if (it == sessions_.end() || it->second.record.principal != principal) return NotFound(id);
  return &it->second;
}

core::Result<UploadRecord> UploadStore::Create(const std::string& principal,
                                               const UploadRequest& request) {
  if (request.total_bytes <= 0) return core::InvalidField("total_bytes", "must be positive");
  if (!IsSha256Hex(request.sha256)) {
    return core::InvalidField("sha256", "must be 64 lower-case hex digits");
  }
  if (principal.empty() || principal.find('\n') != std::string::npos) {
    return core::InvalidField("principal", "cannot own an upload");
  }
  std::set<std::string> seen;
  for (size_t i = 0; i < request.files.size(); ++i) {
    const DeclaredFile& f = request.files[i];
    const std::string field = "files[" + std::to_string(i) + "]";
    core::Result<std::string> path = NormalizeEntryPath(f.path, options_.limits);
    if (!path.ok() || path->empty() || *path != f.path) {
      return core::InvalidField(field + ".path", "must be a relative '/'-separated file path");
    }
    if (!seen.insert(f.path).second) return core::InvalidField(field + ".path", "is repeated");
    if (f.size < 0) return core::InvalidField(field + ".size_bytes", "must not be negative");
    if (!IsSha256Hex(f.sha256)) {
      return core::InvalidField(field + ".sha256", "must be 64 lower-case hex digits");
    }
  }
  core::Result<std::pair<std::string, fs::path>> location = ResolveLocation(request.location);
  if (!location.ok()) return location.error();

  core::MutexLock lock(&mu_);
  ExpireLocked();
  int64_t mine = 0, all = 0;
  for (const auto& [id, session] : sessions_) {
    if (session.record.published) continue;
    all += session.record.total_bytes;
    if (session.record.principal == principal) mine += session.record.total_bytes;
  }
  auto exhausted = [&](const std::string& which, int64_t used, int64_t quota) {
    return core::MakeError(core::Code::kResourceExhausted, kUploadQuotaExceeded,
                           "an upload of " + std::to_string(request.total_bytes) +
                               " bytes exceeds the " + which + " upload quota (" +
                               std::to_string(used) + " of " + std::to_string(quota) +
                               " bytes in unfinished uploads); finish or cancel one first",
                           {{"quota", which}, {"limit_bytes", std::to_string(quota)}});
  };
  if (mine + request.total_bytes > options_.quota_per_principal) {
    return exhausted("per-principal", mine, options_.quota_per_principal);
  }
  if (all + request.total_bytes > options_.quota_total) {
    return exhausted("overall", all, options_.quota_total);
  }
  Session session;
  session.record.id = NewUploadId();
  session.record.principal = principal;
  session.record.location = location->first;
  session.record.total_bytes = request.total_bytes;
  session.record.sha256 = request.sha256;
  session.declared = request.files;
  session.touched = options_.now();
  std::error_code ec;
  fs::create_directories(FolderOf(session.record.id), ec);
  if (ec) {
    return core::MakeError(core::Code::kUnavailable, core::reason::kIoError,
                           "cannot create an upload folder: " + ec.message());
  }
  int fd = ::open((FolderOf(session.record.id) / kDataFile).c_str(),
                  O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0) ::close(fd);
  if (fd < 0 || !SaveMeta(session).ok()) {
    fs::remove_all(FolderOf(session.record.id), ec);
    return core::MakeError(core::Code::kUnavailable, core::reason::kIoError,
                           "cannot record the upload (disk full?)");
  }
  UploadRecord record = session.record;
  sessions_.emplace(record.id, std::move(session));
  return record;
}

core::Result<UploadRecord> UploadStore::Get(const std::string& principal, const std::string& id) {
  core::MutexLock lock(&mu_);
  core::Result<Session*> session = FindLocked(principal, id);
  if (!session.ok()) return session.error();
  return (*session)->record;
}

core::Result<UploadRecord> UploadStore::Cancel(const std::string& principal,
                                               const std::string& id) {
  core::MutexLock lock(&mu_);
  core::Result<Session*> session = FindLocked(principal, id);
  if (!session.ok()) return session.error();
  if ((*session)->writing) {
    return core::MakeError(core::Code::kAborted, kUploadBusy,
                           "upload " + id + " is being written; cancel after the stream ends",
                           {{"upload_id", id}});
  }
  UploadRecord record = (*session)->record;
  RemoveLocked(id);
  return record;
}

core::Result<std::unique_ptr<UploadStore::Writer>> UploadStore::BeginWrite(
    const std::string& principal, const std::string& id, int64_t offset) {
  core::MutexLock lock(&mu_);
  core::Result<Session*> found = FindLocked(principal, id);
  if (!found.ok()) return found.error();
  Session& session = **found;
  if (session.writing) {
    return core::MakeError(core::Code::kAborted, kUploadBusy,
                           "upload " + id + " is being written by another stream",
                           {{"upload_id", id}});
  }
  if (offset != session.record.received_bytes || session.record.published) {
    return core::MakeError(
        core::Code::kFailedPrecondition, kUploadOffsetMismatch,
        session.record.published
            ? "upload " + id + " is already published"
            : "upload " + id + " continues at byte " +
                  std::to_string(session.record.received_bytes) + ", not " + std::to_string(offset),
        {{"upload_id", id}, {"received_bytes", std::to_string(session.record.received_bytes)}});
  }
  const fs::path data = FolderOf(id) / kDataFile;
  int fd = ::open(data.c_str(), O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return sysvol::ErrnoError(errno, "open", id + "/" + kDataFile);
  // Bytes past the last durable offset (a write cut mid-way) are dropped.
  if (::ftruncate(fd, offset) != 0 || ::lseek(fd, offset, SEEK_SET) != offset) {
    int err = errno;
    ::close(fd);
    return sysvol::ErrnoError(err, "truncate", id + "/" + kDataFile);
  }
  session.writing = true;
  session.touched = options_.now();
  return std::unique_ptr<Writer>(new Writer(this, id, fd, offset, session.record.total_bytes));
}

void UploadStore::EndWrite(const std::string& id, int64_t received) {
  core::MutexLock lock(&mu_);
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return;
  it->second.writing = false;
  it->second.record.received_bytes = received;
  it->second.touched = options_.now();
}

UploadStore::Writer::~Writer() { Release(); }

void UploadStore::Writer::Release() {
  if (fd_ < 0) return;
  // What reached the file counts only once synced and recorded; otherwise the upload goes on
  // from the offset recorded before, and the next writer truncates the rest.
  const bool synced = ::fsync(fd_) == 0;
  ::close(fd_);
  fd_ = -1;
  const bool recorded =
      synced && (offset_ == durable_ || store_->SaveReceived(id_, offset_).ok());
  if (recorded) durable_ = offset_;
  store_->EndWrite(id_, durable_);
}

core::Status UploadStore::Writer::Append(std::string_view data) {
  if (fd_ < 0) return core::MakeError(core::Code::kInternal, core::reason::kInternal, "closed");
  if (static_cast<int64_t>(data.size()) > total_ - offset_) {
    return core::MakeError(
        core::Code::kOutOfRange, kUploadOffsetMismatch,
        "upload " + id_ + ": more bytes than the declared total_bytes " + std::to_string(total_),
        {{"upload_id", id_}, {"received_bytes", std::to_string(offset_)}});
  }
  const char* p = data.data();
  size_t left = data.size();
  while (left > 0) {
    ssize_t w = ::write(fd_, p, left);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return sysvol::ErrnoError(errno, "write", id_ + "/" + kDataFile);
    p += w;
    left -= static_cast<size_t>(w);
    offset_ += w;
  }
  return core::Status();
}

core::Result<UploadRecord> UploadStore::Writer::Finish() {
  if (fd_ >= 0 && ::fsync(fd_) != 0) {
    int err = errno;
    ::close(fd_);
    fd_ = -1;
    store_->EndWrite(id_, durable_);
    return sysvol::ErrnoError(err, "fsync", id_ + "/" + kDataFile);
  }
  Release();
  const bool complete = durable_ == total_;
  if (complete) return store_->Publish(id_);
  core::MutexLock lock(&store_->mu_);
  auto it = store_->sessions_.find(id_);
  if (it == store_->sessions_.end()) return NotFound(id_);
  return it->second.record;
}

core::Result<UploadRecord> UploadStore::Publish(const std::string& id) {
  Session snapshot;
  {
    core::MutexLock lock(&mu_);
    auto it = sessions_.find(id);
    if (it == sessions_.end()) return NotFound(id);
    if (it->second.writing || it->second.record.received_bytes != it->second.record.total_bytes) {
      return it->second.record;
    }
    it->second.writing = true;  // no second writer or cancel while publishing
    snapshot = it->second;
  }
  // A refusal removes the upload; an I/O failure keeps it for a retry (WriteUpload at the end).
  auto refuse = [&](core::Error error) -> core::Result<UploadRecord> {
    core::MutexLock lock(&mu_);
    RemoveLocked(id);
    return error;
  };
  auto fail = [&](core::Error error) -> core::Result<UploadRecord> {
    core::MutexLock lock(&mu_);
    if (auto it = sessions_.find(id); it != sessions_.end()) it->second.writing = false;
    return error;
  };
  const UploadRecord& record = snapshot.record;
  core::Result<std::string> digest = Sha256OfFile(FolderOf(id) / kDataFile);
  if (!digest.ok()) return fail(digest.error());
  if (*digest != record.sha256) {
    return refuse(core::MakeError(core::Code::kInvalidArgument, kUploadChecksumMismatch,
                                  "upload " + id + ": the stream's SHA-256 is " + *digest +
                                      ", not the declared " + record.sha256,
                                  {{"upload_id", id}}));
  }
  core::Result<std::pair<std::string, fs::path>> location = ResolveLocation(record.location);
  if (!location.ok()) return refuse(location.error());
  core::Result<Dir> loc = Dir::OpenRoot(location->second, "backups/" + location->first, true);
  if (!loc.ok()) return fail(loc.error());
  // The location's staging area, shared with the backend's operations (txn/staging.h): made
  // again if an operation removes it empty under us, and removed when empty after this upload.
  const std::string staging_name = kStagingPrefix + id;
  (void)sysvol::RemoveStaging(*loc, staging_name);
  core::Result<sysvol::StagingDirs> staging_dirs = sysvol::MakeStagingFolder(*loc, staging_name);
  if (!staging_dirs.ok()) return fail(staging_dirs.error());
  Dir* staging = &staging_dirs->folder;
  const fs::path staging_path = location->second / sysvol::kStagingFolder / staging_name;
  // The tar is extracted under "tree"; each backup folder then moves to "{ID}" beside it.
  core::Result<Dir> tree = staging->MakeSubdir("tree");
  if (!tree.ok()) return fail(tree.error());
  const fs::path tree_path = staging_path / "tree";
  auto cleanup = [&] { (void)sysvol::RemoveStaging(*loc, staging_name); };

  core::Result<std::vector<ExtractedFile>> files =
      ExtractTar(FolderOf(id) / kDataFile, tree_path, options_.limits);
  if (!files.ok()) {
    cleanup();
    return files.error().code == core::Code::kInvalidArgument ? refuse(files.error())
                                                              : fail(files.error());
  }
  if (core::Status s = CheckDeclared(snapshot.declared, *files); !s.ok()) {
    cleanup();
    return refuse(s.error());
  }
  core::Result<UploadLayout> layout = CheckLayout(tree_path, *files);
  if (!layout.ok()) {
    cleanup();
    return layout.error().code == core::Code::kInvalidArgument ? refuse(layout.error())
                                                               : fail(layout.error());
  }
  // From the check that no backup ID is there to the last rename, under the location's lock:
  // a backup operation's scan and publish of this location see all of the upload or none.
  core::Mutex* location_mu =
      options_.location_lock ? options_.location_lock(location->first) : &publish_mu_;
  if (location_mu == nullptr) location_mu = &publish_mu_;
  core::MutexLock location_lock(location_mu);
  // All or nothing: no backup ID may be in the location already.
  for (const LaidOutBackup& backup : layout->backups) {
    core::Result<std::optional<sysvol::DirEntry>> existing = loc->FindNoCase(backup.backup_id);
    if (!existing.ok()) {
      cleanup();
      return fail(existing.error());
    }
    if (*existing) {
      cleanup();
      return refuse(core::MakeError(core::Code::kAlreadyExists, kBackupExists,
                                    "the backup " + backup.backup_id + " is already in location " +
                                        location->first + "; nothing of the upload was published",
                                    {{"backup_id", backup.backup_id}}));
    }
  }
  // Each backup folder gets its final name inside the staging folder first ("{ID}"), then all
  // are renamed into the location (never replacing); a failure renames back those already
  // moved.
  std::vector<std::string> moved;
  core::Status publish_error;
  for (const LaidOutBackup& backup : layout->backups) {
    std::error_code ec;
    fs::rename(backup.folder.empty() ? tree_path : tree_path / backup.folder,
               staging_path / backup.backup_id, ec);
    if (ec) {
      publish_error = core::MakeError(core::Code::kUnavailable, core::reason::kIoError,
                                      "cannot stage " + backup.backup_id + ": " + ec.message());
      break;
    }
  }
  if (publish_error.ok()) (void)staging->Sync();
  for (const LaidOutBackup& backup : layout->backups) {
    if (!publish_error.ok()) break;
    if (core::Status s = staging->RenameTo(backup.backup_id, *loc, backup.backup_id, true);
        !s.ok()) {
      publish_error = s;
      break;
    }
    moved.push_back(backup.backup_id);
  }
  // manifest.xml in step, still under the lock (a new file renamed over the old one, the
  // location synced): GPMC and any other reader of the location sees the uploaded backups
  // listed as soon as they are there. If it cannot be written, the backups go back out.
  sysvol::LocationIndex scratch_index;
  sysvol::LocationIndex* index =
      options_.location_index ? options_.location_index(location->first) : nullptr;
  if (index == nullptr) index = &scratch_index;
  if (publish_error.ok()) {
    (void)loc->Sync();
    if (core::Status s = sysvol::RepairManifestLocked(*loc, *index); !s.ok()) {
      publish_error = core::MakeError(
          s.error().code, s.error().reason,
          "cannot list the uploaded backups in manifest.xml of location " + location->first + ": " +
              s.error().message + "; nothing of the upload was published",
          s.error().metadata);
    }
  }
  if (!publish_error.ok()) {
    for (const std::string& m : moved) (void)loc->RenameTo(m, *staging, m, true);
    (void)loc->Sync();
    // The manifest as it was (when it was rewritten before the failure).
    if (!moved.empty()) (void)sysvol::RepairManifestLocked(*loc, *index);
    cleanup();
    return fail(publish_error.error());
  }
  cleanup();

  core::MutexLock lock(&mu_);
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return NotFound(id);
  Session& session = it->second;
  session.writing = false;
  session.record.published = true;
  session.record.backup_set = layout->backup_set;
  for (const LaidOutBackup& backup : layout->backups) {
    PublishedBackup published;
    published.info = sysvol::BackupInfoFromInst(backup.inst, location->first);
    published.files = backup.files;
    session.record.backups.push_back(std::move(published));
  }
  // The bytes are no longer needed; the record stays in memory for GetUpload until restart.
  std::error_code ec;
  fs::remove_all(FolderOf(id), ec);
  return session.record;
}

}  // namespace gpop::transfer
