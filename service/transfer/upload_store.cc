// Uploads: sessions, quotas, resumable bytes, and the checked publish (see upload_store.h).

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
constexpr const char* kStagingPrefix = sysvol::kUploadStagingPrefix;

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

// Removes the staging folders a stopped publish left in `location` (and the area if empty),
// except those named in `keep` (an open journal's).
void RemoveStaleStaging(const fs::path& location, const std::set<std::string>& keep) {
  core::Result<Dir> root = Dir::OpenRoot(location, "backups");
  if (!root.ok() || !root->Exists(sysvol::kStagingFolder)) return;
  std::error_code ec;
  std::vector<std::string> stale;
  for (const fs::directory_entry& e :
       fs::directory_iterator(location / sysvol::kStagingFolder, ec)) {
    const std::string name = e.path().filename().string();
    if (name.rfind(kStagingPrefix, 0) == 0 && keep.count(name) == 0) stale.push_back(name);
  }
  for (const std::string& name : stale) (void)sysvol::RemoveStaging(*root, name);
}

// The record of an upload `journal` says is published. The bytes are no longer needed.
void TakePublished(const PublishJournal& journal, UploadRecord* record) {
  record->published = true;
  record->backup_set = journal.backup_set;
  record->backups = journal.backups;
  record->received_bytes = record->total_bytes;
}

