// The sysvol backend: GPMC's operations performed by gpop itself on a GPO tree (Policies/{GUID}
// GPTs plus the container half in its own metadata store) and on real GPMC backup folders.
//
// This issue implements backup and report; restore, import and copy return UNIMPLEMENTED and
// plug into the same intent/staging/commit machinery later.
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
// manifest is then rebuilt from the backups' bkupInfo.xml) and undo STAGING ones.

#ifndef GPOP_SERVICE_BACKENDS_SYSVOL_SYSVOL_BACKEND_H_
#define GPOP_SERVICE_BACKENDS_SYSVOL_SYSVOL_BACKEND_H_

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "service/backends/sysvol/format/admx.h"
#include "service/backends/sysvol/gpo_store.h"
#include "service/backends/sysvol/metadata_store.h"
#include "service/backends/sysvol/safe_fs.h"
#include "service/backends/sysvol/sysvol_config.h"
#include "service/core/backend.h"
#include "service/core/mutex.h"

namespace gpop::sysvol {

// DetectRunningDc
//
// Why the tree at `sysvol_dir` is served by a running Samba domain controller, or nullopt.
// The rule: an ancestor of `sysvol_dir` (up to four levels up) is a Samba DC's root (it holds
// `private/sam.ldb`), and either a `samba.pid` file (in `<root>/run`, `<root>/var/run`, or, for
// the system install under /var/lib/samba, `/run/samba` and `/var/run/samba`) names a live
// process, or a running process whose program is `samba` has that root in its command line
// (`samba -s <root>/etc/smb.conf`; for /var/lib/samba any running `samba`).
std::optional<std::string> DetectRunningDc(const std::filesystem::path& sysvol_dir);

// FaultPoint
//
// Places in the commit protocol where tests simulate a crash.
enum class FaultPoint {
  kAfterStaging,        // everything staged and fsynced, before BeginCommit
  kAfterCommitRecord,   // intent COMMITTING, nothing published
  kAfterBackupRename,   // backup folder published, manifest not yet replaced
  kAfterManifestRename  // manifest replaced, intent not yet DONE
};

// FaultHook
//
// Called at each FaultPoint; returning true makes the run stop right there as a crash would
// (nothing cleaned up, the intent left as it is; the run returns INTERNAL with effects UNKNOWN).
using FaultHook = std::function<bool(FaultPoint)>;

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
  core::Status Validate(const core::OperationSpec& spec) const override;
  std::vector<core::ResourceClaim> Claims(const core::OperationSpec& spec) const override;
  core::Outcome Run(const core::RunRequest& request, core::ProgressSink& sink,
                    core::CancelToken& cancel) override;
  std::optional<core::Outcome> Recover(const std::string& operation_id) override;
  core::Result<std::vector<core::GpoInfo>> ListGpos() const override;
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

 private:
  struct Location {
    std::string name;
    std::filesystem::path path;
  };

  SysvolBackend(SysvolConfig config, std::unique_ptr<MetadataStore> metadata,
                std::string read_only_reason);

  core::Result<Location> ResolveLocation(const std::string& name) const;
  core::Mutex* LocationMutex(const std::string& name) const;
  bool Fault(FaultPoint point) const;

  core::Outcome RunBackup(const core::RunRequest& request, const core::BackupSpec& spec,
                          core::ProgressSink& sink, core::CancelToken& cancel);
  core::Outcome RunReport(const core::ReportSpec& spec, core::ProgressSink& sink,
                          core::CancelToken& cancel);

  // Finishes publishing a COMMITTING intent (idempotent); `staged_manifest` says whether the
  // staged manifest is to be published (only by the run that computed it and holds the
  // location's lock); otherwise the manifest is rebuilt under the lock. `*crashed` tells that a
  // FaultHook stopped it.
  core::Status RollForward(const Intent& intent, bool staged_manifest, bool* crashed);
  // Removes an intent's staging folder and marks it ROLLED_BACK.
  core::Status RollBack(const Intent& intent);
  // Rewrites manifest.xml of `location` from its backups when it is missing or stale. The
  // caller holds the location's mutex.
  core::Status RepairManifestLocked(const Dir& location) const;

  core::Result<std::shared_ptr<const AdmxCatalog>> LoadAdmx(const Dir& policies) const;

  const SysvolConfig config_;
  const std::unique_ptr<MetadataStore> metadata_;
  const GpoStore store_;
  const std::string read_only_reason_;
  const std::string domain_controller_;

  mutable core::Mutex mu_;
  mutable std::map<std::string, std::unique_ptr<core::Mutex>> location_mu_ GPOP_GUARDED_BY(mu_);
  FaultHook fault_hook_ GPOP_GUARDED_BY(mu_);
  mutable std::shared_ptr<const AdmxCatalog> admx_ GPOP_GUARDED_BY(mu_);
  mutable int64_t admx_stamp_ GPOP_GUARDED_BY(mu_) = -1;
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
