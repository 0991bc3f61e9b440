#include "service/core/operation.h"

namespace gpop::core {

bool IsTerminal(OperationState state) {
  return state == OperationState::kSucceeded || state == OperationState::kFailed ||
         state == OperationState::kCancelled;
}

const char* KindName(OperationKind kind) {
  switch (kind) {
    case OperationKind::kBackup:
      return "backup";
    case OperationKind::kRestore:
      return "restore";
    case OperationKind::kImport:
      return "import";
    case OperationKind::kCopy:
      return "copy";
    case OperationKind::kReport:
      return "report";
    case OperationKind::kImportSet:
      return "import_set";
  }
  return "unknown";
}

const char* StateName(OperationState state) {
  switch (state) {
    case OperationState::kQueued:
      return "QUEUED";
    case OperationState::kRunning:
      return "RUNNING";
    case OperationState::kCancelling:
      return "CANCELLING";
    case OperationState::kSucceeded:
      return "SUCCEEDED";
    case OperationState::kFailed:
      return "FAILED";
    case OperationState::kCancelled:
      return "CANCELLED";
  }
  return "UNKNOWN";
}

const char* EffectsName(Effects effects) {
  switch (effects) {
    case Effects::kNone:
      return "NONE";
    case Effects::kApplied:
      return "APPLIED";
    case Effects::kUnknown:
      return "UNKNOWN";
  }
  return "UNKNOWN";
}

std::optional<OperationKind> ParseKind(const std::string& name) {
  for (OperationKind k : {OperationKind::kBackup, OperationKind::kRestore, OperationKind::kImport,
                          OperationKind::kCopy, OperationKind::kReport,
                          OperationKind::kImportSet}) {
    if (name == KindName(k)) return k;
  }
  return std::nullopt;
}

std::optional<OperationState> ParseState(const std::string& name) {
  for (OperationState s :
       {OperationState::kQueued, OperationState::kRunning, OperationState::kCancelling,
        OperationState::kSucceeded, OperationState::kFailed, OperationState::kCancelled}) {
    if (name == StateName(s)) return s;
  }
  return std::nullopt;
}

OperationKind KindOf(const OperationSpec& spec) {
  return static_cast<OperationKind>(spec.index() + 1);
}

}  // namespace gpop::core
