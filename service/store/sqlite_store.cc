#include "service/store/sqlite_store.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "service/store/page.h"
#include "service/store/record_codec.h"

namespace gpop::store {

namespace {

constexpr int32_t kApplicationId = 0x67706f70;  // "gpop"

// Forward migrations: entry i takes user_version i to i + 1. Never edit one that has shipped;
// append a new one.
const sqlite::Schema& StoreSchema() {
  static const sqlite::Schema* schema = new sqlite::Schema{
      "gpop operation store",
      kApplicationId,
      {
          // 1: operations, events, expired ids, counters.
          "CREATE TABLE operations (id TEXT PRIMARY KEY, record BLOB NOT NULL) WITHOUT ROWID;"
          "CREATE TABLE events (revision INTEGER PRIMARY KEY, operation_id TEXT NOT NULL,"
          " sequence INTEGER NOT NULL, event BLOB NOT NULL);"
          "CREATE UNIQUE INDEX events_by_operation ON events (operation_id, sequence);"
          "CREATE TABLE expired (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE);"
          "CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;"
          "INSERT INTO counters VALUES ('revision', 0);",
          // 2: large results (report content) stored once, outside records and events.
          "CREATE TABLE results (operation_id TEXT PRIMARY KEY, content BLOB NOT NULL);",
          // 3: the audit log (service/audit/sqlite_audit_log.h), append-only: rows can be
          // neither changed nor removed.
          "CREATE TABLE audit (sequence INTEGER PRIMARY KEY AUTOINCREMENT,"
          " time_ns INTEGER NOT NULL, principal TEXT NOT NULL, action INTEGER NOT NULL,"
          " operation_id TEXT NOT NULL, revision INTEGER NOT NULL, entry BLOB NOT NULL);"
          "CREATE INDEX audit_by_operation ON audit (operation_id, sequence);"
          "CREATE INDEX audit_by_principal ON audit (principal, sequence);"
          "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit"
          " BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;"
          "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit"
          " BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;",
          // 4: operation keys, so that finished operations are read by key instead of loaded
          // at start-up: creation order (the revision of the first change: listing), request
          // ids (idempotency), end time (NULL while unfinished: recovery loads those records
          // only). Rows of records written before this table are filled in by BackfillKeys.
          "CREATE TABLE operation_keys (id TEXT PRIMARY KEY, create_revision INTEGER NOT NULL,"
          " principal TEXT NOT NULL, request_id TEXT NOT NULL, end_ns INTEGER) WITHOUT ROWID;"
          "CREATE UNIQUE INDEX operation_keys_by_creation ON operation_keys (create_revision);"
          "CREATE INDEX operation_keys_by_request ON operation_keys (principal, request_id)"
          " WHERE request_id <> '';"
          "CREATE INDEX operation_keys_unfinished ON operation_keys (id) WHERE end_ns IS NULL;",
          // 5: why each removed id was removed: 0 retention (OPERATION_EXPIRED), 1 LRO
          // DeleteOperation (OPERATION_DELETED). Ids removed before this version were all
          // counted as expired and stay so.
          "ALTER TABLE expired ADD COLUMN deleted INTEGER NOT NULL DEFAULT 0;",
          // 6: fewer B-tree pages per commit. The unfinished-keys index goes: only recovery's
          // Load asked it, and Load reads every key row anyway (the finished ids). The
          // revision counter is no longer raised by every commit, only before a Delete removes
          // events (Load takes the larger of it and the newest event's revision).
          "DROP INDEX operation_keys_unfinished;",
          // 7: start-up reads by index, not by scans. FINISH entries of the audit log indexed
          // by revision (where the audit recorder resumes: LastFinishRevision). Its
          // transaction also fills operation_keys for the records written before schema 4
          // (after_migration: SqliteStore::BackfillKeys), once: opens of a version-7 file no
          // longer scan the records for keys they lack.
          "CREATE INDEX audit_finish_by_revision ON audit (revision) WHERE action = 4;",
      },
      /*legacy_tables=*/{},
      /*after_migration=*/
      [](sqlite::Database* db, int64_t version) {
        return version == 7 ? SqliteStore::BackfillKeys(db) : absl::OkStatus();
      }};
  return *schema;
}

// An SQL identifier (quote '"') or string literal (quote '\'').
std::string Quoted(const std::string& name, char quote = '"') {
  std::string out(1, quote);
  for (char c : name) {
    if (c == quote) out += quote;
    out += c;
  }
  return out + quote;
}

// The check at open, instead of PRAGMA quick_check (which reads every page of the file: 3.7 s
// of a 7.5 s start-up at 100,000 operations): the first and last entry of every table and
// index, read through its root page, so that a damaged root, a damaged leftmost or rightmost
// path, or a schema naming a page that is not its tree's, is DATA_LOSS at start-up, whatever
// the size of the file. Pages in the middle of a tree are read when a query needs them; a
// damaged one is then SQLITE_CORRUPT, DATA_LOSS of that call (README.md).
absl::Status ProbeTrees(sqlite::Database* db) {
  struct Tree {
    std::string type, name, table, sql;
  };
  std::vector<Tree> trees;
  {
    absl::StatusOr<sqlite::Statement> stmt = db->Prepare(
        "SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_master"
        " WHERE type IN ('table', 'index') AND rootpage > 0");
    if (!stmt.ok()) return stmt.status();
    for (;;) {
      absl::StatusOr<bool> row = stmt->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      trees.push_back(
          {stmt->ColumnText(0), stmt->ColumnText(1), stmt->ColumnText(2), stmt->ColumnText(3)});
    }
  }
  for (const Tree& tree : trees) {
    // The tree's leading key: rowid, a WITHOUT ROWID table's first primary key column, or an
    // index's first column (with a partial index's WHERE, so that the index is usable).
    std::string key = "rowid", from = Quoted(tree.table), where;
    if (tree.type == "index") {
      absl::StatusOr<std::string> column = db->QueryText(
          "SELECT name FROM pragma_index_info(" + Quoted(tree.name, '\'') + ") WHERE seqno = 0");
      if (!column.ok()) return column.status();
      if (column->empty()) continue;  // an index on an expression: not probed
      key = Quoted(*column);
      from += " INDEXED BY " + Quoted(tree.name);
      if (size_t w = tree.sql.rfind(" WHERE "); w != std::string::npos) {
        where = tree.sql.substr(w);
      }
    } else if (tree.sql.find("WITHOUT ROWID") != std::string::npos) {
      absl::StatusOr<std::string> column = db->QueryText(
          "SELECT name FROM pragma_table_info(" + Quoted(tree.table, '\'') + ") WHERE pk = 1");
      if (!column.ok()) return column.status();
      key = Quoted(*column);
    }
    for (const char* end : {"min", "max"}) {
      absl::StatusOr<std::string> probe =
          db->QueryText(absl::StrCat("SELECT typeof(", end, "(", key, ")) FROM ", from, where));
      if (!probe.ok()) {
        return absl::Status(probe.status().code(), absl::StrCat(tree.type, " ", tree.name, ": ",
                                                                probe.status().message()));
      }
    }
  }
  return absl::OkStatus();
}

int64_t ClampToInt64(uint64_t v) {
  return v > static_cast<uint64_t>(INT64_MAX) ? INT64_MAX : static_cast<int64_t>(v);
}

// Free pages are returned to the file system after this many deletes (incremental vacuum).
constexpr int kVacuumEveryDeletes = 64;

}  // namespace

absl::StatusOr<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::string& path,
                                                               const SqliteStoreOptions& options) {
  sqlite::OpenOptions open;
  open.vfs = options.vfs;
  // Header, application_id, user_version and schema are checked by Database::Open; the pages
  // by ProbeTrees (not PRAGMA quick_check, whose cost grows with the file).
  open.check_integrity = false;
  absl::StatusOr<std::unique_ptr<sqlite::Database>> db =
      sqlite::Database::Open(path, StoreSchema(), open);
  if (!db.ok()) return db.status();
  if (absl::Status s = ProbeTrees(db->get()); !s.ok()) {
    return absl::DataLossError(absl::StrCat(path, ": damaged: ", s.message(),
                                            "; move it away or restore it from a backup"));
  }
  if (options.max_page_count > 0) {
    absl::Status s = (*db)->Exec(absl::StrCat("PRAGMA max_page_count=", options.max_page_count));
    if (!s.ok()) return s;
  }
  // The reading connection opens the file the writer has just checked and migrated.
  sqlite::OpenOptions read = open;
  read.create = false;
  read.check_integrity = false;
  absl::StatusOr<std::unique_ptr<sqlite::Database>> reader =
      sqlite::Database::Open(path, StoreSchema(), read);
  if (!reader.ok()) return reader.status();
  std::unique_ptr<SqliteStore> store(new SqliteStore(std::move(*db), std::move(*reader), options));
  {
    core::MutexLock lock(&store->mu_);
    if (absl::Status s = store->Prepare(); !s.ok()) return s;
  }
  {
    core::MutexLock lock(&store->read_mu_);
    if (absl::Status s = store->PrepareReads(); !s.ok()) return s;
  }
  core::MutexLock lock(&store->mu_);
  absl::StatusOr<std::unique_ptr<sqlite::Checkpointer>> checkpointer =
      sqlite::Checkpointer::Start(store->db_.get(), StoreSchema(), read, options.checkpoint_pages);
  if (!checkpointer.ok()) return checkpointer.status();
  store->checkpointer_ = *std::move(checkpointer);
  return store;
}

