// An audit log in memory: for tests and for gpopd with --operation_store=memory (nothing
// survives the process).

#ifndef GPOP_SERVICE_AUDIT_MEMORY_AUDIT_LOG_H_
#define GPOP_SERVICE_AUDIT_MEMORY_AUDIT_LOG_H_

#include <map>
#include <string>
#include <vector>

#include "service/audit/audit_log.h"
#include "service/core/mutex.h"

namespace gpop::audit {

// MemoryAuditLog
//
// Thread-safe.
class MemoryAuditLog final : public AuditLog {
 public:
  absl::Status Append(v1::AuditEntry* entry) override GPOP_EXCLUDES(mu_);
  absl::StatusOr<std::vector<v1::AuditEntry>> List(const AuditQuery& query) override
      GPOP_EXCLUDES(mu_);
  absl::StatusOr<uint64_t> LastFinishRevision() override GPOP_EXCLUDES(mu_);

 private:
  core::Mutex mu_;
  std::vector<v1::AuditEntry> entries_ GPOP_GUARDED_BY(mu_);  // sequence i + 1 at index i
  // The indexes of each operation's entries, in order: a query by operation (StartOperation
  // asks whether a retried request_id's operation has its START entry) reads those only.
  std::map<std::string, std::vector<size_t>> by_operation_ GPOP_GUARDED_BY(mu_);
};

}  // namespace gpop::audit

#endif  // GPOP_SERVICE_AUDIT_MEMORY_AUDIT_LOG_H_
