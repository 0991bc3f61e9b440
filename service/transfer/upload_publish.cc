// Rolling an upload's publish forward or back (see upload_publish.h).

#include "service/transfer/upload_publish.h"

#include <optional>
#include <utility>

#include "service/backends/sysvol/backup_folder.h"
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
  (void)sysvol::RepairManifestLocked(loc, *target.index);
  return core::Status();
}

core::Result<Recovered> RecoverPublish(const PublishTarget& target, const sysvol::Dir& upload,
                                       PublishJournal journal) {
  bool crashed = false;
  core::Status forward = MoveIn(target, journal, PublishCrashHook(), &crashed);
  if (forward.ok()) {
    journal.done = true;
    if (core::Status s = WriteJournal(upload, journal); !s.ok()) return s.error();
    (void)sysvol::RemoveStaging(*target.location, journal.staging);
    return Recovered::kPublished;
  }
  if (core::Status s = MoveOut(target, journal); !s.ok()) return s.error();
  if (core::Status s = sysvol::RemoveStaging(*target.location, journal.staging); !s.ok()) {
    return s.error();
  }
  if (core::Status s = RemoveJournal(upload); !s.ok()) return s.error();
  return Recovered::kRolledBack;
}

}  // namespace gpop::transfer