void DropBytes(const fs::path& folder) {
  std::error_code ec;
  fs::remove(folder / kDataFile, ec);
  fs::remove(folder / kReceivedFile, ec);
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
    {
      core::Result<Dir> folder = Dir::OpenRoot(e.path(), "upload " + id);
      core::Result<std::optional<PublishJournal>> read =
          folder.ok() ? ReadJournal(*folder)
                      : core::Result<std::optional<PublishJournal>>(folder.error());
      if (!read.ok()) {
        // Never left by a crash (the journal is replaced atomically): whether a publish is
        // open cannot be told, so the upload and its staging folder are left for an operator.
        std::fprintf(stderr, "gpop uploads: %s; upload %s left as it is\n",
                     read.error().message.c_str(), id.c_str());
        keep_staging.insert(kStagingPrefix + id);
        continue;
      }
      journal = std::move(*read);
    }
    if (journal && !journal->done) {
      core::Result<Recovered> recovered = store->ResolveJournal(id, *journal);
      if (!recovered.ok()) {
        std::fprintf(stderr,
                     "gpop uploads: cannot finish or undo the interrupted publish of upload %s: "
                     "%s (tried again when the upload is finished again, or at the next start)\n",
                     id.c_str(), recovered.error().message.c_str());
        journal_open = true;
        keep_staging.insert(journal->staging);
      } else if (*recovered == Recovered::kPublished) {
        journal->done = true;
      } else {
        journal.reset();  // rolled back: the upload is complete and not published
      }
    }
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
  for (const auto& [name, folder] : store->options_.locations.folders) {
    RemoveStaleStaging(folder, keep_staging);
  }
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

core::Result<Recovered> UploadStore::ResolveJournal(const std::string& id,
                                                    const PublishJournal& journal) {
  core::Result<std::pair<std::string, fs::path>> location = ResolveLocation(journal.location);
  if (!location.ok()) return location.error();
  core::Result<Dir> loc = Dir::OpenRoot(location->second, "backups/" + location->first);
  if (!loc.ok()) return loc.error();
  core::Result<Dir> upload = Dir::OpenRoot(FolderOf(id), "upload " + id);
  if (!upload.ok()) return upload.error();
  core::MutexLock lock(LocationMutex(location->first));
  sysvol::LocationIndex scratch_index;
  sysvol::LocationIndex* index =
      options_.location_index ? options_.location_index(location->first) : nullptr;
  return RecoverPublish(PublishTarget{&*loc, location->first, index ? index : &scratch_index},
                        *upload, journal, options_.recovery_crash_hook);
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
  if (snapshot.journal_open) {
    // An interrupted publish that could not be resolved before: finished now, or undone and
    // then tried again from the bytes.
    core::Result<Dir> folder = Dir::OpenRoot(FolderOf(id), "upload " + id);
    if (!folder.ok()) return fail(folder.error());
    core::Result<std::optional<PublishJournal>> journal = ReadJournal(*folder);
    if (!journal.ok()) return fail(journal.error());
    if (*journal && !(*journal)->done) {
      core::Result<Recovered> recovered = ResolveJournal(id, **journal);
      if (!recovered.ok()) return fail(recovered.error());
      (*journal)->done = *recovered == Recovered::kPublished;
    }
    core::MutexLock lock(&mu_);
    auto it = sessions_.find(id);
    if (it == sessions_.end()) return NotFound(id);
    it->second.journal_open = false;
    if (*journal && (*journal)->done) {
      it->second.writing = false;
      TakePublished(**journal, &it->second.record);
      DropBytes(FolderOf(id));
      return it->second.record;
    }
  }
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
  core::MutexLock location_lock(LocationMutex(location->first));
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
  // Each backup folder gets its final name inside the staging folder first ("{ID}").
  PublishJournal journal;
  journal.location = location->first;
  journal.staging = staging_name;
  journal.backup_set = layout->backup_set;
  for (const LaidOutBackup& backup : layout->backups) {
    std::error_code ec;
    fs::rename(backup.folder.empty() ? tree_path : tree_path / backup.folder,
               staging_path / backup.backup_id, ec);
    if (ec) {
      cleanup();
      return fail(core::MakeError(core::Code::kUnavailable, core::reason::kIoError,
                                  "cannot stage " + backup.backup_id + ": " + ec.message()));
    }
    journal.backups.push_back(
        PublishedBackup{sysvol::BackupInfoFromInst(backup.inst, location->first), backup.files});
  }
  if (core::Status s = staging->Sync(); !s.ok()) {
    cleanup();
    return fail(s.error());
  }
  const PublishCrashHook& crash = options_.crash_hook;
  auto crashed = [] {
    return core::MakeError(core::Code::kInternal, core::reason::kInternal,
                           "the publish was stopped by the test crash hook");
  };
  // An open journal that this attempt can neither finish nor undo: kept (with the staged
  // folders and the bytes) for the next attempt or start, which resolves it.
  auto keep_open = [&](core::Error error, const std::string& why) -> core::Result<UploadRecord> {
    core::MutexLock lock(&mu_);
    if (auto it = sessions_.find(id); it != sessions_.end()) {
      it->second.writing = false;
      it->second.journal_open = true;
    }
    return core::MakeError(error.code, error.reason,
                           error.message + why +
                               ": it is resolved when the upload is finished again or gpopd "
                               "restarts",
                           error.metadata);
  };
  if (crash && crash(PublishPoint::kStaged, 0)) return crashed();
  // The commit point: the journal, durable before the first rename, lists every folder. From
  // here a crash is finished (or, when a folder is lost, undone) by the next Open.
  core::Result<Dir> upload = Dir::OpenRoot(FolderOf(id), "upload " + id);
  if (!upload.ok()) {
    cleanup();
    return fail(upload.error());
  }
  if (core::Status s = WriteJournal(*upload, journal); !s.ok()) {
    // The journal may be in place (a failure after its rename): the staged folders are only
    // garbage once it is surely gone.
    if (RemoveJournal(*upload).ok()) {
      cleanup();
      return fail(s.error());
    }
    return keep_open(s.error(), "; the journal could not be removed either");
  }
  if (crash && crash(PublishPoint::kJournal, 0)) return crashed();
  sysvol::LocationIndex scratch_index;
  sysvol::LocationIndex* index =
      options_.location_index ? options_.location_index(location->first) : nullptr;
  const PublishTarget target{&*loc, location->first, index ? index : &scratch_index};
  bool stopped = false;
  core::Status moved = MoveIn(target, journal, crash, &stopped);
  if (stopped) return moved.error();
  if (!moved.ok()) {
    // A failure (not a crash) before the journal is done undoes the publish: the folders go
    // back out, the manifest as it was; the upload is kept, to be finished again.
    if (MoveOut(target, journal).ok() && RemoveJournal(*upload).ok()) {
      cleanup();
      return fail(core::MakeError(moved.error().code, moved.error().reason,
                                  moved.error().message + "; nothing of the upload was published",
                                  moved.error().metadata));
    }
    // Neither forward nor back: the journal stays open and the next attempt or start resolves it.
    return keep_open(moved.error(), "; the publish could not be undone either");
  }
  journal.done = true;
  if (core::Status s = WriteJournal(*upload, journal); !s.ok()) {
    // Every folder is in but the journal is open: not answered as published; the next attempt
    // or start rolls it forward (never back: see RecoverPublish).
    return keep_open(
        core::MakeError(core::Code::kUnavailable, s.error().reason,
                        "cannot mark the publish of upload " + id + " done: " + s.error().message,
                        {{"upload_id", id}}),
        "");
  }
  cleanup();

  core::MutexLock lock(&mu_);
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return NotFound(id);
  Session& session = it->second;
  session.writing = false;
  TakePublished(journal, &session.record);
  // The bytes are no longer needed; the journal is the record (GetUpload) until it expires.
  DropBytes(FolderOf(id));
  return session.record;
}

}  // namespace gpop::transfer
