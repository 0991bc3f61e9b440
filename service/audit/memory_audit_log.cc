// The in-memory audit log (see memory_audit_log.h).

#include "service/audit/memory_audit_log.h"

#include <algorithm>

namespace gpop::audit {

absl::Status MemoryAuditLog::Append(v1::AuditEntry* entry) {
  core::MutexLock lock(&mu_);
  entry->set_sequence(entries_.size() + 1);
  if (!entry->operation_id().empty()) {
    by_operation_[entry->operation_id()].push_back(entries_.size());
  }
  entries_.push_back(*entry);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<v1::AuditEntry>> MemoryAuditLog::List(const AuditQuery& query) {
  core::MutexLock lock(&mu_);
  std::vector<v1::AuditEntry> out;
  if (!query.operation_id.empty()) {
    auto it = by_operation_.find(query.operation_id);
    if (it == by_operation_.end()) return out;
    for (size_t i : it->second) {
      if (static_cast<int>(out.size()) >= query.limit) break;
      if (i >= query.after_sequence && Matches(query, entries_[i])) out.push_back(entries_[i]);
    }
    return out;
  }
  for (size_t i = query.after_sequence; i < entries_.size(); ++i) {
    if (static_cast<int>(out.size()) >= query.limit) break;
    if (Matches(query, entries_[i])) out.push_back(entries_[i]);
  }
  return out;
}

absl::StatusOr<uint64_t> MemoryAuditLog::LastFinishRevision() {
  core::MutexLock lock(&mu_);
  uint64_t last = 0;
  for (const v1::AuditEntry& entry : entries_) {
    if (entry.action() == v1::AUDIT_ACTION_FINISH) last = std::max<uint64_t>(last, entry.revision());
  }
  return last;
}

}  // namespace gpop::audit
