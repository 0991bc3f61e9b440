// How gpopctl shows things: the one-line progress bar, event lines, operation and listing text,
// JSON and error text. Pure functions of their inputs, so they can be tested.

#ifndef GPOP_CLIENT_CTL_RENDER_H_
#define GPOP_CLIENT_CTL_RENDER_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "google/protobuf/message.h"
#include "gpop/v1/audit.pb.h"
#include "gpop/v1/operations.pb.h"

namespace gpop::ctl {

// WatchView
//
// What the progress bar shows: the newest state, progress and message of an operation.
struct WatchView {
  v1::OperationState state = v1::OPERATION_STATE_UNSPECIFIED;
  int64_t numerator = 0;
  int64_t denominator = 0;
  uint64_t sequence = 0;
  std::string message;

  // Apply
  //
  // Takes in one stream item.
  void Apply(const v1::StatusUpdate& update);
};

// TransferProgressText
//
// One line for an upload or download: "[#####---------------]  25%  3.1/12.4 MiB".
std::string TransferProgressText(int64_t done, int64_t total);

// ProgressBarLine
//
// The bar line, at most `width - 1` columns (so the cursor never wraps), without "\r":
//   [##########----------]  50%  5/10  RUNNING  copying registry.pol
// With an unknown denominator: "[--------------------]   ?%  5/?".
std::string ProgressBarLine(const WatchView& view, int width);

// StateName
//
// "RUNNING", "SUCCEEDED", ...
std::string StateName(v1::OperationState state);

// KindName
//
// "backup", "restore", ...
std::string KindName(v1::OperationKind kind);

// EventLine
//
// One line per event for logs and pipes: "#3 RUNNING message; message" with the HRESULT as
// 0x%08X, and on a terminal event the effects and the error.
std::string EventLine(const v1::Event& event);

// ProgressLine
//
// "progress 5/10 (50%)" for pipes.
std::string ProgressLine(const v1::Progress& progress);

// OperationText
//
// `gpopctl get`: one "field: value" per line.
std::string OperationText(const v1::Operation& operation);

// OperationsTable / GposTable / BackupsTable
//
// `ls`, `gpos` and `backups` as aligned columns with a header.
std::string OperationsTable(const v1::ListOperationsResponse& response);
std::string GposTable(const v1::ListGposResponse& response);
std::string BackupsTable(const v1::ListBackupsResponse& response);

// AuditTable
//
// Audit entries as a table: sequence, time, principal, action, operation, kind, GPOs, state and
// what it changed (effects, GPO version from -> to, error reason).
std::string AuditTable(const v1::ListAuditEntriesResponse& response);

// ToJson
//
// Protobuf's canonical JSON of `message`: one line, or indented when `pretty`.
std::string ToJson(const google::protobuf::Message& message, bool pretty);

// ErrorText
//
// "NOT_FOUND: no such operation (reason OPERATION_NOT_FOUND, operation_id=op-1)".
std::string ErrorText(const absl::Status& status);

}  // namespace gpop::ctl

#endif  // GPOP_CLIENT_CTL_RENDER_H_