SqliteStore::SqliteStore(std::unique_ptr<sqlite::Database> db,
                         std::unique_ptr<sqlite::Database> reader, SqliteStoreOptions options)
    : options_(std::move(options)),
      path_(db->path()),
      db_(std::move(db)),
      reader_(std::move(reader)) {}

absl::StatusOr<std::unique_ptr<sqlite::Database>> SqliteStore::OpenDatabase(
    const std::string& path) {
  sqlite::OpenOptions open;
  open.create = false;
  open.check_integrity = false;  // Open checked it
  return sqlite::Database::Open(path, StoreSchema(), open);
}

int SqliteStore::SchemaVersion() { return static_cast<int>(StoreSchema().migrations.size()); }

absl::Status SqliteStore::Prepare() {
  struct Item {
    sqlite::Statement* stmt;
    const char* sql;
  } items[] = {
      {&put_operation_, "INSERT OR REPLACE INTO operations (id, record) VALUES (?1, ?2)"},
      {&put_event_,
       "INSERT INTO events (revision, operation_id, sequence, event) VALUES (?1, ?2, ?3, ?4)"},
      {&keep_revision_,
       "UPDATE counters SET value = max(value, (SELECT coalesce(max(revision), 0) FROM events))"
       " WHERE name = 'revision'"},
      {&delete_operation_, "DELETE FROM operations WHERE id = ?1"},
      {&delete_events_, "DELETE FROM events WHERE operation_id = ?1"},
      {&put_expired_, "INSERT OR IGNORE INTO expired (id, deleted) VALUES (?1, ?2)"},
      {&trim_expired_, "DELETE FROM expired WHERE seq <= (SELECT max(seq) FROM expired) - ?1"},
      {&put_result_, "INSERT OR REPLACE INTO results (operation_id, content) VALUES (?1, ?2)"},
      {&delete_result_, "DELETE FROM results WHERE operation_id = ?1"},
      // One statement whether the key is new or the operation finished: an existing key keeps
      // its creation order and request id, and takes the end time once it has one.
      {&put_key_,
       "INSERT INTO operation_keys (id, create_revision, principal, request_id, end_ns)"
       " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (id) DO UPDATE SET end_ns = excluded.end_ns"
       " WHERE excluded.end_ns IS NOT NULL ON CONFLICT DO NOTHING"},
      {&delete_key_, "DELETE FROM operation_keys WHERE id = ?1"},
  };
  for (Item& item : items) {
    absl::StatusOr<sqlite::Statement> stmt = db_->Prepare(item.sql);
    if (!stmt.ok()) return stmt.status();
    *item.stmt = std::move(*stmt);
  }
  return absl::OkStatus();
}

