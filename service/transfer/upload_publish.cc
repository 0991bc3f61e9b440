// Rolling an upload's publish forward or back (see upload_publish.h).

#include "service/transfer/upload_publish.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <cstdio>
#include <optional>
#include <utility>

#include "service/backends/sysvol/backup_folder.h"
#include "service/backends/sysvol/backup_index.h"
#include "service/backends/sysvol/txn/backup_publish.h"
#include "service/backends/sysvol/txn/staging.h"

namespace gpop::transfer {
namespace {

// The upload's staging folder, when it is there.
core::Result<std::optional<sysvol::Dir>> OpenStaging(const sysvol::Dir& location,
                                                     const std::string& staging) {
  if (!location.Exists(sysvol::kStagingFolder)) return std::optional<sysvol::Dir>();
  core::Result<sysvol::Dir> area = location.OpenSubdir(sysvol::kStagingFolder);
  if (!area.ok()) return area.error();
  if (!area->Exists(staging)) return std::optional<sysvol::Dir>();
  core::Result<sysvol::Dir> folder = area->OpenSubdir(staging);
  if (!folder.ok()) return folder.error();
  return std::optional<sysvol::Dir>(std::move(*folder));
}

// DATA_LOSS unless the staged folder of `backup` holds every file the journal lists for it, as
// a regular file of the listed size (a crash while a staging folder was being removed leaves
// some of them gone).
core::Status CheckStaged(const sysvol::Dir& staging, const PublishedBackup& backup,
                         const std::string& location) {
  const std::string& id = backup.info.backup_id;
  auto lost = [&](const std::string& what) {
    return core::MakeError(core::Code::kDataLoss, core::reason::kIoError,
                           "the staged backup " + id + " for location " + location + " " + what,
                           {{"backup_id", id}});
  };
  core::Result<sysvol::Dir> folder = staging.OpenSubdir(id);
  if (!folder.ok()) return lost("cannot be opened: " + folder.error().message);
  for (const ExtractedFile& f : backup.files) {
    struct stat st;
    if (f.path.empty() || f.path.front() == '/' || f.path.find("..") != std::string::npos ||
        ::fstatat(folder->fd(), f.path.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 ||
        !S_ISREG(st.st_mode) || st.st_size != f.size) {
      return lost("lacks " + f.path + " of " + std::to_string(f.size) + " bytes");
    }
  }
  return core::Status();
}

bool AllIn(const sysvol::Dir& location, const PublishJournal& journal) {
  for (const PublishedBackup& b : journal.backups) {
    if (!location.Exists(b.info.backup_id)) return false;
  }
  return true;
}

core::Error Crashed() {
  return core::MakeError(core::Code::kInternal, core::reason::kInternal,
                         "the publish was stopped by the test crash hook");
}

}  // namespace

core::Status MoveIn(const PublishTarget& target, const PublishJournal& journal,
                    const PublishCrashHook& hook, bool* crashed) {
  *crashed = false;
  const sysvol::Dir& loc = *target.location;
  core::Result<std::optional<sysvol::Dir>> staging = OpenStaging(loc, journal.staging);
  if (!staging.ok()) return staging.error();
  // Every folder must be somewhere before the first one moves: otherwise this is no roll
  // forward but a publish of part of the upload.
  for (const PublishedBackup& b : journal.backups) {
    const std::string& id = b.info.backup_id;
    if (!loc.Exists(id) && !(*staging && (*staging)->Exists(id))) {
      return core::MakeError(
          core::Code::kDataLoss, core::reason::kIoError,
          "the uploaded backup " + id + " is neither staged nor in location " + target.name,
          {{"backup_id", id}});
    }
    if (!loc.Exists(id)) {
      if (core::Status s = CheckStaged(**staging, b, target.name); !s.ok()) return s;
    }
  }
  size_t renamed = 0;
  for (const PublishedBackup& b : journal.backups) {
    const std::string& id = b.info.backup_id;
    if (!loc.Exists(id)) {
      if (core::Status s = (*staging)->RenameTo(id, loc, id, /*no_replace=*/true); !s.ok()) {
        return s;
      }
    }
    ++renamed;
    if (hook && hook(PublishPoint::kRename, renamed)) {
      *crashed = true;
      return Crashed();
    }
  }
  if (core::Status s = loc.Sync(); !s.ok()) return s;
  // manifest.xml in step (a new file renamed over the old one, the location synced): GPMC and
  // any other reader of the location sees the uploaded backups listed once they are there.
  if (core::Status s = sysvol::RepairManifestLocked(loc, *target.index); !s.ok()) {
    return core::MakeError(s.error().code, s.error().reason,
                           "cannot list the uploaded backups in manifest.xml of location " +
                               target.name + ": " + s.error().message,
                           s.error().metadata);
  }
  if (hook && hook(PublishPoint::kManifest, renamed)) {
    *crashed = true;
    return Crashed();
  }
  return core::Status();
}

core::Status MoveOut(const PublishTarget& target, const PublishJournal& journal) {
  const sysvol::Dir& loc = *target.location;
  bool any_in = false;
  for (const PublishedBackup& b : journal.backups) any_in = any_in || loc.Exists(b.info.backup_id);
  if (any_in) {
    core::Result<sysvol::StagingDirs> staging = sysvol::MakeStagingFolder(loc, journal.staging);
    if (!staging.ok()) return staging.error();
    for (const PublishedBackup& b : journal.backups) {
      const std::string& id = b.info.backup_id;
      if (!loc.Exists(id)) continue;
      if (core::Status s = loc.RenameTo(id, staging->folder, id, /*no_replace=*/true); !s.ok()) {
        return s;
      }
    }
    if (core::Status s = staging->folder.Sync(); !s.ok()) return s;
    if (core::Status s = loc.Sync(); !s.ok()) return s;
  }
  // The manifest as it was (a start-up sweep may have listed the folders renamed before the
  // stop). The folders are what counts: a manifest that cannot be written now is repaired by
  // the location's next writer or start-up, as any stale one.
  if (core::Status s = sysvol::RepairManifestLocked(loc, *target.index); !s.ok()) {
    std::fprintf(stderr,
                 "gpop uploads: the rolled-back publish left manifest.xml of location %s stale: "
                 "%s (repaired by its next writer, listing or start-up)\n",
                 target.name.c_str(), s.error().message.c_str());
  }
  return core::Status();
}

core::Result<Recovered> RecoverPublish(const PublishTarget& target, const sysvol::Dir& upload,
                                       PublishJournal journal, const RecoveryCrashHook& hook) {
  auto crash = [&](RecoveryPoint point) { return hook && hook(point); };
  bool crashed = false;
  core::Status forward = MoveIn(target, journal, PublishCrashHook(), &crashed);
  if (forward.ok()) {
    if (crash(RecoveryPoint::kMovedIn)) return Crashed();
    journal.done = true;
    if (core::Status s = WriteJournal(upload, journal); !s.ok()) return s.error();
    if (crash(RecoveryPoint::kMarkedDone)) return Crashed();
    // Garbage now that the journal is done: a folder left here is removed by the next Open.
    (void)sysvol::RemoveStaging(*target.location, journal.staging);
    return Recovered::kPublished;
  }
  // Every folder in, yet not finished (manifest.xml or a sync failed): the publish may have
  // been answered, so it is never undone; the journal stays open for the next attempt.
  if (AllIn(*target.location, journal)) return forward.error();
  if (core::Status s = MoveOut(target, journal); !s.ok()) return s.error();
  if (crash(RecoveryPoint::kMovedOut)) return Crashed();
  // The journal first: a staging folder without one is garbage, never rolled forward.
  if (core::Status s = RemoveJournal(upload); !s.ok()) return s.error();
  if (crash(RecoveryPoint::kJournalRemoved)) return Crashed();
  (void)sysvol::RemoveStaging(*target.location, journal.staging);
  return Recovered::kRolledBack;
}

}  // namespace gpop::transfer
