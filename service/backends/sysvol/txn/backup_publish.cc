// Publishing a staged backup (see backup_publish.h).

#include "service/backends/sysvol/txn/backup_publish.h"

#include <optional>
#include <set>
#include <vector>

#include "service/backends/sysvol/backup_folder.h"
#include "service/backends/sysvol/format/backup_inst.h"
#include "service/backends/sysvol/txn/staging.h"
#include "service/core/guid.h"

namespace gpop::sysvol {
namespace {

core::Error InjectedFault() {
  return core::MakeError(core::Code::kInternal, core::reason::kInternal, "injected fault");
}

std::string Field(const Intent& intent, const char* key) {
  auto it = intent.fields.find(key);
  return it == intent.fields.end() ? std::string() : it->second;
}

}  // namespace

core::BackupInfo BackupInfoFromIntent(const Intent& intent) {
  core::BackupInfo info;
  info.backup_id = Field(intent, "backup_id");
  info.location = intent.root;
  info.gpo_guid = Field(intent, "gpo_guid");
  info.gpo_display_name = Field(intent, "gpo_display_name");
  info.domain = Field(intent, "domain");
  info.comment = Field(intent, "comment");
  if (auto t = ParseBackupTime(Field(intent, "backup_time"))) info.time = *t;
  return info;
}

bool BackupPublished(const BackendContext& ctx, const Intent& intent) {
  core::Result<BackupLocation> location = ctx.locations.Resolve(intent.root);
  if (!location.ok()) return false;
  core::Result<Dir> loc = BackupLocations::Open(*location);
  std::optional<std::string> id = core::NormalizeGuid(Field(intent, "backup_id"));
  return loc.ok() && id && loc->Exists(*id);
}

core::Status RollForwardBackup(const BackendContext& ctx, const Intent& intent,
                               bool staged_manifest, bool* crashed, PublishEnd end) {
  *crashed = false;
  core::Result<BackupLocation> location = ctx.locations.Resolve(intent.root);
  if (!location.ok()) return location.error();
  core::Result<Dir> loc = BackupLocations::Open(*location);
  if (!loc.ok()) return loc.error();
  core::Result<Dir> staging_root = loc->MakeSubdir(kStagingFolder);
  if (!staging_root.ok()) return staging_root.error();
  std::optional<std::string> id = core::NormalizeGuid(Field(intent, "backup_id"));
  if (!id) {
    return core::MakeError(core::Code::kInternal, core::reason::kInternal,
                           "intent " + intent.operation_id + " has no backup id");
  }
  const std::string& backup_id = *id;
  std::optional<Dir> staging;
  if (staging_root->Exists(intent.staging)) {
    core::Result<Dir> s = staging_root->OpenSubdir(intent.staging);
    if (!s.ok()) return s.error();
    staging = std::move(*s);
  }

  // With the staged manifest both renames are made durable by one fsync of the location, after
  // the second: a crash between them (or before that fsync) leaves any of the four combinations
  // of the two renames on disk, and recovery, which rebuilds the manifest from the folders,
  // finishes each (the folder from staging or already in; the manifest repaired). Either way the
  // location is fsynced before the DONE mark: here, or (kPublished) by the caller's
  // FinishBackup once the location's lock is released.
  const bool publish_staged_manifest = staged_manifest && staging && staging->Exists(kManifestFile);
  if (staging && staging->Exists(backup_id)) {
    if (core::Status s = staging->RenameTo(backup_id, *loc, backup_id, /*no_replace=*/true);
        !s.ok()) {
      return s;
    }
  } else if (!loc->Exists(backup_id)) {
    return core::MakeError(core::Code::kDataLoss, core::reason::kIoError,
                           "backup " + backup_id + " of operation " + intent.operation_id +
                               " is neither staged nor published");
  }
  if (!publish_staged_manifest) {
    if (core::Status s = loc->Sync(); !s.ok()) return s;
  }
  if (ctx.faults.Fault(FaultPoint::kAfterBackupRename)) {
    *crashed = true;
    return InjectedFault();
  }
  if (ctx.faults.IoError(FaultPoint::kAfterBackupRename)) {
    return core::MakeError(core::Code::kInternal, core::reason::kIoError, "injected I/O error");
  }

  if (publish_staged_manifest) {
    // The caller holds the location lock and computed this manifest under it.
    if (core::Status s = staging->RenameTo(kManifestFile, *loc, kManifestFile); !s.ok()) return s;
    // Both renames; with kPublished the caller fsyncs the location after releasing its lock.
    if (end == PublishEnd::kFinished) {
      if (core::Status s = loc->Sync(); !s.ok()) return s;
    }
  } else {
    // Recovery (or a retry): the staged manifest may be older than the folder; rebuild it from
    // the backups. The caller of a staged publish already holds the lock.
    LocationIndex& index = *ctx.locations.Index(location->name);
    if (staged_manifest) {
      if (core::Status s = RepairManifestLocked(*loc, index); !s.ok()) return s;
    } else {
      core::MutexLock lock(ctx.locations.Mutex(location->name));
      if (core::Status s = RepairManifestLocked(*loc, index); !s.ok()) return s;
    }
  }
  if (ctx.faults.Fault(FaultPoint::kAfterManifestRename)) {
    *crashed = true;
    return InjectedFault();
  }
  if (ctx.faults.IoError(FaultPoint::kAfterManifestRename)) {
    return core::MakeError(core::Code::kInternal, core::reason::kIoError, "injected I/O error");
  }
  if (end == PublishEnd::kPublished) return core::Status();
  return FinishBackup(ctx, intent, /*renames=*/nullptr);
}

core::Status FinishBackup(const BackendContext& ctx, const Intent& intent,
                          const SyncBatch::Member* renames) {
  // The renames must be durable before the DONE mark can be: a DONE that reached the disk
  // without them would leave no intent to redo them.
  if (renames != nullptr) {
    if (core::Status s = renames->Flush(); !s.ok()) return s;
  }
  // Not synced (it becomes durable with the store's next synced commit): a lost DONE mark
  // leaves the intent COMMITTING with its backup published, whose roll-forward at the next start
  // only finds both renames made and the manifest current, and marks it DONE: APPLIED.
  if (core::Status s = ctx.metadata.SetIntentState(intent.operation_id, IntentState::kDone,
                                                   Durability::kDeferred);
      !s.ok()) {
    return s;
  }
  // The staging folder is garbage now; a failure to remove it is resolved at the next start.
  core::Result<BackupLocation> location = ctx.locations.Resolve(intent.root);
  if (!location.ok()) return core::Status();
  core::Result<Dir> loc = BackupLocations::Open(*location);
  // Not fsynced: a staging folder that a crash brings back is garbage the start-up sweep removes.
  if (loc.ok()) (void)RemoveStaging(*loc, intent.staging, /*sync=*/false);
  return core::Status();
}

core::Status RollBackBackup(const BackendContext& ctx, const Intent& intent) {
  core::Result<BackupLocation> location = ctx.locations.Resolve(intent.root);
  if (location.ok()) {
    core::Result<Dir> loc = BackupLocations::Open(*location);
    if (loc.ok()) {
      if (core::Status s = RemoveStaging(*loc, intent.staging); !s.ok()) return s;
    }
  }
  // Not synced: a lost ROLLED_BACK mark leaves STAGING, which recovery rolls back again.
  return ctx.metadata.SetIntentState(intent.operation_id, IntentState::kRolledBack,
                                     Durability::kDeferred);
}

core::Status RepairManifestLocked(const Dir& location, LocationIndex& index) {
  bool corrupt = false;
  core::Result<Manifest> current = index.ReadManifest(location, &corrupt);
  if (!current.ok()) return current.error();
  std::vector<std::string> skipped;
  std::set<std::string> unreadable;
  core::Result<std::vector<ScannedBackup>> scanned = index.Backups(location, &skipped, &unreadable);
  if (!scanned.ok()) return scanned.error();
  Manifest wanted = ReconcileManifest(*current, *scanned, unreadable);
  bool missing = false;
  if (!corrupt && current->backups.empty()) {
    if (core::Result<std::optional<DirEntry>> f = location.FindNoCase(kManifestFile); f.ok()) {
      missing = !*f;
    }
  }
  if (!corrupt && !(missing && !wanted.backups.empty()) && wanted == *current) {
    return core::Status();
  }
  if (missing && wanted.backups.empty()) return core::Status();
  return ReplaceFileAtomically(location, kManifestFile, WriteManifest(wanted));
}

}  // namespace gpop::sysvol
