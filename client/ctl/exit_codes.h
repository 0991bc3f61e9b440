// gpopctl's exit codes: a stable contract for scripts (documented in client/README.md and in
// `gpopctl --help`; never renumber, only add).

#ifndef GPOP_CLIENT_CTL_EXIT_CODES_H_
#define GPOP_CLIENT_CTL_EXIT_CODES_H_

#include "absl/status/status.h"
#include "gpop/v1/operations.pb.h"

namespace gpop::ctl {

// ExitCode
//
// What a gpopctl process returns.
enum ExitCode : int {
  kExitOk = 0,           // the command worked; a waited-for operation SUCCEEDED
  kExitUsage = 1,        // bad command line
  kExitFailed = 2,       // the operation ended FAILED
  kExitCancelled = 3,    // the operation ended CANCELLED
  kExitDetached = 4,     // stopped watching first (Ctrl-C, --wait-timeout); still running
  kExitNotFound = 5,     // NOT_FOUND (unknown or expired operation, GPO, backup)
  kExitInvalid = 6,      // INVALID_ARGUMENT, FAILED_PRECONDITION, OUT_OF_RANGE, ALREADY_EXISTS
  kExitPermission = 7,   // PERMISSION_DENIED, UNAUTHENTICATED
  kExitExhausted = 8,    // RESOURCE_EXHAUSTED (queue or stream limits)
  kExitUnavailable = 9,  // UNAVAILABLE, DEADLINE_EXCEEDED of a call: server unreachable or slow
  kExitOther = 10,       // anything else (INTERNAL, UNKNOWN, local I/O errors, ...)
};

// ExitCodeForStatus
//
// The exit code of a command whose call (or stream) ended with `status`; kExitOk for OK.
ExitCode ExitCodeForStatus(const absl::Status& status);

// ExitCodeForState
//
// The exit code of a command that watched an operation until `state`: SUCCEEDED 0, FAILED 2,
// CANCELLED 3, anything not terminal 4 (detached).
ExitCode ExitCodeForState(v1::OperationState state);

// kExitCodeTable
//
// The table above as help text.
extern const char kExitCodeTable[];

}  // namespace gpop::ctl

#endif  // GPOP_CLIENT_CTL_EXIT_CODES_H_
