// The audit log: an append-only record of who started, cancelled or deleted which operation and
// how each operation ended (gpop.v1.AuditEntry, proto/gpop/v1/audit.proto). Kept apart from the
// operations themselves, so that it outlives their retention. Implementations: SqliteAuditLog
// (gpopd's default, in the operation store's file, written by the store's group commits) and
// MemoryAuditLog (tests, and --operation_store=memory).

#ifndef GPOP_SERVICE_AUDIT_AUDIT_LOG_H_
#define GPOP_SERVICE_AUDIT_AUDIT_LOG_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gpop/v1/audit.pb.h"
#include "service/engine/types.h"

namespace gpop::audit {

// AuditQuery
//
// Which entries to read: those with a sequence greater than `after_sequence` that match every
// set condition, oldest first, at most `limit`. Times are the entries' `time`: [start, end).
struct AuditQuery {
  std::string principal;
  std::string operation_id;
  v1::AuditAction action = v1::AUDIT_ACTION_UNSPECIFIED;  // unspecified: any
  std::optional<engine::Time> start_time;
  std::optional<engine::Time> end_time;
  uint64_t after_sequence = 0;
  int limit = 100;
};

// AuditLog
//
// Thread-safe. Entries are never changed once appended; only a log with a cap (the memory log)
// drops its oldest, and says how far (DroppedThrough).
class AuditLog {
 public:
  virtual ~AuditLog() = default;

  // Appends `entry`, setting its `sequence` (one more than the last ever appended, never
  // reused). Durable when it returns OK; an error appends nothing.
  virtual absl::Status Append(v1::AuditEntry* entry) = 0;

  // Appends `entries` in order, as Append does each; a log may write them in one commit (the
  // default appends them one by one and stops at the first error). Returns the first error; the
  // entries whose `sequence` is set were appended, the others were not.
  virtual absl::Status AppendAll(std::vector<v1::AuditEntry>* entries);

  // StartTicket
  //
  // A START entry that is written in the same transaction as the creation of its operation,
  // so that a Start is acknowledged only once both are durable, at no commit of its own.
  class StartTicket {
   public:
    virtual ~StartTicket() = default;  // withdraws the entry when no creation has taken it
    // Once the engine's Start returned `operation_id` (durably created or found): true when
    // this ticket's entry was written, durably, for that operation. False when it was not (a
    // retried request_id created nothing; or a concurrent identical request's operation, by the
    // same principal, took this entry and this one's operation took the other's): the caller
    // then appends the entry itself unless the operation has one.
    virtual bool WrittenFor(const std::string& operation_id) = 0;
  };
  // Builds the START entry from the record of the operation just created.
  using StartBuilder = std::function<v1::AuditEntry(const engine::OperationRecord& record)>;

  // A ticket for the START entry of an operation about to be created by `principal` with
  // `request_id` and the request `fingerprint` (engine::StartRequest's), or null when this log
  // cannot write entries with the store's commits (then append after the call).
  virtual std::unique_ptr<StartTicket> ExpectStart(const std::string& principal,
                                                   const std::string& request_id,
                                                   const std::string& fingerprint,
                                                   StartBuilder build) {
    (void)principal, (void)request_id, (void)fingerprint, (void)build;
    return nullptr;
  }

  // FinishBuilder
  //
  // Builds the FINISH entry of terminal `event` from the operation's record after it and its
  // START entry (null when it has none).
  using FinishBuilder = std::function<v1::AuditEntry(const engine::Event& event,
                                                     const engine::OperationRecord& record,
                                                     const v1::AuditEntry* start)>;
  // From the next commit of the store on, writes a FINISH entry for every terminal event in the
  // very transaction that commits the event (durable with it, at no commit of its own). Returns
  // false when this log cannot (then record FINISH entries from the events, after their
  // commit). Call once.
  virtual bool WriteFinishesInCommits(FinishBuilder build) {
    (void)build;
    return false;
  }
  // Once WriteFinishesInCommits returned true: the revision of the first event committed with
  // it in effect (a terminal event at or after it has its FINISH entry already; those before it
  // are the caller's to record), nullopt while no event was committed since.
  virtual std::optional<uint64_t> FinishesWrittenFrom() { return std::nullopt; }

  // The entries `query` selects.
  virtual absl::StatusOr<std::vector<v1::AuditEntry>> List(const AuditQuery& query) = 0;

  // The highest `revision` of any FINISH entry (0 when none): where the recorder of terminal
  // events resumes after a restart (api/audit_recorder.h).
  virtual absl::StatusOr<uint64_t> LastFinishRevision() = 0;

  // Entries 1 .. DroppedThrough() are no longer held (a log with a cap dropped them, oldest
  // first); 0 when none was dropped. Their sequences are never reused.
  virtual uint64_t DroppedThrough() { return 0; }
};

// TimeOf
//
// An entry's `time` as engine::Time (the epoch when unset).
engine::Time TimeOf(const v1::AuditEntry& entry);

// Matches
//
// True when `entry` meets every condition of `query` (its sequence and limit aside).
bool Matches(const AuditQuery& query, const v1::AuditEntry& entry);

}  // namespace gpop::audit

#endif  // GPOP_SERVICE_AUDIT_AUDIT_LOG_H_
