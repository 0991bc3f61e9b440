// The durable engine::Store: one SQLite file (WAL, synchronous=FULL), so that a commit that
// returned OK survives a crash or power loss. gpopd's default, under --state_dir.

#ifndef GPOP_SERVICE_STORE_SQLITE_STORE_H_
#define GPOP_SERVICE_STORE_SQLITE_STORE_H_

#include <memory>
#include <string>
#include <vector>

#include "service/core/mutex.h"
#include "service/engine/store.h"
#include "service/sqlite/checkpointer.h"
#include "service/sqlite/database.h"

namespace gpop::store {

struct SqliteStoreOptions {
  std::string vfs;  // a registered sqlite3_vfs; empty = SQLite's default (tests inject faults)
  int64_t max_page_count = 0;     // > 0: the file's size limit in pages (tests fill the disk)
  int expired_ids_kept = 100000;  // removed ids that still answer EXPIRED / DELETED
  // WAL pages after which a checkpoint runs, on a thread of its own (sqlite::Checkpointer):
  // SQLite's default autocheckpoint threshold, off the committing thread.
  int checkpoint_pages = 1000;
};

// SqliteStore
//
// Thread-safe: one connection for writes under `mu_`, and one for paged reads under `read_mu_`
// (WAL lets them run beside a commit, which they see whole or not at all). Tables: `operations`
// (id -> encoded record), `events` (revision -> operation id, sequence, encoded event; indexed
// by operation), `results` (operation id -> a large result's bytes, stored once), `expired`
// (removed ids, oldest first, each marked as removed by retention or by DeleteOperation) and
// `counters` (the highest revision of the events removed: with the newest event's, the highest
// ever assigned, so that revisions are never reused after their events are removed).
// `operation_keys` indexes the operations by creation and by (principal, request_id), and
// holds when each finished, so that finished ones are read by key instead of loaded.
class SqliteStore final : public engine::Store {
 public:
  using engine::Store::Load;
  // Opens or creates `path`. A damaged, foreign or newer-schema file is an error that names it.
  static absl::StatusOr<std::unique_ptr<SqliteStore>> Open(const std::string& path,
                                                           const SqliteStoreOptions& options = {});

  absl::Status Commit(const std::vector<Change>& batch) override;
  absl::Status Delete(const std::string& operation_id, engine::Removal why) override;
  // One transaction for all of them.
  absl::Status DeleteAll(const std::vector<std::string>& operation_ids, engine::Removal why,
                         size_t* removed) override;
  absl::StatusOr<Snapshot> Load(const LoadOptions& options) override;
  absl::StatusOr<std::vector<engine::Event>> ReadEvents(const std::string& operation_id,
                                                        uint64_t after_sequence,
                                                        const PageLimits& limits) override;
  absl::StatusOr<std::vector<engine::Event>> ReadRevisions(uint64_t after_revision,
                                                           const PageLimits& limits) override;
  absl::StatusOr<std::string> ReadResult(const std::string& operation_id) override;
  // Keyed reads (sqlite_store_keys.cc), by the `operation_keys` index.
  absl::StatusOr<engine::OperationRecord> ReadOperation(const std::string& operation_id) override;
  absl::StatusOr<engine::OperationRecord> FindRequest(const std::string& principal,
                                                      const std::string& request_id) override;
  absl::StatusOr<std::optional<engine::Removal>> RemovalOf(
      const std::string& operation_id) override;
  absl::StatusOr<std::vector<Listed>> ListOperations(const ListPosition& before,
                                                     size_t max) override;

  // A further connection to the file of a store opened with Open, checked like Open's: the audit
  // log (service/audit) reads its table in the same file on a connection of its own.
  static absl::StatusOr<std::unique_ptr<sqlite::Database>> OpenDatabase(const std::string& path);

  // CommitHook
  //
  // Rows that ride in the store's transactions on its writing connection (the audit log's
  // entries), so that they cost no commit, and no fsync, of their own, and are durable exactly
  // when the batch they were written with is. Calls come one at a time, under the store's
  // writer lock: Write inside a transaction, then Committed with that transaction's outcome.
  class CommitHook {
   public:
    virtual ~CommitHook() = default;
    // After `batch` (empty in a transaction of the hook's own, CommitHookRows) was written, in
    // the same transaction: an error rolls the whole transaction back, the batch with it.
    virtual absl::Status Write(const std::vector<Change>& batch, sqlite::Database* db) = 0;
    // The outcome of the transaction the last Write was in (also when Write was not reached).
    virtual void Committed(const absl::Status& status) = 0;
  };
  // Installs `hook` (null: none) for every later Commit; returns once no commit uses the
  // previous one.
  void SetCommitHook(CommitHook* hook) GPOP_EXCLUDES(mu_);
  // A transaction of the hook's rows alone (when no batch is being committed to carry them).
  absl::Status CommitHookRows() GPOP_EXCLUDES(mu_);
  const std::string& path() const { return path_; }