absl::Status SqliteStore::PrepareReads() {
  struct Item {
    sqlite::Statement* stmt;
    const char* sql;
  } items[] = {
      {&read_events_,
       "SELECT event, length(event) FROM events WHERE operation_id = ?1 AND sequence > ?2"
       " ORDER BY sequence LIMIT ?3"},
      {&read_revisions_,
       "SELECT event, length(event) FROM events WHERE revision > ?1 ORDER BY revision LIMIT ?2"},
      {&read_result_, "SELECT content FROM results WHERE operation_id = ?1"},
      {&read_operation_, "SELECT record FROM operations WHERE id = ?1"},
      {&find_request_,
       "SELECT o.record FROM operation_keys k JOIN operations o ON o.id = k.id"
       " WHERE k.principal = ?1 AND k.request_id = ?2 AND k.request_id <> ''"},
      {&removal_of_, "SELECT deleted FROM expired WHERE id = ?1"},
      {&list_operations_,
       "SELECT o.record, k.create_revision FROM operation_keys k JOIN operations o"
       " ON o.id = k.id WHERE k.create_revision < ?1 ORDER BY k.create_revision DESC LIMIT ?2"},
  };
  for (Item& item : items) {
    absl::StatusOr<sqlite::Statement> stmt = reader_->Prepare(item.sql);
    if (!stmt.ok()) return stmt.status();
    *item.stmt = std::move(*stmt);
  }
  return absl::OkStatus();
}

