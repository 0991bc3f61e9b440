// The durable audit log: the `audit` table of the operation store's file (operations.db). Its
// rows are written by the store's own writing connection inside the store's group commits
// (store::SqliteStore::CommitHook), so that an entry costs no fsync of its own: a START entry
// is written in the very transaction that creates its operation (ExpectStart), other entries in
// the next commit, the engine's or, when none is under way, one of the log's own that carries
// every entry appended meanwhile. Reads use a connection of their own. The table refuses UPDATE
// and DELETE (triggers), so that the log stays append-only whatever writes the file; retention
// of operations never touches it.

#ifndef GPOP_SERVICE_AUDIT_SQLITE_AUDIT_LOG_H_
#define GPOP_SERVICE_AUDIT_SQLITE_AUDIT_LOG_H_

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "service/audit/audit_log.h"
#include "service/core/mutex.h"
#include "service/sqlite/database.h"
#include "service/store/sqlite_store.h"

namespace gpop::audit {

// SqliteAuditLog
//
// Thread-safe. Installs itself as `store`'s commit hook for its lifetime: destroy it before the
// store, and after the last call that appends (the engine may go on committing without it).
class SqliteAuditLog final : public AuditLog, private store::SqliteStore::CommitHook {
 public:
  // The audit table of `store`'s file (which Open migrated). Errors name the file.
  static absl::StatusOr<std::unique_ptr<SqliteAuditLog>> Open(store::SqliteStore* store);
  ~SqliteAuditLog() override;

  absl::Status Append(v1::AuditEntry* entry) override GPOP_EXCLUDES(mu_);
  // All in the next commit (one transaction, one fsync), unless a commit under way takes the
  // first of them before the others are queued.
  absl::Status AppendAll(std::vector<v1::AuditEntry>* entries) override GPOP_EXCLUDES(mu_);
  std::unique_ptr<StartTicket> ExpectStart(const std::string& principal,
                                           const std::string& request_id,
                                           const std::string& fingerprint,
                                           StartBuilder build) override GPOP_EXCLUDES(mu_);
  // FINISH entries ride in the transaction of their terminal event (CommitHook::Write).
  bool WriteFinishesInCommits(FinishBuilder build) override GPOP_EXCLUDES(mu_);
  std::optional<uint64_t> FinishesWrittenFrom() override GPOP_EXCLUDES(mu_);
  absl::StatusOr<std::vector<v1::AuditEntry>> List(const AuditQuery& query) override
      GPOP_EXCLUDES(read_mu_);
  absl::StatusOr<uint64_t> LastFinishRevision() override GPOP_EXCLUDES(read_mu_);

  // For tests: the SQLite virtual machine steps List has run in all, which grow with the rows
  // its queries visit (an indexed lookup visits the matching rows only).
  int64_t ListSteps() GPOP_EXCLUDES(read_mu_);

 private:
  class Ticket;
  // An entry waiting for a commit: Append's (`entry` set) or a START ticket's (`build` set).
  struct Pending {
    v1::AuditEntry* entry = nullptr;
    StartBuilder build;
    std::tuple<std::string, std::string, std::string> key;  // principal, request_id, fingerprint
    v1::AuditEntry built;         // the START entry once its operation's creation was seen
    std::string operation_id;     // the operation it was written for
    bool in_transaction = false;  // written in the transaction under way
    bool done = false;            // that transaction ended: `status` says how
    absl::Status status;
  };
  using Key = std::tuple<std::string, std::string, std::string>;

  SqliteAuditLog(store::SqliteStore* store, std::unique_ptr<sqlite::Database> reader)
      : store_(store), reader_(std::move(reader)) {}

  // CommitHook: called under the store's writer lock.
  absl::Status Write(const std::vector<engine::Store::Change>& batch, sqlite::Database* db) override
      GPOP_EXCLUDES(mu_);
  void Committed(const absl::Status& status) override GPOP_EXCLUDES(mu_);
  // Adds `pending` to the transaction under way and inserts `entry` (its own, or the START
  // entry built for it).
  absl::Status Take(Pending* pending, v1::AuditEntry* entry, sqlite::Database* db)
      GPOP_REQUIRES(mu_);
  // Inserts `entry` with the statement cached on `db` (the store's writing connection: prepared
  // once, not per transaction) and sets its sequence.
  static absl::Status Insert(sqlite::Database* db, v1::AuditEntry* entry);
  // The FINISH entry of `change` (terminal), with the START entry written in this transaction
  // (`started_here`, by operation id) or earlier (read on `db`, the writing connection).
  absl::Status WriteFinish(const engine::Store::Change& change,
                           const std::map<std::string, const v1::AuditEntry*>& started_here,
                           sqlite::Database* db) GPOP_REQUIRES(mu_);
  void Withdraw(Pending* ticket) GPOP_EXCLUDES(mu_);
  // Waits until `pending` was committed, leading a commit of the log's own when none is under
  // way.
  void AwaitCommit(Pending* pending) GPOP_REQUIRES(mu_);

  store::SqliteStore* const store_;
  core::Mutex mu_;  // after the store's writer lock
  core::CondVar committed_cv_;
  std::deque<Pending*> appends_ GPOP_GUARDED_BY(mu_);                // not yet in a transaction
  std::map<Key, std::deque<Pending*>> starts_ GPOP_GUARDED_BY(mu_);  // waiting for a creation
  std::vector<Pending*> in_transaction_ GPOP_GUARDED_BY(mu_);
  bool leading_ GPOP_GUARDED_BY(mu_) = false;  // an Append runs a commit of the log's own
  FinishBuilder finish_ GPOP_GUARDED_BY(mu_);  // set: FINISH entries are written in commits
  // START entries this log committed for operations that have not finished yet (the newest
  // kRecentStarts, by operation id), so that a FINISH entry usually copies its START entry
  // without reading it back (WriteFinish reads the table for the others).
  static constexpr size_t kRecentStarts = 1024;
  std::map<std::string, v1::AuditEntry> recent_starts_ GPOP_GUARDED_BY(mu_);
  std::deque<std::string> recent_order_ GPOP_GUARDED_BY(mu_);   // oldest first
  std::optional<uint64_t> finishes_from_ GPOP_GUARDED_BY(mu_);  // see FinishesWrittenFrom

  core::Mutex read_mu_;
  std::unique_ptr<sqlite::Database> reader_ GPOP_GUARDED_BY(read_mu_);
  sqlite::Statement select_ GPOP_GUARDED_BY(read_mu_);               // any conditions
  sqlite::Statement select_by_operation_ GPOP_GUARDED_BY(read_mu_);  // operation_id set
  sqlite::Statement select_by_principal_ GPOP_GUARDED_BY(read_mu_);  // principal set
};

}  // namespace gpop::audit

#endif  // GPOP_SERVICE_AUDIT_SQLITE_AUDIT_LOG_H_
