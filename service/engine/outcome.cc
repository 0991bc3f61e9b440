#include "service/engine/outcome.h"

#include <string>
#include <utility>

namespace gpop::engine {

std::optional<core::Error> RunError(std::optional<core::Error> error, const CancelCause& cause) {
  if (!error || error->code != core::Code::kCancelled) return error;
  if (!cause.requested) {
    error->code = core::Code::kAborted;
    error->reason = core::reason::kBackendFailure;
    error->message = "the backend stopped the operation by itself: " + error->message;
  } else if (cause.deadline) {
    error = core::MakeError(core::Code::kDeadlineExceeded, core::reason::kDeadlineExceeded,
                            "the operation did not finish before its deadline");
  } else if (cause.shutdown) {
    error->reason = core::reason::kShuttingDown;
    error->message = "cancelled: the server shut down before the operation finished";
  }
  return error;
}

Ending Failure(core::Error error) {
  Ending ending;
  ending.error = std::move(error);
  return ending;
}

Event TerminalEvent(Ending ending, bool cancel_requested, int folded_messages) {
  Event ev;
  if (!ending.error) {
    ev.state = core::OperationState::kSucceeded;
    ev.result = std::move(ending.result);
  } else {
    ev.state = ending.error->code == core::Code::kCancelled ? core::OperationState::kCancelled
                                                            : core::OperationState::kFailed;
    if (cancel_requested && ev.state == core::OperationState::kFailed) {
      ending.error->metadata["cancel_requested"] = "true";
    }
    ev.error = std::move(ending.error);
    // An import set's outcomes say which GPOs a failed or cancelled run imported: keep them.
    if (std::holds_alternative<core::ImportSetResult>(ending.result)) {
      ev.result = std::move(ending.result);
    }
  }
  ev.effects = ending.effects;
  ev.hresult = ending.hresult;
  if (folded_messages > 0) {
    core::StatusMessage note;
    note.severity = core::Severity::kWarning;
    note.message = std::to_string(folded_messages) +
                   " further status message events were not recorded (per-operation limit)";
    ev.messages.push_back(std::move(note));
  }
  return ev;
}

Ending ResolveInterrupted(std::optional<core::Outcome> outcome, bool was_cancelling) {
  Ending ending;
  if (outcome && !outcome->error) {
    ending.effects = core::Effects::kApplied;
    ending.result = std::move(outcome->result);
    ending.hresult = outcome->hresult;
  } else if (outcome && outcome->effects != core::Effects::kNone) {
    // The backend could neither finish nor undo the run: say so, never claim a rollback.
    ending.error = *outcome->error;
    ending.error->metadata["server_restarted"] = "true";
    ending.effects = outcome->effects;
    ending.result = std::move(outcome->result);  // an import set's: what it did import
    ending.hresult = outcome->hresult;
  } else if (was_cancelling) {
    ending.error = core::MakeError(core::Code::kCancelled, core::reason::kCancelled,
                                   "cancelled; the server restarted before the backend stopped");
  } else {
    ending.error = core::MakeError(core::Code::kAborted, core::reason::kServerRestarted,
                                   "the server restarted while the operation ran; its changes "
                                   "were rolled back");
  }
  return ending;
}

}  // namespace gpop::engine
