// An audit log in memory: for tests and for gpopd with --operation_store=memory (nothing
// survives the process). It keeps the newest `max_entries` entries: past that, the oldest are
// dropped (their sequences are never reused) and readers are told how far (DroppedThrough; the
// API's ListAuditEntriesResponse.dropped_through_sequence), so that its memory stays flat
// however many operations a throwaway server runs.

#ifndef GPOP_SERVICE_AUDIT_MEMORY_AUDIT_LOG_H_
#define GPOP_SERVICE_AUDIT_MEMORY_AUDIT_LOG_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <unordered_map>
#include <vector>

#include "service/audit/audit_log.h"
#include "service/core/mutex.h"

namespace gpop::audit {

// MemoryAuditLog
//
// Thread-safe. Entries are held serialized (about a fifth of a parsed AuditEntry's memory),
// with the fields queries select by beside them.
class MemoryAuditLog final : public AuditLog {
 public:
  // What gpopd keeps per retained operation by default (--audit_memory_entries): its START
  // and FINISH entries and a few CANCEL or DELETE ones.
  static constexpr size_t kEntriesPerRetainedOperation = 4;

  // `max_entries` >= 1 (0 is taken as 1).
  explicit MemoryAuditLog(size_t max_entries = 100000);

  absl::Status Append(v1::AuditEntry* entry) override GPOP_EXCLUDES(mu_);
  absl::StatusOr<std::vector<v1::AuditEntry>> List(const AuditQuery& query) override
      GPOP_EXCLUDES(mu_);
  absl::StatusOr<uint64_t> LastFinishRevision() override GPOP_EXCLUDES(mu_);
  uint64_t DroppedThrough() override GPOP_EXCLUDES(mu_);

  // Entries held, and operations with held entries (tests).
  size_t size() GPOP_EXCLUDES(mu_);
  size_t operations_indexed() GPOP_EXCLUDES(mu_);

 private:
  struct Stored {
    std::string principal;
    std::string operation_id;
    v1::AuditAction action;
    engine::Time time;
    std::string bytes;  // the whole entry, serialized
  };
  bool Matches(const AuditQuery& query, const Stored& stored) const;
  void DropOldestLocked() GPOP_REQUIRES(mu_);
  // Appends entry `sequence` (held) to `out` when it matches `query`.
  absl::Status AddIfMatchingLocked(const AuditQuery& query, uint64_t sequence,
                                   std::vector<v1::AuditEntry>* out) GPOP_REQUIRES(mu_);

  const size_t max_entries_;
  core::Mutex mu_;
  std::deque<Stored> entries_ GPOP_GUARDED_BY(mu_);  // sequence first_ + i at index i
  uint64_t first_ GPOP_GUARDED_BY(mu_) = 1;
  uint64_t last_finish_revision_ GPOP_GUARDED_BY(mu_) = 0;
  // The sequences of each operation's held entries, in order: a query by operation
  // (StartOperation asks whether a retried request_id's operation has its START entry) reads
  // those only. Dropping an entry drops the front of its operation's list (a few entries: a
  // vector, since a deque allocates a 512-byte block each).
  std::unordered_map<std::string, std::vector<uint64_t>> by_operation_ GPOP_GUARDED_BY(mu_);
};

}  // namespace gpop::audit

#endif  // GPOP_SERVICE_AUDIT_MEMORY_AUDIT_LOG_H_
