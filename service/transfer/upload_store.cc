// Uploads: sessions, quotas, resumable bytes (see upload_store.h; the publish and its recovery
// are in upload_store_publish.cc).

#include "service/transfer/upload_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <vector>

#include "service/backends/sysvol/backup_folder.h"
#include "service/backends/sysvol/safe_fs.h"
#include "service/core/guid.h"
#include "service/transfer/sha256.h"
#include "service/transfer/upload_files.h"

namespace gpop::transfer {
namespace {

namespace fs = std::filesystem;
using sysvol::Dir;

using upload_files::DropBytes;
using upload_files::kDataFile;
using upload_files::kMetaFile;
using upload_files::kReceivedFile;
using upload_files::NotFound;
using upload_files::TakePublished;

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

int64_t FileSize(const fs::path& path) {
  std::error_code ec;
  uintmax_t size = fs::file_size(path, ec);
  return ec ? -1 : static_cast<int64_t>(size);
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
  std::map<std::string, Session> found;
  std::set<std::string> keep_staging;  // the staging folders of journals still open
  for (const fs::directory_entry& e : fs::directory_iterator(store->options_.dir, ec)) {
    const std::string id = e.path().filename().string();
    if (!IsUploadId(id)) {
      fs::remove_all(e.path(), ec);
      continue;
    }
    // A publish stopped past its commit point is finished or undone first, whatever else the
    // folder holds: its backups are in the location or in the staging folder.
    std::optional<PublishJournal> journal;
    bool journal_open = false;
    if (!store->RecoverAtOpen(id, &journal, &journal_open, &keep_staging)) continue;
    const bool published = journal && journal->done;
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
    if (!ParseMeta(text.str(), &session.record, &session.declared, &session.touched) ||
        (!published && (size < 0 || received < 0 || received > session.record.total_bytes))) {
      if (journal_open) continue;  // the journal is kept for the next start
      fs::remove_all(e.path(), ec);
      continue;
    }
    session.record.received_bytes = std::min(received, size);
    session.journal_open = journal_open;
    if (published) {
      TakePublished(*journal, &session.record);
      DropBytes(e.path());
    }
    found.emplace(id, std::move(session));
  }
  store->RemoveStaleStaging(keep_staging);
  core::MutexLock lock(&store->mu_);
  store->sessions_ = std::move(found);
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

core::Mutex* UploadStore::LocationMutex(const std::string& location) {
  core::Mutex* mu = options_.location_lock ? options_.location_lock(location) : nullptr;
  return mu != nullptr ? mu : &publish_mu_;
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
    if (!session.writing && !session.journal_open && now - session.touched > options_.expiry) {
      expired.push_back(id);
    }
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
  if ((*session)->journal_open) {
    return core::MakeError(core::Code::kFailedPrecondition, kUploadBusy,
                           "the interrupted publish of upload " + id +
                               " is not resolved yet; finish the upload again (a WriteUpload at "
                               "its received_bytes) or restart gpopd",
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

}  // namespace gpop::transfer