  // The schema this build writes (PRAGMA user_version).
  static int SchemaVersion();
  // Fills operation_keys for records written before the table existed (schema 3 files): once,
  // in the transaction of migration 7 (sqlite_store_keys.cc).
  static absl::Status BackfillKeys(sqlite::Database* db);
  // A PRAGMA's value on the store's own connection, for tests ("journal_mode", "synchronous").
  absl::StatusOr<std::string> Pragma(const std::string& name);
  // SQL compiled so far on the writing connection (sqlite::Database::compiled), for tests: a
  // commit, with its hook's rows, compiles nothing once its statements are prepared.
  int64_t StatementsCompiled() GPOP_EXCLUDES(mu_);
  // The WAL checkpointer, for tests (WaitIdle, its counts).
  sqlite::Checkpointer* checkpointer() { return checkpointer_.get(); }

 private:
  SqliteStore(std::unique_ptr<sqlite::Database> db, std::unique_ptr<sqlite::Database> reader,
              SqliteStoreOptions options);
  // One transaction of `batch` and the hook's rows; tells the hook its outcome.
  absl::Status CommitLocked(const std::vector<Change>& batch) GPOP_REQUIRES(mu_);
  absl::Status TransactionLocked(const std::vector<Change>& batch) GPOP_REQUIRES(mu_);
  absl::Status Prepare() GPOP_REQUIRES(mu_);
  absl::Status PrepareReads() GPOP_REQUIRES(read_mu_);
  absl::Status WriteBatch(const std::vector<Change>& batch) GPOP_REQUIRES(mu_);
  // operation_keys for a batch whose last change of each operation is at `last`: written for
  // operations created or finished by the batch, not for the changes between (their key is
  // there since the creation's commit, and only its end time ever changes).
  absl::Status WriteKeys(const std::vector<Change>& batch, const std::vector<size_t>& last)
      GPOP_REQUIRES(mu_);
  absl::Status PutKey(const engine::OperationRecord& record, uint64_t create_revision)
      GPOP_REQUIRES(mu_);

  // Steps `stmt` to the end, decoding column 0 as a record; resets it.
  static absl::StatusOr<std::vector<engine::OperationRecord>> ReadRecords(sqlite::Statement* stmt);
  // Steps `stmt` (bound, columns: event, its length) into a page.
  static absl::StatusOr<std::vector<engine::Event>> ReadPage(sqlite::Statement* stmt,
                                                             const PageLimits& limits);

  const SqliteStoreOptions options_;
  const std::string path_;
  core::Mutex mu_;
  std::unique_ptr<sqlite::Database> db_ GPOP_GUARDED_BY(mu_);
  CommitHook* hook_ GPOP_GUARDED_BY(mu_) = nullptr;
  sqlite::Statement put_operation_ GPOP_GUARDED_BY(mu_);
  sqlite::Statement put_event_ GPOP_GUARDED_BY(mu_);
  sqlite::Statement keep_revision_ GPOP_GUARDED_BY(mu_);
  sqlite::Statement delete_operation_ GPOP_GUARDED_BY(mu_);
  sqlite::Statement delete_events_ GPOP_GUARDED_BY(mu_);
  sqlite::Statement put_expired_ GPOP_GUARDED_BY(mu_);
  sqlite::Statement trim_expired_ GPOP_GUARDED_BY(mu_);
  sqlite::Statement put_result_ GPOP_GUARDED_BY(mu_);
  sqlite::Statement delete_result_ GPOP_GUARDED_BY(mu_);
  sqlite::Statement put_key_ GPOP_GUARDED_BY(mu_);
  sqlite::Statement delete_key_ GPOP_GUARDED_BY(mu_);
  // After db_: stopped (and its hook removed) before the writing connection closes.
  std::unique_ptr<sqlite::Checkpointer> checkpointer_;

  core::Mutex read_mu_;
  std::unique_ptr<sqlite::Database> reader_ GPOP_GUARDED_BY(read_mu_);
  sqlite::Statement read_events_ GPOP_GUARDED_BY(read_mu_);
  sqlite::Statement read_revisions_ GPOP_GUARDED_BY(read_mu_);
  sqlite::Statement read_result_ GPOP_GUARDED_BY(read_mu_);
  sqlite::Statement read_operation_ GPOP_GUARDED_BY(read_mu_);
  sqlite::Statement find_request_ GPOP_GUARDED_BY(read_mu_);
  sqlite::Statement removal_of_ GPOP_GUARDED_BY(read_mu_);
  sqlite::Statement list_operations_ GPOP_GUARDED_BY(read_mu_);
  int deletes_since_vacuum_ GPOP_GUARDED_BY(mu_) = 0;
};

}  // namespace gpop::store

#endif  // GPOP_SERVICE_STORE_SQLITE_STORE_H_
