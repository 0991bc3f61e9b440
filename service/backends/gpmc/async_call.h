// One call of a GPMC asynchronous method (IGPMGPO::Backup, IGPMDomain::RestoreGPO, ...), driven
// to its end: the progress object handed to GPMC, its Status reports pumped to the sink, the
// cancel token forwarded to IGPMAsyncCancel::Cancel, and the watchdogs. Windows only.

#ifndef GPOP_SERVICE_BACKENDS_GPMC_ASYNC_CALL_H_
#define GPOP_SERVICE_BACKENDS_GPMC_ASYNC_CALL_H_

// <windows.h> must come before the COM headers.
// clang-format off
#include <windows.h>
#include <gpmgmt.h>
// clang-format on

#include <atomic>
#include <functional>
#include <memory>

#include "service/backends/gpmc/async_progress.h"
#include "service/backends/gpmc/call_outcome.h"
#include "service/backends/gpmc/gpmc_backend.h"
#include "service/backends/gpmc/watchdog_clock.h"
#include "service/core/backend.h"

namespace gpop::gpmc {

// AsyncCall
//
// Drives one call on the current (MTA) thread. Drive() starts it, delivers every Status report
// to `sink` as progress and messages, calls Cancel once when `cancel` fires (a refusal becomes a
// warning message and the call goes on), and returns at the final Status, or when the watchdog
// gives up: no Status for `config.watchdog_timeout`, or no final Status within
// `config.cancel_watchdog_timeout` of an accepted Cancel. A successful end passes the token's
// commit point (CancelToken::BeginCommit). Not thread-safe: one thread drives it; GPMC's threads
// and the token's callback reach it only through its StatusChannel. `live_progress` counts the
// progress objects alive (GpmcBackend::live_progress_objects).
class AsyncCall {
 public:
  // Starts GPMC's method: (progress in, cancel out, result out) -> its HRESULT.
  using StartFn = std::function<HRESULT(VARIANT* progress, VARIANT* cancel, IGPMResult** result)>;

  AsyncCall(core::ProgressSink& sink, core::CancelToken& cancel, WatchdogClock& clock,
            const GpmcConfig& config, std::shared_ptr<std::atomic<long>> live_progress)
      : sink_(sink),
        cancel_(cancel),
        clock_(clock),
        config_(config),
        live_progress_(std::move(live_progress)) {}

  CallEnding Drive(const StartFn& start);

  // After an end without final status (CallEnding::How::kNoFinalStatus): the channel GPMC may
  // still report into (StatusChannel::WhenGpmcDone says when it let go); null otherwise.
  std::shared_ptr<StatusChannel> lingering() const { return lingering_; }

 private:
  class Watchdog;

  void Deliver(StatusReport& report);
  // After a final Status: checks IGPMResult::OverallStatus as well (the method's own result
  // can fail while every Status succeeded), and takes the result from IGPMResult when the
  // final Status carried none.
  void FinishFinal(IGPMResult* gpm_result, CallEnding* ending);
  // The work is done: later cancel requests no longer apply (CancelToken's commit point). The
  // token refuses when a cancel took effect first: the engine then reports the operation as
  // cancelled, so the outcome must say so, with the effects GPMC really had.
  void Commit(CallEnding* ending);

  core::ProgressSink& sink_;
  core::CancelToken& cancel_;
  WatchdogClock& clock_;
  const GpmcConfig& config_;
  const std::shared_ptr<std::atomic<long>> live_progress_;
  std::shared_ptr<StatusChannel> lingering_;
};

}  // namespace gpop::gpmc

#endif  // GPOP_SERVICE_BACKENDS_GPMC_ASYNC_CALL_H_
