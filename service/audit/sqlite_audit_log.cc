// The durable audit log (see sqlite_audit_log.h).

#include "service/audit/sqlite_audit_log.h"

#include <algorithm>
#include <chrono>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "service/core/operation.h"

namespace gpop::audit {
namespace {

int64_t Nanos(engine::Time time) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(time.time_since_epoch()).count();
}

constexpr char kInsert[] =
    "INSERT INTO audit (time_ns, principal, action, operation_id, revision, entry)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
constexpr char kFindStart[] =
    "SELECT entry FROM audit INDEXED BY audit_by_operation"
    " WHERE operation_id = ?1 AND action = ?2 ORDER BY sequence LIMIT 1";

}  // namespace

// A START entry waiting for the creation of its operation (see AuditLog::StartTicket).
class SqliteAuditLog::Ticket final : public StartTicket {
 public:
  Ticket(SqliteAuditLog* log, std::unique_ptr<Pending> pending)
      : log_(log), pending_(std::move(pending)) {}
  ~Ticket() override { log_->Withdraw(pending_.get()); }

  bool WrittenFor(const std::string& operation_id) override {
    core::MutexLock lock(&log_->mu_);
    return pending_->done && pending_->status.ok() && pending_->operation_id == operation_id;
  }

 private:
  SqliteAuditLog* const log_;
  const std::unique_ptr<Pending> pending_;
};

absl::StatusOr<std::unique_ptr<SqliteAuditLog>> SqliteAuditLog::Open(store::SqliteStore* store) {
  absl::StatusOr<std::unique_ptr<sqlite::Database>> reader =
      store::SqliteStore::OpenDatabase(store->path());
  if (!reader.ok()) return reader.status();
  std::unique_ptr<SqliteAuditLog> log(new SqliteAuditLog(store, *std::move(reader)));
  {
    core::MutexLock lock(&log->read_mu_);
    // Unset conditions are NULL parameters, which match everything. A condition on the
    // operation or the principal is an equality on an indexed column of its own statement:
    // `(?3 IS NULL OR operation_id = ?3)` cannot use an index, and scanned the whole table
    // (the audit recorder asks for an operation's START entry at every terminal event).
    constexpr char kConditions[] =
        " AND (?2 IS NULL OR principal = ?2) AND (?3 IS NULL OR operation_id = ?3)"
        " AND (?4 IS NULL OR action = ?4) AND (?5 IS NULL OR time_ns >= ?5)"
        " AND (?6 IS NULL OR time_ns < ?6) ORDER BY sequence LIMIT ?7";
    struct Item {
      sqlite::Statement* stmt;
      std::string sql;
    } items[] = {
        {&log->select_,
         std::string("SELECT sequence, entry FROM audit WHERE sequence > ?1") + kConditions},
        {&log->select_by_operation_,
         std::string("SELECT sequence, entry FROM audit INDEXED BY audit_by_operation"
                     " WHERE operation_id = ?3 AND sequence > ?1") +
             kConditions},
        {&log->select_by_principal_,
         std::string("SELECT sequence, entry FROM audit INDEXED BY audit_by_principal"
                     " WHERE principal = ?2 AND sequence > ?1") +
             kConditions},
    };
    for (Item& item : items) {
      absl::StatusOr<sqlite::Statement> select = log->reader_->Prepare(item.sql);
      if (!select.ok()) return select.status();
      *item.stmt = *std::move(select);
    }
  }
  store->SetCommitHook(log.get());
  return log;
}

SqliteAuditLog::~SqliteAuditLog() { store_->SetCommitHook(nullptr); }

absl::Status SqliteAuditLog::Append(v1::AuditEntry* entry) {
  entry->clear_sequence();
  Pending pending;
  pending.entry = entry;
  core::MutexLock lock(&mu_);
  appends_.push_back(&pending);
  AwaitCommit(&pending);
  if (!pending.status.ok()) entry->clear_sequence();
  return pending.status;
}

absl::Status SqliteAuditLog::AppendAll(std::vector<v1::AuditEntry>* entries) {
  std::vector<Pending> pending(entries->size());
  core::MutexLock lock(&mu_);
  for (size_t i = 0; i < entries->size(); ++i) {
    (*entries)[i].clear_sequence();
    pending[i].entry = &(*entries)[i];
    appends_.push_back(&pending[i]);
  }
  absl::Status first_error;
  for (size_t i = 0; i < pending.size(); ++i) {
    AwaitCommit(&pending[i]);
    if (!pending[i].status.ok()) {
      (*entries)[i].clear_sequence();
      if (first_error.ok()) first_error = pending[i].status;
    }
  }
  return first_error;
}

