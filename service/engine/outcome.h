// How a backend's outcome becomes an operation's end: the error it reports, and the terminal
// event, after a run and after recovery of a run interrupted by a restart.

#ifndef GPOP_SERVICE_ENGINE_OUTCOME_H_
#define GPOP_SERVICE_ENGINE_OUTCOME_H_

#include <optional>

#include "service/core/backend.h"
#include "service/engine/types.h"

namespace gpop::engine {

// Why a run was cancelled, when the engine asked.
struct CancelCause {
  bool requested = false;  // the operation was CANCELLING when the run returned
  bool deadline = false;   // by its deadline
  bool shutdown = false;   // by planned shutdown
};

// RunError
//
// The error an operation ends with after its backend returned `error`: a cancel nobody asked for
// is a backend failure (CANCELLED must follow CANCELLING); a deadline's cancel is
// DEADLINE_EXCEEDED; shutdown's says SHUTTING_DOWN.
std::optional<core::Error> RunError(std::optional<core::Error> error, const CancelCause& cause);

// The end an operation takes: `error` empty = SUCCEEDED.
struct Ending {
  std::optional<core::Error> error;
  core::Effects effects = core::Effects::kNone;
  core::OperationResult result;
  std::optional<uint32_t> hresult;
};

// An ending with `error` and effects NONE (the operation never ran, or was rolled back).
Ending Failure(core::Error error);

// TerminalEvent
//
// The terminal event for `ending` (its state follows from the error; the result is dropped on
// an error, except an import set's, which lists what was and was not imported). `cancel_requested` marks a
// failure that happened despite a cancel; `folded_messages` adds a note counting message events
// the per-operation limit dropped.
Event TerminalEvent(Ending ending, bool cancel_requested, int folded_messages);

// ResolveInterrupted
//
// The end of a run the server restarted under, from the backend's Recover: rolled forward
// (SUCCEEDED, effects APPLIED), unresolvable (its error, marked server_restarted), or rolled back
// (CANCELLED if it was cancelling, else ABORTED with reason SERVER_RESTARTED; effects NONE).
Ending ResolveInterrupted(std::optional<core::Outcome> outcome, bool was_cancelling);

}  // namespace gpop::engine

#endif  // GPOP_SERVICE_ENGINE_OUTCOME_H_
