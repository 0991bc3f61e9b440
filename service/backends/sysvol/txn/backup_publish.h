// The publish half of a backup's commit protocol: moving the staged backup folder into its
// location and the manifest in step with it, forward (after the commit point) or back.
//
// A backup's intent (kind kIntentBackup) has `root` = the location's name and the fields
// backup_id, gpo_guid, gpo_display_name, domain, comment, backup_time.

#ifndef GPOP_SERVICE_BACKENDS_SYSVOL_TXN_BACKUP_PUBLISH_H_
#define GPOP_SERVICE_BACKENDS_SYSVOL_TXN_BACKUP_PUBLISH_H_

#include "service/backends/sysvol/backend_context.h"
#include "service/backends/sysvol/backup_index.h"
#include "service/backends/sysvol/metadata_store.h"
#include "service/backends/sysvol/sync_batch.h"
#include "service/core/operation.h"

namespace gpop::sysvol {

// RollForwardBackup
//
// Finishes publishing a COMMITTING backup intent (idempotent): renames the staged folder into
// the location (no replace), publishes the manifest (with a staged manifest: renames it in and
// fsyncs the location once for both renames; otherwise fsyncs the location, then rebuilds the
// manifest), marks the intent DONE and removes the staging folder (without fsync: garbage).
// `staged_manifest` says whether the staged manifest is to be published (only by the run that
// computed it and holds the location's lock); otherwise the manifest is rebuilt under the lock.
// `*crashed` tells that a FaultHook stopped it.
//
// With `end` = kPublished it stops once the folder and the manifest are renamed in (not yet
// fsynced: both renames are made durable by one fsync of the location in FinishBackup): the
// caller then releases the location's lock and calls FinishBackup, so that the location's fsync,
// the DONE mark (a metadata commit) and the staging folder's removal do not hold up the next
// backup of the location. Nothing of the order of the durable steps changes: the renames are
// durable before the DONE mark can be, and a crash before FinishBackup leaves a COMMITTING intent
// (durable before either rename was made) whose renames recovery finishes or redoes.
enum class PublishEnd { kFinished, kPublished };
core::Status RollForwardBackup(const BackendContext& ctx, const Intent& intent,
                               bool staged_manifest, bool* crashed,
                               PublishEnd end = PublishEnd::kFinished);

// FinishBackup
//
// The last steps of RollForwardBackup for a published backup: flushes `renames` (the location's
// fsync after a kPublished publish, shared with the other backups of the location: SyncBatch,
// joined before the renames; null: already done), marks the intent DONE (not synced: see
// Durability), then removes its staging folder. Needs no lock.
core::Status FinishBackup(const BackendContext& ctx, const Intent& intent,
                          const SyncBatch::Member* renames);

// RollBackBackup
//
// Removes the intent's staging folder and marks it ROLLED_BACK.
core::Status RollBackBackup(const BackendContext& ctx, const Intent& intent);

// BackupPublished
//
// Whether the intent's backup folder is in its location (what listings and restores see).
bool BackupPublished(const BackendContext& ctx, const Intent& intent);

// BackupInfoFromIntent
//
// The result of the backup the intent describes.
core::BackupInfo BackupInfoFromIntent(const Intent& intent);

// RepairManifestLocked
//
// Rewrites manifest.xml of `location` from its backups when it is missing or stale, reading
// them through the location's `index`. The caller holds the location's mutex.
core::Status RepairManifestLocked(const Dir& location, LocationIndex& index);

}  // namespace gpop::sysvol

#endif  // GPOP_SERVICE_BACKENDS_SYSVOL_TXN_BACKUP_PUBLISH_H_
