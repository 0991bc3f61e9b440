// One SQLite connection: open with gpop's settings (WAL, synchronous=FULL), run SQL, prepare
// statements, and bring a schema to its current version by forward migrations.

#ifndef GPOP_SERVICE_SQLITE_DATABASE_H_
#define GPOP_SERVICE_SQLITE_DATABASE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "service/sqlite/statement.h"

struct sqlite3;

namespace gpop::sqlite {

// Schema
//
// What a database file must be: its `application_id` (a file with another non-zero id, or with
// tables but no id, is foreign) and its migrations: `migrations[i]` brings user_version i to
// i + 1, so the current version is migrations.size(). A file newer than that is refused.
//
// `legacy_tables`: a file written before the schema was versioned (application_id 0,
// user_version 0) whose tables are all among these is adopted, not refused as foreign: the
// migrations then run over it, so migration 1 must accept those tables as they are (CREATE
// TABLE IF NOT EXISTS).
//
// `after_migration` (optional): work a migration needs beyond SQL (rewriting rows with C++),
// run with the version it brought the file to, in that migration's transaction, so that the
// work is done exactly once and is marked done by the version itself.
class Database;
struct Schema {
  std::string name;  // for messages: "gpop operation store"
  int32_t application_id = 0;
  std::vector<std::string> migrations;
  std::vector<std::string> legacy_tables;
  std::function<absl::Status(Database* db, int64_t version)> after_migration;
};

struct OpenOptions {
  bool create = true;              // create the file when missing
  std::string vfs;                 // a registered sqlite3_vfs name; empty = the default
  bool check_integrity = true;     // PRAGMA quick_check at open (a damaged file: DATA_LOSS)
  bool incremental_vacuum = true;  // auto_vacuum=INCREMENTAL on a new file
};

// Database
//
// Owns one connection. Not thread-safe (SQLITE_OPEN_NOMUTEX): callers serialise its use.
class Database {
 public:
  // Opens `path`, sets journal_mode=WAL (checked) and synchronous=FULL, and migrates it to
  // `schema`. Errors name the file: DATA_LOSS for a damaged or non-SQLite file,
  // FAILED_PRECONDITION for a foreign or newer-schema one, UNAVAILABLE when it cannot be opened.
  static absl::StatusOr<std::unique_ptr<Database>> Open(const std::string& path,
                                                        const Schema& schema,
                                                        const OpenOptions& options = {});
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  absl::Status Exec(const std::string& sql);
  absl::StatusOr<Statement> Prepare(const std::string& sql);
  // Cached
  //
  // The statement of `sql` on this connection, prepared on its first use and kept until the
  // connection closes: for SQL that runs again and again (in every commit) by callers that do
  // not own a statement of their own (the store's commit hook, BEGIN and COMMIT). The caller
  // resets it after use (Run does), before anything else can ask for the same SQL.
  absl::StatusOr<Statement*> Cached(std::string_view sql);
  // SQL compiled on this connection so far (Prepare, Exec, the first Cached of each SQL):
  // tests check that what runs per commit is compiled once.
  int64_t compiled() const { return compiled_; }
  // The rowid of the last row inserted on this connection.
  int64_t LastInsertRowid();
  // The first column of the first row of `sql` as an integer (0 when no row).
  absl::StatusOr<int64_t> QueryInt(const std::string& sql);
  absl::StatusOr<std::string> QueryText(const std::string& sql);
  // Rows changed by the last INSERT, UPDATE or DELETE.
  int64_t Changes();

  const std::string& path() const { return path_; }
  sqlite3* handle() { return db_; }

 private:
  Database(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  absl::Status Configure(const Schema& schema, const OpenOptions& options);
  // Whether an unversioned file holds only `schema`'s legacy tables.
  absl::StatusOr<bool> IsLegacy(const Schema& schema);

  sqlite3* db_;
  std::string path_;
  int64_t compiled_ = 0;
  // Finalized before the connection closes (~Database).
  std::map<std::string, std::unique_ptr<Statement>, std::less<>> cached_;
};

// Transaction
//
// BEGIN IMMEDIATE ... COMMIT (statements cached on the connection); rolled back when destroyed
// uncommitted. Not thread-safe.
class Transaction {
 public:
  static absl::StatusOr<Transaction> Begin(Database* db);
  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();
  absl::Status Commit();

 private:
  explicit Transaction(Database* db) : db_(db) {}
  Database* db_;
};

}  // namespace gpop::sqlite

#endif  // GPOP_SERVICE_SQLITE_DATABASE_H_
