// The in-memory audit log (see memory_audit_log.h).

#include "service/audit/memory_audit_log.h"

#include <algorithm>
#include <utility>

namespace gpop::audit {

MemoryAuditLog::MemoryAuditLog(size_t max_entries)
    : max_entries_(std::max<size_t>(1, max_entries)) {}

absl::Status MemoryAuditLog::Append(v1::AuditEntry* entry) {
  core::MutexLock lock(&mu_);
  const uint64_t sequence = first_ + entries_.size();
  entry->set_sequence(sequence);
  Stored stored{entry->principal(), entry->operation_id(), entry->action(), TimeOf(*entry), {}};
  if (!entry->SerializeToString(&stored.bytes)) {
    entry->clear_sequence();
    return absl::InternalError("audit entry does not serialize");
  }
  if (entry->action() == v1::AUDIT_ACTION_FINISH) {
    last_finish_revision_ = std::max<uint64_t>(last_finish_revision_, entry->revision());
  }
  if (!stored.operation_id.empty()) by_operation_[stored.operation_id].push_back(sequence);
  entries_.push_back(std::move(stored));
  while (entries_.size() > max_entries_) DropOldestLocked();
  return absl::OkStatus();
}

void MemoryAuditLog::DropOldestLocked() {
  const Stored& oldest = entries_.front();
  if (!oldest.operation_id.empty()) {
    auto it = by_operation_.find(oldest.operation_id);
    if (it != by_operation_.end()) {
      if (!it->second.empty() && it->second.front() == first_) it->second.erase(it->second.begin());
      if (it->second.empty()) by_operation_.erase(it);
    }
  }
  entries_.pop_front();
  ++first_;
}

bool MemoryAuditLog::Matches(const AuditQuery& query, const Stored& stored) const {
  if (!query.principal.empty() && stored.principal != query.principal) return false;
  if (!query.operation_id.empty() && stored.operation_id != query.operation_id) return false;
  if (query.action != v1::AUDIT_ACTION_UNSPECIFIED && stored.action != query.action) return false;
  if (query.start_time && stored.time < *query.start_time) return false;
  if (query.end_time && stored.time >= *query.end_time) return false;
  return true;
}

absl::Status MemoryAuditLog::AddIfMatchingLocked(const AuditQuery& query, uint64_t sequence,
                                                 std::vector<v1::AuditEntry>* out) {
  const Stored& stored = entries_[sequence - first_];
  if (!Matches(query, stored)) return absl::OkStatus();
  if (!out->emplace_back().ParseFromString(stored.bytes)) {
    return absl::InternalError("audit entry " + std::to_string(sequence) + " does not parse");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<v1::AuditEntry>> MemoryAuditLog::List(const AuditQuery& query) {
  core::MutexLock lock(&mu_);
  std::vector<v1::AuditEntry> out;
  if (!query.operation_id.empty()) {
    auto it = by_operation_.find(query.operation_id);
    if (it == by_operation_.end()) return out;
    for (uint64_t sequence : it->second) {
      if (static_cast<int>(out.size()) >= query.limit) break;
      if (sequence <= query.after_sequence) continue;
      if (absl::Status s = AddIfMatchingLocked(query, sequence, &out); !s.ok()) return s;
    }
    return out;
  }
  uint64_t sequence = std::max<uint64_t>(first_, query.after_sequence + 1);
  for (; sequence < first_ + entries_.size(); ++sequence) {
    if (static_cast<int>(out.size()) >= query.limit) break;
    if (absl::Status s = AddIfMatchingLocked(query, sequence, &out); !s.ok()) return s;
  }
  return out;
}

absl::StatusOr<uint64_t> MemoryAuditLog::LastFinishRevision() {
  core::MutexLock lock(&mu_);
  return last_finish_revision_;  // also of dropped entries: the recorder resumes after them
}

uint64_t MemoryAuditLog::DroppedThrough() {
  core::MutexLock lock(&mu_);
  return first_ - 1;
}

size_t MemoryAuditLog::size() {
  core::MutexLock lock(&mu_);
  return entries_.size();
}

size_t MemoryAuditLog::operations_indexed() {
  core::MutexLock lock(&mu_);
  return by_operation_.size();
}

}  // namespace gpop::audit
