// The durable audit log: the `audit` table of the operation store's file (operations.db), on a
// connection of its own (WAL, synchronous=FULL). The table refuses UPDATE and DELETE (triggers),
// so that the log stays append-only whatever writes the file; retention of operations never
// touches it.

#ifndef GPOP_SERVICE_AUDIT_SQLITE_AUDIT_LOG_H_
#define GPOP_SERVICE_AUDIT_SQLITE_AUDIT_LOG_H_

#include <memory>
#include <string>
#include <vector>

#include "service/audit/audit_log.h"
#include "service/core/mutex.h"
#include "service/sqlite/database.h"

namespace gpop::audit {

// SqliteAuditLog
//
// Thread-safe (one connection under a mutex). Each Append is one transaction (one fsync).
class SqliteAuditLog final : public AuditLog {
 public:
  // Opens the audit table of the operation store at `path`, which store::SqliteStore::Open must
  // have opened (and so migrated) first. Errors name the file.
  static absl::StatusOr<std::unique_ptr<SqliteAuditLog>> Open(const std::string& path);

  absl::Status Append(v1::AuditEntry* entry) override GPOP_EXCLUDES(mu_);
  absl::StatusOr<std::vector<v1::AuditEntry>> List(const AuditQuery& query) override
      GPOP_EXCLUDES(mu_);
  absl::StatusOr<uint64_t> LastFinishRevision() override GPOP_EXCLUDES(mu_);

 private:
  explicit SqliteAuditLog(std::unique_ptr<sqlite::Database> db) : db_(std::move(db)) {}

  core::Mutex mu_;
  std::unique_ptr<sqlite::Database> db_ GPOP_GUARDED_BY(mu_);
  sqlite::Statement insert_ GPOP_GUARDED_BY(mu_);
  sqlite::Statement select_ GPOP_GUARDED_BY(mu_);
};

}  // namespace gpop::audit

#endif  // GPOP_SERVICE_AUDIT_SQLITE_AUDIT_LOG_H_
