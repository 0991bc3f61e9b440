// The audit log: an append-only record of who started, cancelled or deleted which operation and
// how each operation ended (gpop.v1.AuditEntry, proto/gpop/v1/audit.proto). Kept apart from the
// operations themselves, so that it outlives their retention. Implementations: SqliteAuditLog
// (gpopd's default, in the operation store's file) and MemoryAuditLog (tests, and
// --operation_store=memory).

#ifndef GPOP_SERVICE_AUDIT_AUDIT_LOG_H_
#define GPOP_SERVICE_AUDIT_AUDIT_LOG_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gpop/v1/audit.pb.h"
#include "service/engine/types.h"

namespace gpop::audit {

// AuditQuery
//
// Which entries to read: those with a sequence greater than `after_sequence` that match every
// set condition, oldest first, at most `limit`. Times are the entries' `time`: [start, end).
struct AuditQuery {
  std::string principal;
  std::string operation_id;
  v1::AuditAction action = v1::AUDIT_ACTION_UNSPECIFIED;  // unspecified: any
  std::optional<engine::Time> start_time;
  std::optional<engine::Time> end_time;
  uint64_t after_sequence = 0;
  int limit = 100;
};

// AuditLog
//
// Thread-safe. Entries are never changed or removed once appended.
class AuditLog {
 public:
  virtual ~AuditLog() = default;

  // Appends `entry`, setting its `sequence` (one more than the last ever appended, never
  // reused). Durable when it returns OK; an error appends nothing.
  virtual absl::Status Append(v1::AuditEntry* entry) = 0;

  // The entries `query` selects.
  virtual absl::StatusOr<std::vector<v1::AuditEntry>> List(const AuditQuery& query) = 0;

  // The highest `revision` of any FINISH entry (0 when none): where the recorder of terminal
  // events resumes after a restart (api/audit_recorder.h).
  virtual absl::StatusOr<uint64_t> LastFinishRevision() = 0;
};

// TimeOf
//
// An entry's `time` as engine::Time (the epoch when unset).
engine::Time TimeOf(const v1::AuditEntry& entry);

// Matches
//
// True when `entry` meets every condition of `query` (its sequence and limit aside).
bool Matches(const AuditQuery& query, const v1::AuditEntry& entry);

}  // namespace gpop::audit

#endif  // GPOP_SERVICE_AUDIT_AUDIT_LOG_H_
