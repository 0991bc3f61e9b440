// The outcome of a GPMC call (see call_outcome.h).

#include "service/backends/gpmc/call_outcome.h"

#include <utility>

#include "service/backends/gpmc/hresult_error.h"

namespace gpop::gpmc {

using core::Code;
using core::Effects;
using core::Error;
using core::MakeError;
using core::Outcome;
namespace reason = core::reason;

Outcome FailedOutcome(Error error, Effects effects) {
  Outcome outcome;
  outcome.hresult = error.hresult;
  outcome.error = std::move(error);
  outcome.effects = effects;
  return outcome;
}

Outcome CancelledBeforeStart(const std::string& when) {
  return FailedOutcome(MakeError(Code::kCancelled, reason::kCancelled,
                                 "cancelled before " + when + ": GPMC did no work"),
                       Effects::kNone);
}

namespace {

Error FailureFromHresult(HRESULT hr, bool cancel_requested, const std::string& what) {
  if (cancel_requested && IsCancelHresult(hr)) {
    Error error = MakeError(Code::kCancelled, reason::kCancelled,
                            "cancelled: GPMC stopped " + what + " (" + HresultText(hr) +
                                ", HRESULT " + HresultHex(hr) + ")",
                            {{"hresult", HresultHex(hr)}});
    error.hresult = static_cast<uint32_t>(hr);
    return error;
  }
  Error error = ErrorFromHresult(hr, what);
  if (cancel_requested) error.metadata["cancel_requested"] = "true";
  return error;
}

// The outcome, before the refused cancel's note (ConcludeCall adds it).
Outcome Decide(CallEnding ending, const std::string& what, bool changes,
               const std::function<core::OperationResult(const Variant&)>& to_result,
               const GpmcConfig& config) {
  const Effects unknown = changes ? Effects::kUnknown : Effects::kNone;
  switch (ending.how) {
    case CallEnding::How::kCancelledBeforeStart:
      return CancelledBeforeStart(what);
    case CallEnding::How::kStartFailed:
      return FailedOutcome(FailureFromHresult(ending.hr, ending.cancel_requested, what),
                           ending.any_status ? unknown : Effects::kNone);
    case CallEnding::How::kNoFinalStatus: {
      Error error;
      if (ending.cancel_watchdog) {
        const auto ms = config.cancel_watchdog_timeout.count();
        error = MakeError(Code::kDeadlineExceeded, reason::kNoFinalStatus,
                          "GPMC accepted the cancel but sent no final status while " + what +
                              " within " + std::to_string(ms) + " ms; its effects are unknown",
                          {{"cancel_watchdog_ms", std::to_string(ms)}});
      } else {
        const auto ms = config.watchdog_timeout.count();
        error = MakeError(Code::kDeadlineExceeded, reason::kNoFinalStatus,
                          "GPMC sent no final status while " + what + " (nothing for " +
                              std::to_string(ms) + " ms); its effects are unknown",
                          {{"watchdog_ms", std::to_string(ms)}});
      }
      if (ending.cancel_requested) error.metadata["cancel_requested"] = "true";
      return FailedOutcome(std::move(error), unknown);
    }
    case CallEnding::How::kFinalStatus:
      break;
  }
  if (FAILED(ending.hr)) {
    return FailedOutcome(FailureFromHresult(ending.hr, ending.cancel_requested, what), unknown);
  }
  const Effects done = changes ? Effects::kApplied : Effects::kNone;
  if (ending.cancel_won) {
    Error error =
        MakeError(Code::kCancelled, reason::kCancelled,
                  "cancelled, but GPMC had finished " + what + " before the cancel reached it: " +
                      (changes ? "its effects are applied" : "nothing changed"),
                  {{"completed_before_cancel", "true"}});
    error.hresult = static_cast<uint32_t>(ending.hr);
    return FailedOutcome(std::move(error), done);
  }
  Outcome outcome;
  outcome.hresult = static_cast<uint32_t>(ending.hr);
  outcome.effects = done;
  outcome.result = to_result(ending.result);
  return outcome;
}

}  // namespace

Outcome ConcludeCall(CallEnding ending, const std::string& what, bool changes,
                     const std::function<core::OperationResult(const Variant&)>& to_result,
                     const GpmcConfig& config) {
  const std::optional<HRESULT> cancel_refused = ending.cancel_refused;
  Outcome outcome = Decide(std::move(ending), what, changes, to_result, config);
  if (cancel_refused && outcome.error) {
    outcome.error->metadata["cancel_hresult"] = HresultHex(*cancel_refused);
  }
  return outcome;
}

}  // namespace gpop::gpmc
