// The sysvol backend: GPMC's operations performed by gpop itself on a GPO tree (Policies/{GUID}
// GPTs plus the container half in its own metadata store) and on real GPMC backup folders.
//
// This file is the dispatch only. Each operation has its own file under ops/ (ops/backup.h,
// ops/report.h, ...), the commit protocol's publish and recovery live in txn/, and the ADMX
// cache, domain-controller detection and backup locations have their own files.
//
// Commit protocol of every writing operation (so that a cancel or a crash at any moment leaves
// effects NONE or APPLIED, never half):
//   1. the intent is recorded (metadata store row keyed by operation id, state STAGING);
//   2. all work happens in `<root>/.gpop-staging/<staging>/` inside the target root (for a
//      backup: the backup folder and the new manifest.xml), every file and folder fsynced;
//   3. `cancel.BeginCommit()`; false: the staging folder is removed, the intent marked
//      ROLLED_BACK, the run ends CANCELLED with effects NONE;
//   4. the intent is marked COMMITTING (durable): from here recovery rolls forward;
//   5. publish: rename the staged backup folder into the location (no replace), fsync the
//      location, rename the staged manifest over manifest.xml, fsync again;
//   6. the intent is marked DONE and the staging folder removed.
// Recover(operation_id) and ResolveLeftovers() finish step 5-6 for COMMITTING intents (the
// manifest is then rebuilt from the backups' bkupInfo.xml) and undo STAGING ones; every intent
// names its kind and recovery dispatches on it (txn/recovery.h). An I/O error past the commit
// point is retried; a backup that is published, or a GPO write whose new GPT is live, is
// reported as such (APPLIED, with a warning) and the next start finishes its bookkeeping.

#ifndef GPOP_SERVICE_BACKENDS_SYSVOL_SYSVOL_BACKEND_H_
#define GPOP_SERVICE_BACKENDS_SYSVOL_SYSVOL_BACKEND_H_

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "service/backends/sysvol/admx_cache.h"
#include "service/backends/sysvol/backend_context.h"
#include "service/backends/sysvol/backup_locations.h"
#include "service/backends/sysvol/dc_detection.h"
#include "service/backends/sysvol/gpo_store.h"
#include "service/backends/sysvol/metadata_store.h"
#include "service/backends/sysvol/sysvol_config.h"
#include "service/backends/sysvol/txn/fault_injector.h"
#include "service/core/backend.h"

namespace gpop::sysvol {

// SysvolBackend
//
// Thread-safe: the engine runs operations concurrently; manifest updates of one location are
// serialised by an in-process lock on top of the engine's "backup-location:<name>" claim.
class SysvolBackend : public core::Backend {
 public:
  // Open
  //
  // Opens the metadata store, checks the configuration (the sysvol folder holds Policies/, the
  // default location is one of the named ones) and decides read-only mode. Does not resolve
  // leftovers: the server calls ResolveLeftovers once at start, before running operations.
  static core::Result<std::unique_ptr<SysvolBackend>> Open(const SysvolConfig& config);

  std::string name() const override { return "sysvol"; }
  // The backup locations, with the lock each location's backups publish under (uploads into a
  // location take the same lock: service/transfer/upload_store.h).
  const BackupLocations& locations() const { return locations_; }
  core::Status Validate(const core::OperationSpec& spec) const override;
  std::vector<core::ResourceClaim> Claims(const core::OperationSpec& spec) const override;
  core::Outcome Run(const core::RunRequest& request, core::ProgressSink& sink,
                    core::CancelToken& cancel) override;
  std::optional<core::Outcome> Recover(const std::string& operation_id) override;
  // Every run's effects go through an intent keyed by its operation id, recorded before the
  // first write and kept once DONE or ROLLED_BACK (an import set's, one per backup): Recover
  // answers for any run. Reports and listings write nothing.
  bool RecoversEveryRun() const override { return true; }
  core::Result<std::vector<core::GpoInfo>> ListGpos() const override;
  std::optional<uint64_t> GposGeneration() const override;
  core::Result<std::vector<core::BackupInfo>> ListBackups(const BackupQuery& query) const override;

  // ResolveLeftovers
  //
  // At start-up: rolls every open intent forward or back (as Recover does), then removes
  // staging folders and temporary manifest files no intent owns. Returns the ids of the
  // operations it resolved. Must not run concurrently with operations.
  core::Result<std::vector<std::string>> ResolveLeftovers();

  // True when the store only serves backup and report; `read_only_reason` says why.
  bool read_only() const { return !read_only_reason_.empty(); }
  const std::string& read_only_reason() const { return read_only_reason_; }

  // The metadata store (the container half of the GPOs), for tools and tests.
  MetadataStore& metadata() { return *metadata_; }
  const GpoStore& store() const { return store_; }

  // SetFaultHookForTesting
  //
  // Installs a crash simulator (see FaultHook). Not for production use.
  void SetFaultHookForTesting(FaultHook hook);

  // SetIoFaultHookForTesting
  //
  // Installs an I/O error simulator for the steps past the commit point (see IoFaultHook). Not
  // for production use.
  void SetIoFaultHookForTesting(IoFaultHook hook);

 private:
  SysvolBackend(SysvolConfig config, std::unique_ptr<MetadataStore> metadata,
                std::string read_only_reason);

  // The spec with every GPO and location it names resolved (GUIDs, configured location names),
  // so that one GPO named by name and by GUID is one lock. For each GPO that exists, the claim
  // on its live display name (with the access the spec's claim on it has) is added to `names`.
  core::OperationSpec Resolved(const core::OperationSpec& spec,
                               std::vector<core::ResourceClaim>* names) const;

  const SysvolConfig config_;
  const std::unique_ptr<MetadataStore> metadata_;
  const GpoStore store_;
  const BackupLocations locations_;
  const std::string read_only_reason_;
  const std::string domain_controller_;
  AdmxCache admx_;
  FaultInjector faults_;
  const BackendContext ctx_;
};

// OpenSysvolBackend
//
// The factory gpopd uses: SysvolBackend::Open.
core::Result<std::unique_ptr<SysvolBackend>> OpenSysvolBackend(const SysvolConfig& config);

// MakeSysvolBackend
//
// The same as a plain core::Backend; null with `*error` set on failure.
std::unique_ptr<core::Backend> MakeSysvolBackend(const SysvolConfig& config, core::Error* error);

}  // namespace gpop::sysvol

#endif  // GPOP_SERVICE_BACKENDS_SYSVOL_SYSVOL_BACKEND_H_