absl::Status SqliteStore::Commit(const std::vector<Change>& batch) {
  core::MutexLock lock(&mu_);
  return CommitLocked(batch);
}

absl::Status SqliteStore::CommitHookRows() {
  core::MutexLock lock(&mu_);
  if (hook_ == nullptr) return absl::OkStatus();
  return CommitLocked({});
}

void SqliteStore::SetCommitHook(CommitHook* hook) {
  core::MutexLock lock(&mu_);
  hook_ = hook;
}

absl::Status SqliteStore::CommitLocked(const std::vector<Change>& batch) {
  absl::Status status = TransactionLocked(batch);
  if (hook_ != nullptr) hook_->Committed(status);
  return status;
}

absl::Status SqliteStore::TransactionLocked(const std::vector<Change>& batch) {
  absl::StatusOr<sqlite::Transaction> tx = sqlite::Transaction::Begin(db_.get());
  if (!tx.ok()) return tx.status();
  if (absl::Status s = WriteBatch(batch); !s.ok()) return s;  // rolled back by ~Transaction
  if (hook_ != nullptr) {
    if (absl::Status s = hook_->Write(batch, db_.get()); !s.ok()) return s;
  }
  return tx->Commit();
}

absl::Status SqliteStore::WriteBatch(const std::vector<Change>& batch) {
  // A batch often changes one operation several times: write its last record only.
  std::vector<size_t> last;
  {
    std::map<std::string_view, size_t> index;
    for (size_t i = 0; i < batch.size(); ++i) index[batch[i].record.id] = i;
    for (const auto& [id, i] : index) last.push_back(i);
  }
  // Bound without copies (BindView): each value outlives the Run that uses it.
  for (const Change& change : batch) {
    if (!change.event) continue;
    const engine::Event& ev = *change.event;
    const std::string bytes = EncodeEvent(ev);
    absl::Status s = put_event_.Bind(1, static_cast<int64_t>(ev.revision))
                         .BindView(2, ev.operation_id)
                         .Bind(3, static_cast<int64_t>(ev.sequence))
                         .BindBlobView(4, bytes)
                         .Run();
    if (!s.ok()) return s;
  }
  for (const Change& change : batch) {
    if (!change.result_content) continue;
    absl::Status s =
        put_result_.BindView(1, change.record.id).BindBlobView(2, *change.result_content).Run();
    if (!s.ok()) return s;
  }
  for (size_t i : last) {
    const engine::OperationRecord& rec = batch[i].record;
    const std::string bytes = EncodeRecord(rec);
    absl::Status s = put_operation_.BindView(1, rec.id).BindBlobView(2, bytes).Run();
    if (!s.ok()) return s;
  }
  // The highest revision is the newest event's (revisions number events): the counter is
  // raised only when events are removed (Delete), not by each commit.
  return WriteKeys(batch, last);
}

