// Shared helpers of the audit logs (see audit_log.h).

#include "service/audit/audit_log.h"

#include <chrono>

namespace gpop::audit {

engine::Time TimeOf(const v1::AuditEntry& entry) {
  return engine::Time(
      std::chrono::duration_cast<engine::Duration>(std::chrono::seconds(entry.time().seconds()) +
                                                   std::chrono::nanoseconds(entry.time().nanos())));
}

absl::Status AuditLog::AppendAll(std::vector<v1::AuditEntry>* entries) {
  for (size_t i = 0; i < entries->size(); ++i) {
    if (absl::Status s = Append(&(*entries)[i]); !s.ok()) {
      for (size_t j = i; j < entries->size(); ++j) (*entries)[j].clear_sequence();
      return s;
    }
  }
  return absl::OkStatus();
}

bool Matches(const AuditQuery& query, const v1::AuditEntry& entry) {
  if (!query.principal.empty() && entry.principal() != query.principal) return false;
  if (!query.operation_id.empty() && entry.operation_id() != query.operation_id) return false;
  if (query.action != v1::AUDIT_ACTION_UNSPECIFIED && entry.action() != query.action) return false;
  const engine::Time time = TimeOf(entry);
  if (query.start_time && time < *query.start_time) return false;
  if (query.end_time && time >= *query.end_time) return false;
  return true;
}

}  // namespace gpop::audit
