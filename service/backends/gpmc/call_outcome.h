// How one call of a GPMC asynchronous method ended, and the operation outcome that follows from
// it: gpop's rules for HRESULTs, cancels, commit points and effects (DESIGN.md, README.md beside
// this file). Windows only.

#ifndef GPOP_SERVICE_BACKENDS_GPMC_CALL_OUTCOME_H_
#define GPOP_SERVICE_BACKENDS_GPMC_CALL_OUTCOME_H_

// <windows.h> must come before the COM headers.
// clang-format off
#include <windows.h>
#include <gpmgmt.h>
// clang-format on

#include <functional>
#include <optional>
#include <string>

#include "service/backends/gpmc/com_util.h"
#include "service/backends/gpmc/gpmc_backend.h"
#include "service/core/backend.h"

namespace gpop::gpmc {

// CallEnding
//
// How GPMC's side of an operation ended (AsyncCall::Drive's answer).
struct CallEnding {
  enum class How { kCancelledBeforeStart, kStartFailed, kFinalStatus, kNoFinalStatus };
  How how = How::kFinalStatus;
  HRESULT hr = S_OK;                      // the deciding HRESULT
  bool any_status = false;                // GPMC called Status at least once
  bool cancel_requested = false;          // the token had fired when the end was decided
  bool cancel_won = false;                // GPMC succeeded, but the token had refused the commit
  bool cancel_accepted = false;           // GPMC's Cancel returned success
  bool cancel_watchdog = false;           // the post-cancel watchdog ended the wait
  std::optional<HRESULT> cancel_refused;  // GPMC's Cancel failed with this
  Variant result;                         // the final Status's result (or IGPMResult's)
};

// FailedOutcome
//
// An outcome with `error` (its HRESULT copied to the outcome) and `effects`.
core::Outcome FailedOutcome(core::Error error, core::Effects effects);

// CancelledBeforeStart
//
// CANCELLED with effects NONE: the cancel came before `when`, and GPMC did no work.
core::Outcome CancelledBeforeStart(const std::string& when);

// ConcludeCall
//
// The outcome of an operation whose GPMC call ended as `ending`. `what` describes the call for
// messages ("backing up GPO {...}"); `changes`: whether the call writes anything (reports do
// not: their effects are always NONE); `to_result` turns the final result variant into the
// operation's result. `config` gives the watchdog times the messages quote.
core::Outcome ConcludeCall(CallEnding ending, const std::string& what, bool changes,
                           const std::function<core::OperationResult(const Variant&)>& to_result,
                           const GpmcConfig& config);

}  // namespace gpop::gpmc

#endif  // GPOP_SERVICE_BACKENDS_GPMC_CALL_OUTCOME_H_