absl::Status SqliteStore::Delete(const std::string& operation_id, engine::Removal why) {
  size_t removed = 0;
  return DeleteAll({operation_id}, why, &removed);
}

absl::Status SqliteStore::DeleteAll(const std::vector<std::string>& operation_ids,
                                    engine::Removal why, size_t* removed) {
  *removed = 0;
  if (operation_ids.empty()) return absl::OkStatus();
  core::MutexLock lock(&mu_);
  {
    absl::StatusOr<sqlite::Transaction> tx = sqlite::Transaction::Begin(db_.get());
    if (!tx.ok()) return tx.status();
    // First the counter keeps the highest revision, which may be among the events removed.
    if (absl::Status s = keep_revision_.Run(); !s.ok()) return s;
    for (const std::string& operation_id : operation_ids) {
      for (sqlite::Statement* stmt :
           {&delete_events_, &delete_result_, &delete_operation_, &delete_key_}) {
        if (absl::Status s = stmt->Bind(1, operation_id).Run(); !s.ok()) return s;
      }
      absl::Status put = put_expired_.Bind(1, operation_id)
                             .Bind(2, int64_t{why == engine::Removal::kDeleted ? 1 : 0})
                             .Run();
      if (!put.ok()) return put;
    }
    absl::Status s = trim_expired_.Bind(1, static_cast<int64_t>(options_.expired_ids_kept)).Run();
    if (!s.ok()) return s;
    if (absl::Status c = tx->Commit(); !c.ok()) return c;
  }
  *removed = operation_ids.size();
  deletes_since_vacuum_ += static_cast<int>(operation_ids.size());
  if (deletes_since_vacuum_ >= kVacuumEveryDeletes) {
    deletes_since_vacuum_ = 0;
    // Best effort: a failed vacuum leaves free pages for later inserts to reuse.
    (void)db_->Exec("PRAGMA incremental_vacuum");
  }
  return absl::OkStatus();
}

absl::StatusOr<engine::Store::Snapshot> SqliteStore::Load(const LoadOptions& options) {
  core::MutexLock lock(&mu_);
  Snapshot snap;
  if (options.history) {
    absl::StatusOr<sqlite::Statement> stmt = db_->Prepare("SELECT record FROM operations");
    if (!stmt.ok()) return stmt.status();
    absl::StatusOr<std::vector<engine::OperationRecord>> records = ReadRecords(&*stmt);
    if (!records.ok()) return records.status();
    snap.operations = std::move(*records);
  } else {
    // One pass over the keys in their own order (neither a second pass nor a sort in SQL): the
    // unfinished ids, whose records are then read by id in creation order, and the finished
    // ones with their end, sorted here in retention's order (end, id).
    std::vector<std::pair<int64_t, std::string>> unfinished;  // create_revision, id
    {
      absl::StatusOr<sqlite::Statement> stmt =
          db_->Prepare("SELECT id, create_revision, end_ns FROM operation_keys");
      if (!stmt.ok()) return stmt.status();
      for (;;) {
        absl::StatusOr<bool> row = stmt->Step();
        if (!row.ok()) return row.status();
        if (!*row) break;
        if (stmt->ColumnIsNull(2)) {
          unfinished.emplace_back(stmt->ColumnInt(1), stmt->ColumnText(0));
          continue;
        }
        snap.finished.push_back(
            {stmt->ColumnText(0), engine::Time(std::chrono::duration_cast<engine::Time::duration>(
                                      std::chrono::nanoseconds(stmt->ColumnInt(2))))});
      }
    }
    std::sort(snap.finished.begin(), snap.finished.end(),
              [](const FinishedRef& a, const FinishedRef& b) {
                return a.end_time < b.end_time || (a.end_time == b.end_time && a.id < b.id);
              });
    std::sort(unfinished.begin(), unfinished.end());
    absl::StatusOr<sqlite::Statement> stmt =
        db_->Prepare("SELECT record FROM operations WHERE id = ?1");
    if (!stmt.ok()) return stmt.status();
    for (const auto& [create_revision, id] : unfinished) {
      stmt->Bind(1, id);
      absl::StatusOr<std::vector<engine::OperationRecord>> records = ReadRecords(&*stmt);
      if (!records.ok()) return records.status();
      for (engine::OperationRecord& rec : *records) snap.operations.push_back(std::move(rec));
    }
  }
  {
    absl::StatusOr<sqlite::Statement> stmt = db_->Prepare(
        "SELECT event FROM (SELECT revision, event FROM events ORDER BY revision DESC LIMIT ?1)"
        " ORDER BY revision");
    if (!stmt.ok()) return stmt.status();
    stmt->Bind(1, ClampToInt64(options.max_events));
    for (;;) {
      absl::StatusOr<bool> row = stmt->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      absl::StatusOr<engine::Event> ev = DecodeEvent(stmt->ColumnText(0));
      if (!ev.ok()) return ev.status();
      snap.events.push_back(std::move(*ev));
    }
  }
  if (options.history) {
    absl::StatusOr<sqlite::Statement> stmt =
        db_->Prepare("SELECT id, deleted FROM expired ORDER BY seq");
    if (!stmt.ok()) return stmt.status();
    for (;;) {
      absl::StatusOr<bool> row = stmt->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      (stmt->ColumnInt(1) != 0 ? snap.deleted : snap.expired).push_back(stmt->ColumnText(0));
    }
  }
  absl::StatusOr<int64_t> revision = db_->QueryInt(
      "SELECT max((SELECT value FROM counters WHERE name = 'revision'),"
      " (SELECT coalesce(max(revision), 0) FROM events))");
  if (!revision.ok()) return revision.status();
  snap.revision = static_cast<uint64_t>(*revision);
  return snap;
}

