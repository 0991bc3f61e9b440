#include "service/sqlite/database.h"

#include <sqlite3.h>

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "service/sqlite/error.h"

namespace gpop::sqlite {

namespace {

absl::Status Named(const absl::Status& s, const std::string& path) {
  return absl::Status(s.code(), absl::StrCat(path, ": ", s.message()));
}

}  // namespace

absl::StatusOr<std::unique_ptr<Database>> Database::Open(const std::string& path,
                                                         const Schema& schema,
                                                         const OpenOptions& options) {
  sqlite3* db = nullptr;
  int flags =
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (options.create ? SQLITE_OPEN_CREATE : 0);
  int rc = sqlite3_open_v2(path.c_str(), &db, flags,
                           options.vfs.empty() ? nullptr : options.vfs.c_str());
  if (rc != SQLITE_OK) {
    absl::Status s = ToStatus(rc, db, "open");
    sqlite3_close(db);
    return Named(s, path);
  }
  sqlite3_extended_result_codes(db, 1);
  std::unique_ptr<Database> database(new Database(db, path));
  if (absl::Status s = database->Configure(schema, options); !s.ok()) return Named(s, path);
  return database;
}

Database::~Database() {
  cached_.clear();  // finalized first: a connection with statements left does not close
  sqlite3_close(db_);
}

absl::Status Database::Configure(const Schema& schema, const OpenOptions& options) {
  // Reading the header first tells a foreign or damaged file before anything is written to it.
  absl::StatusOr<int64_t> app = QueryInt("PRAGMA application_id");
  if (!app.ok()) {
    return absl::DataLossError(absl::StrCat("not a readable SQLite database (",
                                            app.status().message(),
                                            "); move it away or restore it from a backup"));
  }
  absl::StatusOr<int64_t> version = QueryInt("PRAGMA user_version");
  absl::StatusOr<int64_t> tables = QueryInt("SELECT count(*) FROM sqlite_master");
  if (!version.ok()) return version.status();
  if (!tables.ok()) return tables.status();
  bool legacy = false;
  if (*app == 0 && *version == 0 && *tables > 0) {
    absl::StatusOr<bool> is_legacy = IsLegacy(schema);
    if (!is_legacy.ok()) return is_legacy.status();
    legacy = *is_legacy;
  }
  if ((*app != 0 && *app != schema.application_id) || (*app == 0 && *tables > 0 && !legacy)) {
    return absl::FailedPreconditionError(
        absl::StrCat("a SQLite database of another program (application_id ", *app, "), not a ",
                     schema.name, "; refusing to use it"));
  }
  const int64_t current = static_cast<int64_t>(schema.migrations.size());
  if (*version > current) {
    return absl::FailedPreconditionError(absl::StrCat(schema.name, " schema version ", *version,
                                                      " is newer than this gpopd's ", current,
                                                      "; run a newer gpopd"));
  }
  if (options.check_integrity && *tables > 0) {
    absl::StatusOr<std::string> check = QueryText("PRAGMA quick_check");
    if (!check.ok())
      return absl::DataLossError(absl::StrCat("damaged: ", check.status().message()));
    if (*check != "ok") return absl::DataLossError(absl::StrCat("damaged: ", *check));
  }
  if (*tables == 0 && options.incremental_vacuum) {
    if (absl::Status s = Exec("PRAGMA auto_vacuum=INCREMENTAL"); !s.ok()) return s;
  }
  absl::StatusOr<std::string> mode = QueryText("PRAGMA journal_mode=WAL");
  if (!mode.ok()) return mode.status();
  if (absl::AsciiStrToLower(*mode) != "wal") {
    return absl::UnavailableError(absl::StrCat("cannot use WAL (journal mode stays ", *mode, ")"));
  }
  if (absl::Status s = Exec("PRAGMA synchronous=FULL"); !s.ok()) return s;
  if (absl::Status s = Exec("PRAGMA busy_timeout=5000"); !s.ok()) return s;
  for (int64_t v = *version; v < current; ++v) {
    absl::StatusOr<Transaction> tx = Transaction::Begin(this);
    if (!tx.ok()) return tx.status();
    if (absl::Status s = Exec(schema.migrations[v]); !s.ok()) {
      return absl::Status(s.code(),
                          absl::StrCat("migration to version ", v + 1, ": ", s.message()));
    }
    if (schema.after_migration) {
      if (absl::Status s = schema.after_migration(this, v + 1); !s.ok()) {
        return absl::Status(s.code(),
                            absl::StrCat("migration to version ", v + 1, ": ", s.message()));
      }
    }
    if (absl::Status s = Exec(absl::StrCat("PRAGMA application_id=", schema.application_id));
        !s.ok()) {
      return s;
    }
    if (absl::Status s = Exec(absl::StrCat("PRAGMA user_version=", v + 1)); !s.ok()) return s;
    if (absl::Status s = tx->Commit(); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> Database::IsLegacy(const Schema& schema) {
  if (schema.legacy_tables.empty()) return false;
  absl::StatusOr<Statement> stmt =
      Prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'");
  if (!stmt.ok()) return stmt.status();
  for (;;) {
    absl::StatusOr<bool> row = stmt->Step();
    if (!row.ok()) return row.status();
    if (!*row) return true;
    const std::string name = stmt->ColumnText(0);
    if (std::find(schema.legacy_tables.begin(), schema.legacy_tables.end(), name) ==
        schema.legacy_tables.end()) {
      return false;
    }
  }
}

int64_t Database::Changes() { return sqlite3_changes(db_); }

absl::Status Database::Exec(const std::string& sql) {
  ++compiled_;
  char* error = nullptr;
  int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error);
  sqlite3_free(error);
  return ToStatus(rc, db_, sql);
}

absl::StatusOr<Statement> Database::Prepare(const std::string& sql) {
  ++compiled_;
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) return ToStatus(rc, db_, sql);
  return Statement(db_, stmt);
}

absl::StatusOr<Statement*> Database::Cached(std::string_view sql) {
  auto it = cached_.find(sql);
  if (it != cached_.end()) return it->second.get();
  absl::StatusOr<Statement> stmt = Prepare(std::string(sql));
  if (!stmt.ok()) return stmt.status();
  auto inserted = cached_.emplace(std::string(sql), std::make_unique<Statement>(*std::move(stmt)));
  return inserted.first->second.get();
}

int64_t Database::LastInsertRowid() { return sqlite3_last_insert_rowid(db_); }

absl::StatusOr<int64_t> Database::QueryInt(const std::string& sql) {
  absl::StatusOr<Statement> stmt = Prepare(sql);
  if (!stmt.ok()) return stmt.status();
  absl::StatusOr<bool> row = stmt->Step();
  if (!row.ok()) return row.status();
  return *row ? stmt->ColumnInt(0) : 0;
}

absl::StatusOr<std::string> Database::QueryText(const std::string& sql) {
  absl::StatusOr<Statement> stmt = Prepare(sql);
  if (!stmt.ok()) return stmt.status();
  absl::StatusOr<bool> row = stmt->Step();
  if (!row.ok()) return row.status();
  return *row ? stmt->ColumnText(0) : std::string();
}

absl::StatusOr<Transaction> Transaction::Begin(Database* db) {
  absl::StatusOr<Statement*> begin = db->Cached("BEGIN IMMEDIATE");
  if (!begin.ok()) return begin.status();
  if (absl::Status s = (*begin)->Run(); !s.ok()) return s;
  return Transaction(db);
}

Transaction::Transaction(Transaction&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}

Transaction::~Transaction() {
  if (db_ == nullptr || sqlite3_get_autocommit(db_->handle())) return;
  absl::StatusOr<Statement*> rollback = db_->Cached("ROLLBACK");
  if (rollback.ok()) {
    (void)(*rollback)->Run();
  } else {
    (void)db_->Exec("ROLLBACK");
  }
}

absl::Status Transaction::Commit() {
  absl::StatusOr<Statement*> commit = db_->Cached("COMMIT");
  if (!commit.ok()) return commit.status();
  absl::Status s = (*commit)->Run();
  if (s.ok()) db_ = nullptr;
  return s;
}

}  // namespace gpop::sqlite
