// The engine's records: an operation's state, its events and progress, as the engine keeps them,
// the store persists them and service/api converts them to gpop.v1 messages.

#ifndef GPOP_SERVICE_ENGINE_TYPES_H_
#define GPOP_SERVICE_ENGINE_TYPES_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "service/core/error.h"
#include "service/core/operation.h"

namespace gpop::engine {

using Time = std::chrono::system_clock::time_point;
using Duration = std::chrono::system_clock::duration;

// Progress
//
// An operation's current fraction of work done, and the sequence of the last event before it.
// `observed` is when the engine recorded the value (its clock; Time{} when not known, e.g. a
// value read back from the store): not part of the value, so == ignores it.
struct Progress {
  int64_t numerator = 0;
  int64_t denominator = 0;
  uint64_t after_sequence = 0;
  Time observed{};
  bool operator==(const Progress& o) const {
    return numerator == o.numerator && denominator == o.denominator &&
           after_sequence == o.after_sequence;
  }
};

// Event
//
// One numbered, durable event of an operation: a state change, status messages, or the terminal
// result. `sequence` counts 1, 2, 3 ... per operation; `revision` increases server-wide.
struct Event {
  std::string operation_id;
  uint64_t sequence = 0;
  uint64_t revision = 0;
  Time time{};
  core::OperationKind kind = core::OperationKind::kBackup;
  core::OperationState state = core::OperationState::kQueued;
  std::optional<uint32_t> hresult;
  std::vector<core::StatusMessage> messages;
  // Terminal events only:
  core::OperationResult result;      // SUCCEEDED
  std::optional<core::Error> error;  // FAILED, CANCELLED
  std::optional<core::Effects> effects;
};

// OperationRecord
//
// A snapshot of one operation.
struct OperationRecord {
  std::string id;
  core::OperationKind kind = core::OperationKind::kBackup;
  core::OperationState state = core::OperationState::kQueued;
  core::OperationSpec spec;
  std::map<std::string, std::string> labels;
  std::string principal;
  std::string request_id;
  std::string fingerprint;  // of the request that created it (idempotency)
  Time create_time{};
  std::optional<Time> start_time;
  std::optional<Time> end_time;
  Time deadline{};
  uint64_t last_sequence = 0;
  uint64_t revision = 0;
  Progress progress;
  bool cancel_requested = false;
  std::string cancelled_by;  // the first caller who asked for the cancel; empty: none did
  bool committed = false;    // the backend passed its commit point
  core::OperationResult result;
  std::optional<core::Error> error;
  std::optional<core::Effects> effects;
  std::optional<uint32_t> hresult;
};

// StreamItem
//
// What a status or watch stream sends next.
struct Heartbeat {
  uint64_t sequence = 0;  // status streams
  uint64_t revision = 0;  // watch streams
  Time time{};
};
using StreamItem = std::variant<Event, Progress, Heartbeat>;

}  // namespace gpop::engine

#endif  // GPOP_SERVICE_ENGINE_TYPES_H_
