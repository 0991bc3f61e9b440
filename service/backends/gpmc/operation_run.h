// GpmcBackend::OperationRun: one operation on its own MTA thread — the spec's GPMC objects
// resolved, GPMC's asynchronous method for its kind called (AsyncCall), and the outcome decided
// (ConcludeCall). Windows only; private to the GPMC backend.

#ifndef GPOP_SERVICE_BACKENDS_GPMC_OPERATION_RUN_H_
#define GPOP_SERVICE_BACKENDS_GPMC_OPERATION_RUN_H_

// <windows.h> must come before the COM headers.
// clang-format off
#include <windows.h>
#include <gpmgmt.h>
// clang-format on

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "service/backends/gpmc/async_call.h"
#include "service/backends/gpmc/call_outcome.h"
#include "service/backends/gpmc/com_util.h"
#include "service/backends/gpmc/gpmc_backend.h"
#include "service/core/backend.h"

namespace gpop::gpmc {

// GpmcBackend::OperationRun
//
// One run, on one MTA thread: resolves the spec's objects, starts GPMC's asynchronous method,
// pumps its Status reports to the sink, forwards a cancel, and decides the outcome. Not
// thread-safe (used by its thread only); the StatusChannel is the only state GPMC's threads and
// the cancel token's callback touch.
class GpmcBackend::OperationRun {
 public:
  using Access = core::ResourceClaim::Access;

  OperationRun(const GpmcBackend& backend, core::ProgressSink& sink, core::CancelToken& cancel)
      : backend_(backend), sink_(sink), cancel_(cancel) {}

  core::Outcome Execute(const core::RunRequest& request);

  // Connects to GPMC and the domain; an error when that fails.
  std::optional<core::Error> Connect();

  // The GPOs named `display_name` (every GPO of the domain for null).
  core::Result<std::vector<ComPtr<IGPMGPO>>> SearchGpos(const std::string* display_name);

  // Finds a GPO the run will read or write (`access`), refusing one that GPMC may still be
  // writing for an earlier operation.
  core::Result<ComPtr<IGPMGPO>> FindGpo(const core::GpoRef& ref, Access access);

  // The five kinds: each calls its GPMC method and concludes the outcome. An import set is
  // UNIMPLEMENTED here (see ImportSetUnimplemented); Validate refuses it before it starts.
  core::Outcome Start(const core::BackupSpec& spec);
  core::Outcome Start(const core::RestoreSpec& spec);
  core::Outcome Start(const core::ImportSpec& spec);
  core::Outcome Start(const core::CopySpec& spec);
  core::Outcome Start(const core::ReportSpec& spec);
  core::Outcome Start(const core::ImportSetSpec& spec);

 private:
  // A GPO by GUID, or by a display name that must name exactly one.
  core::Result<ComPtr<IGPMGPO>> LookUpGpo(const core::GpoRef& ref);
  // The directory of a configured backup location.
  core::Result<std::string> LocationDir(const std::string& location) const;
  core::Result<ComPtr<IGPMBackup>> FindBackup(const core::BackupRef& ref);
  // A VT_DISPATCH variant holding the named table, or an empty variant for no table.
  core::Result<Variant> MigrationTable(const std::string& name);

  // Records that the run uses `claim`; an error when an earlier operation that GPMC may still be
  // working on holds it.
  std::optional<core::Error> Hold(core::ResourceClaim claim);
  // After an end without a final status: holds the run's claims until GPMC is known to be done
  // with it (the engine releases its own locks as soon as the run returns).
  void KeepHeld(const std::string& operation_id, core::Outcome* outcome);
  static core::OperationResult GpoResult(const Variant& v);
  // Deletes the GPO that import's create-if-needed made, and sets the effects accordingly.
  static void RemoveCreated(IGPMGPO* gpo, core::Outcome* outcome);

  // One AsyncCall of GPMC's method; keeps its channel when GPMC may still be working.
  CallEnding Drive(const AsyncCall::StartFn& start);
  core::Outcome Conclude(CallEnding ending, const std::string& what, bool changes,
                         const std::function<core::OperationResult(const Variant&)>& to_result);

  const GpmcBackend& backend_;
  core::ProgressSink& sink_;
  core::CancelToken& cancel_;
  ComPtr<IGPM> gpm_;
  ComPtr<IGPMDomain> domain_;
  std::vector<core::ResourceClaim> claims_;  // what the run reads and writes
  // The channel of a GPMC call that ended without a final status (GPMC may still be working).
  std::shared_ptr<StatusChannel> lingering_;
};

}  // namespace gpop::gpmc

#endif  // GPOP_SERVICE_BACKENDS_GPMC_OPERATION_RUN_H_
