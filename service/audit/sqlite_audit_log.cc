// The durable audit log (see sqlite_audit_log.h).

#include "service/audit/sqlite_audit_log.h"

#include <chrono>
#include <limits>
#include <utility>

#include "service/store/sqlite_store.h"

namespace gpop::audit {
namespace {

int64_t Nanos(engine::Time time) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(time.time_since_epoch()).count();
}

}  // namespace

absl::StatusOr<std::unique_ptr<SqliteAuditLog>> SqliteAuditLog::Open(const std::string& path) {
  absl::StatusOr<std::unique_ptr<sqlite::Database>> db = store::SqliteStore::OpenDatabase(path);
  if (!db.ok()) return db.status();
  std::unique_ptr<SqliteAuditLog> log(new SqliteAuditLog(*std::move(db)));
  core::MutexLock lock(&log->mu_);
  absl::StatusOr<sqlite::Statement> insert = log->db_->Prepare(
      "INSERT INTO audit (time_ns, principal, action, operation_id, revision, entry)"
      " VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  if (!insert.ok()) return insert.status();
  log->insert_ = *std::move(insert);
  // Unset conditions are NULL parameters, which match everything.
  absl::StatusOr<sqlite::Statement> select = log->db_->Prepare(
      "SELECT sequence, entry FROM audit WHERE sequence > ?1"
      " AND (?2 IS NULL OR principal = ?2) AND (?3 IS NULL OR operation_id = ?3)"
      " AND (?4 IS NULL OR action = ?4) AND (?5 IS NULL OR time_ns >= ?5)"
      " AND (?6 IS NULL OR time_ns < ?6) ORDER BY sequence LIMIT ?7");
  if (!select.ok()) return select.status();
  log->select_ = *std::move(select);
  return log;
}

absl::Status SqliteAuditLog::Append(v1::AuditEntry* entry) {
  core::MutexLock lock(&mu_);
  entry->clear_sequence();
  std::string bytes;
  if (!entry->SerializeToString(&bytes)) {
    return absl::InternalError("an audit entry could not be serialized");
  }
  absl::StatusOr<sqlite::Transaction> txn = sqlite::Transaction::Begin(db_.get());
  if (!txn.ok()) return txn.status();
  insert_.Bind(1, Nanos(TimeOf(*entry)))
      .Bind(2, entry->principal())
      .Bind(3, static_cast<int64_t>(entry->action()))
      .Bind(4, entry->operation_id())
      .Bind(5, static_cast<int64_t>(entry->revision()))
      .BindBlob(6, bytes);
  if (absl::Status s = insert_.Run(); !s.ok()) return s;
  absl::StatusOr<int64_t> sequence = db_->QueryInt("SELECT last_insert_rowid()");
  if (!sequence.ok()) return sequence.status();
  if (absl::Status s = txn->Commit(); !s.ok()) return s;
  entry->set_sequence(static_cast<uint64_t>(*sequence));
  return absl::OkStatus();
}

absl::StatusOr<std::vector<v1::AuditEntry>> SqliteAuditLog::List(const AuditQuery& query) {
  core::MutexLock lock(&mu_);
  select_.Bind(1, static_cast<int64_t>(std::min<uint64_t>(query.after_sequence,
                                                          std::numeric_limits<int64_t>::max())));
  if (query.principal.empty())
    select_.BindNull(2);
  else
    select_.Bind(2, query.principal);
  if (query.operation_id.empty())
    select_.BindNull(3);
  else
    select_.Bind(3, query.operation_id);
  if (query.action == v1::AUDIT_ACTION_UNSPECIFIED) {
    select_.BindNull(4);
  } else {
    select_.Bind(4, static_cast<int64_t>(query.action));
  }
  if (query.start_time)
    select_.Bind(5, Nanos(*query.start_time));
  else
    select_.BindNull(5);
  if (query.end_time)
    select_.Bind(6, Nanos(*query.end_time));
  else
    select_.BindNull(6);
  select_.Bind(7, static_cast<int64_t>(query.limit));
  std::vector<v1::AuditEntry> out;
  for (;;) {
    absl::StatusOr<bool> row = select_.Step();
    if (!row.ok()) {
      select_.Reset();
      return row.status();
    }
    if (!*row) break;
    v1::AuditEntry entry;
    if (!entry.ParseFromString(select_.ColumnText(1))) {
      select_.Reset();
      return absl::DataLossError("audit entry " + std::to_string(select_.ColumnInt(0)) + " in " +
                                 db_->path() + " does not parse");
    }
    entry.set_sequence(static_cast<uint64_t>(select_.ColumnInt(0)));
    out.push_back(std::move(entry));
  }
  select_.Reset();
  return out;
}

absl::StatusOr<uint64_t> SqliteAuditLog::LastFinishRevision() {
  core::MutexLock lock(&mu_);
  absl::StatusOr<int64_t> revision =
      db_->QueryInt("SELECT coalesce(max(revision), 0) FROM audit WHERE action = " +
                    std::to_string(static_cast<int>(v1::AUDIT_ACTION_FINISH)));
  if (!revision.ok()) return revision.status();
  return static_cast<uint64_t>(*revision);
}

}  // namespace gpop::audit
