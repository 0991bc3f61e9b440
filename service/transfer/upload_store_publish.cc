// UploadStore's publish of a finished upload (all or nothing, see upload_publish.h) and the
// resolution of a publish a crash interrupted, at Open or at the next attempt (see
// upload_store.h).

#include <cstdio>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "service/backends/sysvol/backup_folder.h"
#include "service/backends/sysvol/backup_index.h"
#include "service/backends/sysvol/safe_fs.h"
#include "service/backends/sysvol/txn/backup_publish.h"
#include "service/backends/sysvol/txn/staging.h"
#include "service/transfer/sha256.h"
#include "service/transfer/upload_files.h"
#include "service/transfer/upload_layout.h"
#include "service/transfer/upload_store.h"

namespace gpop::transfer {
namespace {

namespace fs = std::filesystem;
using sysvol::Dir;
using upload_files::DropBytes;
using upload_files::kDataFile;
using upload_files::NotFound;
using upload_files::TakePublished;

constexpr const char* kStagingPrefix = sysvol::kUploadStagingPrefix;

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

// Removes the staging folders a stopped publish left in `location` (and the area if empty),
// except those named in `keep` (an open journal's).
void RemoveStaleStagingOf(const fs::path& location, const std::set<std::string>& keep) {
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

}  // namespace

bool UploadStore::RecoverAtOpen(const std::string& id, std::optional<PublishJournal>* journal,
                                bool* journal_open, std::set<std::string>* keep_staging) {
  *journal_open = false;
  core::Result<Dir> folder = Dir::OpenRoot(FolderOf(id), "upload " + id);
  core::Result<std::optional<PublishJournal>> read =
      folder.ok() ? ReadJournal(*folder)
                  : core::Result<std::optional<PublishJournal>>(folder.error());
  if (!read.ok()) {
    // Never left by a crash (the journal is replaced atomically): whether a publish is open
    // cannot be told, so the upload and its staging folder are left for an operator.
    std::fprintf(stderr, "gpop uploads: %s; upload %s left as it is\n",
                 read.error().message.c_str(), id.c_str());
    keep_staging->insert(kStagingPrefix + id);
    return false;
  }
  *journal = std::move(*read);
  if (!*journal || (*journal)->done) return true;
  core::Result<Recovered> recovered = ResolveJournal(id, **journal);
  if (!recovered.ok()) {
    std::fprintf(stderr,
                 "gpop uploads: cannot finish or undo the interrupted publish of upload %s: "
                 "%s (tried again when the upload is finished again, or at the next start)\n",
                 id.c_str(), recovered.error().message.c_str());
    *journal_open = true;
    keep_staging->insert((*journal)->staging);
  } else if (*recovered == Recovered::kPublished) {
    (*journal)->done = true;
  } else {
    journal->reset();  // rolled back: the upload is complete and not published
  }
  return true;
}

void UploadStore::RemoveStaleStaging(const std::set<std::string>& keep) const {
  for (const auto& [name, folder] : options_.locations.folders) RemoveStaleStagingOf(folder, keep);
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
