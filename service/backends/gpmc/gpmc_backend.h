// The GPMC backend: core::Backend over Windows' Group Policy Management Console COM API.
//
// Windows only (built with MSVC or mingw-w64). How GPMC's model maps onto gpop's, and what was
// verified where, is in README.md beside this file.

#ifndef GPOP_SERVICE_BACKENDS_GPMC_GPMC_BACKEND_H_
#define GPOP_SERVICE_BACKENDS_GPMC_GPMC_BACKEND_H_

// <windows.h> must come before the COM headers.
// clang-format off
#include <windows.h>
#include <gpmgmt.h>
// clang-format on

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "service/backends/gpmc/in_doubt.h"
#include "service/backends/gpmc/watchdog_clock.h"
#include "service/core/backend.h"

namespace gpop::gpmc {

// GpmcConfig
//
// Where the adapter finds the domain, backups and migration tables. Clients never send paths:
// they name a backup location or a migration table, and this configuration maps the name.
struct GpmcConfig {
  // The domain's DNS name ("corp.example.com"), as IGPM::GetDomain takes it.
  std::string domain;
  // The domain controller to use; empty = the PDC emulator (GPM_USE_PDC).
  std::string domain_controller;
  // Backup location name -> directory ("D:\\GpoBackups"). The empty name is the default
  // location. Each directory must exist (IGPMGPO::Backup requires it).
  std::map<std::string, std::string> backup_locations;
  // The directory that holds migration tables; a spec's table name "Prod" is the file
  // "<dir>\\Prod.migtable" (a name already ending in ".migtable" is used as is).
  std::string migration_table_dir;
  // How long an operation may go without any IGPMAsyncProgress::Status call before the adapter
  // gives up on it (NO_FINAL_STATUS, effects UNKNOWN) and asks GPMC to cancel it.
  std::chrono::milliseconds watchdog_timeout = std::chrono::minutes(10);
  // After GPMC accepted a Cancel, how long the adapter still waits for the final Status
  // (whatever progress comes meanwhile) before it ends the run with NO_FINAL_STATUS. A refused
  // Cancel leaves `watchdog_timeout` in force: GPMC then goes on with the work.
  std::chrono::milliseconds cancel_watchdog_timeout = std::chrono::seconds(30);
};

// kGpmcStillWorking
//
// The reason of a run refused because an earlier operation on the same GPO (or backup
// location) ended without GPMC's final status, so GPMC may still be writing it
// (FAILED_PRECONDITION; metadata `resource` and `in_doubt_operation`). The hold ends when GPMC
// sends that operation's final Status late or releases its progress object; restarting gpopd
// also ends it (GPMC runs in gpopd's process).
inline constexpr char kGpmcStillWorking[] = "GPMC_STILL_WORKING";

// GpmFactory
//
// Produces the root IGPM object, returning its HRESULT; the adapter owns the reference stored
// in `*out`. Called on an adapter thread that has joined the multithreaded apartment. Tests
// inject fakes here; production uses CoCreateGpm.
using GpmFactory = std::function<HRESULT(IGPM** out)>;

// CoCreateGpm
//
// The real factory: CoCreateInstance(CLSID_GPM, in-process server, IID_IGPM). Fails with
// REGDB_E_CLASSNOTREG where GPMC is not installed.
GpmFactory CoCreateGpm();

// GpmcBackend
//
// Runs backup, restore, import, copy and report through GPMC, always asynchronously: each run
// gets its own thread in the multithreaded apartment, hands GPMC a free-threaded
// IGPMAsyncProgress, forwards progress and status messages to the sink, calls
// IGPMAsyncCancel::Cancel when the cancel token fires, and ends the operation from the final
// Status call, or by its watchdog when none comes (a shorter one once GPMC accepted a cancel).
// After an end without final status it holds the operation's resources until GPMC is known to
// be done (kGpmcStillWorking). Thread-safe: concurrent runs share the configuration, the
// factory (which must itself be thread-safe), the clock and the table of held resources.
//
// Outcomes (DESIGN.md): success -> no error, effects APPLIED (NONE for reports); after a cancel
// request, a final E_ABORT or HRESULT_FROM_WIN32(ERROR_CANCELLED) -> Code::kCancelled; any other
// failure -> its mapped code with metadata cancel_requested=true when a cancel was asked for;
// effects UNKNOWN unless GPMC did no work (a synchronous failure before any Status call, a
// cancel before the start) or the adapter removed what it created (import's create-if-needed).
// A cancel that took effect (CancelToken::RequestCancel returned true) while GPMC completed the
// work anyway -> Code::kCancelled with effects APPLIED (NONE for reports) and metadata
// completed_before_cancel=true: the token refused the commit, and nothing can be rolled back.
// A Cancel that GPMC refuses is reported as a warning (metadata cancel_hresult) and the run
// goes on. The raw HRESULT is kept in Outcome::hresult and Error::hresult.
class GpmcBackend : public core::Backend {
 public:
  // `clock` times the watchdogs; null: the backend's own SteadyWatchdogClock. A given clock
  // must outlive the backend.
  explicit GpmcBackend(GpmcConfig config, GpmFactory factory = CoCreateGpm(),
                       WatchdogClock* clock = nullptr);
  ~GpmcBackend() override;

  std::string name() const override { return "gpmc"; }
  core::Status Validate(const core::OperationSpec& spec) const override;
  core::Outcome Run(const core::RunRequest& request, core::ProgressSink& sink,
                    core::CancelToken& cancel) override;
  core::Result<std::vector<core::GpoInfo>> ListGpos() const override;
  core::Result<std::vector<core::BackupInfo>> ListBackups(const BackupQuery& query) const override;

  // How many of this backend's IGPMAsyncProgress objects are still alive (GPMC may keep one
  // after a run ends; tests assert the count returns to zero once their fakes let go).
  long live_progress_objects() const { return live_progress_->load(); }

  // How many ended operations GPMC may still be working on (their claims held; kGpmcStillWorking).
  size_t in_doubt_operations() const { return in_doubt_->size(); }

 private:
  class OperationRun;  // one run on its own thread (operation_run.h)

  const GpmcConfig config_;
  const GpmFactory factory_;
  const std::shared_ptr<std::atomic<long>> live_progress_;
  std::unique_ptr<SteadyWatchdogClock> own_clock_;  // when no clock was given
  WatchdogClock* const clock_;
  // Shared with the callbacks that clear a hold, which may run after the backend is gone.
  const std::shared_ptr<InDoubtResources> in_doubt_;
};

// ImportSetUnimplemented
//
// Why this backend refuses import sets (UNIMPLEMENTED, reason UNSUPPORTED): GPMC imports one
// GPO per IGPMGPO::Import call with one IGPMAsyncCancel, and promises no rollback, so one
// operation over many GPOs cannot say which were left untouched after a cancel or failure the
// way the sysvol backend does. Import each backup with its own import operation instead.
core::Error ImportSetUnimplemented();

}  // namespace gpop::gpmc

#endif  // GPOP_SERVICE_BACKENDS_GPMC_GPMC_BACKEND_H_