absl::StatusOr<std::vector<engine::Event>> SqliteStore::ReadPage(sqlite::Statement* stmt,
                                                                 const PageLimits& limits) {
  PageBuilder page(limits);
  for (;;) {
    absl::StatusOr<bool> row = stmt->Step();
    if (!row.ok()) {
      stmt->Reset();
      return row.status();
    }
    if (!*row || !page.Fits(static_cast<size_t>(stmt->ColumnInt(1)))) break;
    absl::StatusOr<engine::Event> ev = DecodeEvent(stmt->ColumnText(0));
    if (!ev.ok()) {
      stmt->Reset();
      return ev.status();
    }
    page.Add(std::move(*ev), static_cast<size_t>(stmt->ColumnInt(1)));
  }
  stmt->Reset();
  return page.Take();
}

absl::StatusOr<std::vector<engine::Event>> SqliteStore::ReadEvents(const std::string& operation_id,
                                                                   uint64_t after_sequence,
                                                                   const PageLimits& limits) {
  core::MutexLock lock(&read_mu_);
  read_events_.Bind(1, operation_id)
      .Bind(2, ClampToInt64(after_sequence))
      .Bind(3, ClampToInt64(limits.max_events));
  return ReadPage(&read_events_, limits);
}

absl::StatusOr<std::vector<engine::Event>> SqliteStore::ReadRevisions(uint64_t after_revision,
                                                                      const PageLimits& limits) {
  core::MutexLock lock(&read_mu_);
  read_revisions_.Bind(1, ClampToInt64(after_revision)).Bind(2, ClampToInt64(limits.max_events));
  return ReadPage(&read_revisions_, limits);
}

absl::StatusOr<std::string> SqliteStore::ReadResult(const std::string& operation_id) {
  core::MutexLock lock(&read_mu_);
  read_result_.Bind(1, operation_id);
  absl::StatusOr<bool> row = read_result_.Step();
  std::string content;
  if (row.ok() && *row) content = read_result_.ColumnText(0);
  read_result_.Reset();
  if (!row.ok()) return row.status();
  if (!*row) return absl::NotFoundError("no stored result for operation " + operation_id);
  return content;
}

absl::StatusOr<std::string> SqliteStore::Pragma(const std::string& name) {
  core::MutexLock lock(&mu_);
  return db_->QueryText("PRAGMA " + name);
}

int64_t SqliteStore::StatementsCompiled() {
  core::MutexLock lock(&mu_);
  return db_->compiled();
}

}  // namespace gpop::store