void SqliteAuditLog::AwaitCommit(Pending* pending) {
  while (!pending->done) {
    if (leading_) {
      committed_cv_.Wait(&mu_);
      continue;
    }
    // No commit of the log's own is under way: run one. An engine commit under way may take
    // the entry first; this one then carries whatever was appended meanwhile, or nothing.
    leading_ = true;
    mu_.Unlock();
    absl::Status status = store_->CommitHookRows();
    mu_.Lock();
    leading_ = false;
    committed_cv_.SignalAll();
    if (!pending->done) {
      // The transaction failed before it took the entry: the entry is not written.
      auto it = std::find(appends_.begin(), appends_.end(), pending);
      if (it != appends_.end()) appends_.erase(it);
      pending->done = true;
      pending->status =
          status.ok() ? absl::InternalError("the audit entry was not taken by a commit") : status;
    }
  }
}

std::unique_ptr<AuditLog::StartTicket> SqliteAuditLog::ExpectStart(const std::string& principal,
                                                                   const std::string& request_id,
                                                                   const std::string& fingerprint,
                                                                   StartBuilder build) {
  auto pending = std::make_unique<Pending>();
  pending->build = std::move(build);
  pending->key = Key(principal, request_id, fingerprint);
  core::MutexLock lock(&mu_);
  starts_[pending->key].push_back(pending.get());
  return std::make_unique<Ticket>(this, std::move(pending));
}

void SqliteAuditLog::Withdraw(Pending* ticket) {
  core::MutexLock lock(&mu_);
  auto it = starts_.find(ticket->key);
  if (it != starts_.end()) {
    std::deque<Pending*>& waiting = it->second;
    waiting.erase(std::remove(waiting.begin(), waiting.end(), ticket), waiting.end());
    if (waiting.empty()) starts_.erase(it);
  }
  // Taken by a transaction still under way (the creation of an identical request's
  // operation): that transaction uses the ticket until it ends.
  while (ticket->in_transaction && !ticket->done) committed_cv_.Wait(&mu_);
}

absl::Status SqliteAuditLog::Insert(sqlite::Database* db, v1::AuditEntry* entry) {
  entry->clear_sequence();
  std::string bytes;
  if (!entry->SerializeToString(&bytes)) {
    return absl::InternalError("an audit entry could not be serialized");
  }
  // Prepared once per connection (the store's writer), not in every transaction.
  absl::StatusOr<sqlite::Statement*> insert = db->Cached(kInsert);
  if (!insert.ok()) return insert.status();
  (*insert)
      ->Bind(1, Nanos(TimeOf(*entry)))
      .Bind(2, entry->principal())
      .Bind(3, static_cast<int64_t>(entry->action()))
      .Bind(4, entry->operation_id())
      .Bind(5, static_cast<int64_t>(entry->revision()))
      .BindBlob(6, bytes);
  if (absl::Status s = (*insert)->Run(); !s.ok()) return s;
  entry->set_sequence(static_cast<uint64_t>(db->LastInsertRowid()));
  return absl::OkStatus();
}

absl::Status SqliteAuditLog::Take(Pending* pending, v1::AuditEntry* entry, sqlite::Database* db) {
  pending->in_transaction = true;
  in_transaction_.push_back(pending);
  return Insert(db, entry);
}

