// The mapping of call statuses and operation states to gpopctl exit codes.

#include "client/ctl/exit_codes.h"

namespace gpop::ctl {

ExitCode ExitCodeForStatus(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return kExitOk;
    case absl::StatusCode::kNotFound:
      return kExitNotFound;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kOutOfRange:
    case absl::StatusCode::kAlreadyExists:
      return kExitInvalid;
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kUnauthenticated:
      return kExitPermission;
    case absl::StatusCode::kResourceExhausted:
      return kExitExhausted;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
      return kExitUnavailable;
    default:
      return kExitOther;
  }
}

ExitCode ExitCodeForState(v1::OperationState state) {
  switch (state) {
    case v1::SUCCEEDED:
      return kExitOk;
    case v1::FAILED:
      return kExitFailed;
    case v1::CANCELLED:
      return kExitCancelled;
    default:
      return kExitDetached;
  }
}

const char kExitCodeTable[] =
    "Exit codes:\n"
    "   0  success; a waited-for operation SUCCEEDED\n"
    "   1  usage error\n"
    "   2  the operation ended FAILED\n"
    "   3  the operation ended CANCELLED\n"
    "   4  detached: stopped watching (Ctrl-C, --wait-timeout); the operation goes on\n"
    "   5  NOT_FOUND (operation, GPO or backup unknown or expired)\n"
    "   6  INVALID_ARGUMENT, FAILED_PRECONDITION, OUT_OF_RANGE, ALREADY_EXISTS\n"
    "   7  PERMISSION_DENIED, UNAUTHENTICATED\n"
    "   8  RESOURCE_EXHAUSTED (server limits)\n"
    "   9  UNAVAILABLE or a call's DEADLINE_EXCEEDED (server unreachable or too slow)\n"
    "  10  any other error (INTERNAL, UNKNOWN, local I/O, ...)\n";

}  // namespace gpop::ctl