absl::Status SqliteAuditLog::Write(const std::vector<engine::Store::Change>& batch,
                                   sqlite::Database* db) {
  core::MutexLock lock(&mu_);
  if (!starts_.empty() || finish_) {
    std::map<std::string, const v1::AuditEntry*> started_here;  // START entries of this batch
    for (const engine::Store::Change& change : batch) {
      if (!change.event) continue;
      if (finish_ && !finishes_from_) finishes_from_ = change.event->revision;
      if (change.event->sequence == 1 && !starts_.empty()) {  // a creation
        const engine::OperationRecord& record = change.record;
        auto it = starts_.find(Key(record.principal, record.request_id, record.fingerprint));
        if (it != starts_.end()) {
          Pending* ticket = it->second.front();
          it->second.pop_front();
          if (it->second.empty()) starts_.erase(it);
          ticket->built = ticket->build(record);
          ticket->operation_id = record.id;
          if (absl::Status s = Take(ticket, &ticket->built, db); !s.ok()) return s;
          started_here[record.id] = &ticket->built;
        }
      }
      if (finish_ && core::IsTerminal(change.event->state)) {
        if (absl::Status s = WriteFinish(change, started_here, db); !s.ok()) {
          return s;
        }
      }
    }
  }
  while (!appends_.empty()) {
    Pending* pending = appends_.front();
    appends_.pop_front();
    if (absl::Status s = Take(pending, pending->entry, db); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status SqliteAuditLog::WriteFinish(
    const engine::Store::Change& change,
    const std::map<std::string, const v1::AuditEntry*>& started_here, sqlite::Database* db) {
  const std::string& id = change.record.id;
  std::optional<v1::AuditEntry> stored_start;
  const v1::AuditEntry* start = nullptr;
  if (auto here = started_here.find(id); here != started_here.end()) {
    start = here->second;
  } else if (auto recent = recent_starts_.find(id); recent != recent_starts_.end()) {
    // Committed by this log earlier: the same bytes as the stored entry, without a read.
    stored_start = std::move(recent->second);
    recent_starts_.erase(recent);
    start = &*stored_start;
  } else {
    absl::StatusOr<sqlite::Statement*> find_start = db->Cached(kFindStart);
    if (!find_start.ok()) return find_start.status();
    sqlite::Statement& find = **find_start;
    find.BindView(1, id).Bind(2, static_cast<int64_t>(v1::AUDIT_ACTION_START));
    absl::StatusOr<bool> row = find.Step();
    if (row.ok() && *row) {
      stored_start.emplace();
      if (!stored_start->ParseFromString(find.ColumnText(0))) stored_start.reset();
    }
    find.Reset();
    if (!row.ok()) return row.status();
    if (stored_start) start = &*stored_start;
  }
  v1::AuditEntry finish = finish_(*change.event, change.record, start);
  return Insert(db, &finish);
}

bool SqliteAuditLog::WriteFinishesInCommits(FinishBuilder build) {
  core::MutexLock lock(&mu_);
  finish_ = std::move(build);
  return true;
}

std::optional<uint64_t> SqliteAuditLog::FinishesWrittenFrom() {
  core::MutexLock lock(&mu_);
  return finishes_from_;
}

void SqliteAuditLog::Committed(const absl::Status& status) {
  core::MutexLock lock(&mu_);
  if (in_transaction_.empty()) return;
  for (Pending* pending : in_transaction_) {
    if (status.ok() && pending->build && finish_) {  // a START entry: kept for its FINISH
      v1::AuditEntry& kept = recent_starts_[pending->operation_id] = pending->built;
      kept.clear_sequence();  // as stored (Insert)
      recent_order_.push_back(pending->operation_id);
      if (recent_order_.size() > kRecentStarts) {
        recent_starts_.erase(recent_order_.front());
        recent_order_.pop_front();
      }
    }
    pending->in_transaction = false;
    pending->done = true;
    pending->status = status;
  }
  in_transaction_.clear();
  committed_cv_.SignalAll();
}
absl::StatusOr<std::vector<v1::AuditEntry>> SqliteAuditLog::List(const AuditQuery& query) {
  core::MutexLock lock(&read_mu_);
  sqlite::Statement& select = !query.operation_id.empty() ? select_by_operation_
                              : !query.principal.empty()  ? select_by_principal_
                                                          : select_;
  select.Bind(1, static_cast<int64_t>(std::min<uint64_t>(query.after_sequence,
                                                         std::numeric_limits<int64_t>::max())));
  if (query.principal.empty())
    select.BindNull(2);
  else
    select.Bind(2, query.principal);
  if (query.operation_id.empty())
    select.BindNull(3);
  else
    select.Bind(3, query.operation_id);
  if (query.action == v1::AUDIT_ACTION_UNSPECIFIED) {
    select.BindNull(4);
  } else {
    select.Bind(4, static_cast<int64_t>(query.action));
  }
  if (query.start_time)
    select.Bind(5, Nanos(*query.start_time));
  else
    select.BindNull(5);
  if (query.end_time)
    select.Bind(6, Nanos(*query.end_time));
  else
    select.BindNull(6);
  select.Bind(7, static_cast<int64_t>(query.limit));
  std::vector<v1::AuditEntry> out;
  for (;;) {
    absl::StatusOr<bool> row = select.Step();
    if (!row.ok()) {
      select.Reset();
      return row.status();
    }
    if (!*row) break;
    v1::AuditEntry entry;
    if (!entry.ParseFromString(select.ColumnText(1))) {
      select.Reset();
      return absl::DataLossError("audit entry " + std::to_string(select.ColumnInt(0)) + " in " +
                                 reader_->path() + " does not parse");
    }
    entry.set_sequence(static_cast<uint64_t>(select.ColumnInt(0)));
    out.push_back(std::move(entry));
  }
  select.Reset();
  return out;
}

int64_t SqliteAuditLog::ListSteps() {
  core::MutexLock lock(&read_mu_);
  return select_.VmSteps() + select_by_operation_.VmSteps() + select_by_principal_.VmSteps();
}

absl::StatusOr<uint64_t> SqliteAuditLog::LastFinishRevision() {
  core::MutexLock lock(&read_mu_);
  absl::StatusOr<int64_t> revision =
      reader_->QueryInt("SELECT coalesce(max(revision), 0) FROM audit WHERE action = " +
                        std::to_string(static_cast<int>(v1::AUDIT_ACTION_FINISH)));
  if (!revision.ok()) return revision.status();
  return static_cast<uint64_t>(*revision);
}

}  // namespace gpop::audit
