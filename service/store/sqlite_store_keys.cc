// SqliteStore's operation_keys index: kept with every record it writes, filled in for files
// written before it existed, and the keyed reads the engine makes instead of holding finished
// operations in memory (by id, by request id, expired ids, creation order).

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <string_view>
#include <utility>
#include <vector>

#include "service/store/record_codec.h"
#include "service/store/sqlite_store.h"

namespace gpop::store {

namespace {

int64_t Nanos(engine::Time t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

}  // namespace

absl::Status SqliteStore::PutKey(const engine::OperationRecord& rec, uint64_t create_revision) {
  put_key_.BindView(1, rec.id)
      .Bind(2, static_cast<int64_t>(create_revision))
      .BindView(3, rec.principal)
      .BindView(4, rec.request_id);
  if (core::IsTerminal(rec.state)) {
    put_key_.Bind(5, Nanos(rec.end_time.value_or(rec.create_time)));
  } else {
    put_key_.BindNull(5);
  }
  return put_key_.Run();
}

absl::Status SqliteStore::WriteKeys(const std::vector<Change>& batch,
                                    const std::vector<size_t>& last) {
  // An operation's first change is its QUEUED event: its revision orders listings. Every
  // operation of the batch gets its key: a key that exists already is kept (put_key_ changes
  // only its end time, and only for a terminal record), so a change of a live operation costs
  // a lookup and writes no page. Writing only the batches that hold an operation's first event
  // lost the key, and with it the record at Load, of an operation first committed without its
  // QUEUED event (StoreConformanceTest.LoadWithoutHistoryGivesUnfinishedRecordsAndFinishedIds).
  std::map<std::string_view, uint64_t> first;
  for (const Change& change : batch) {
    first.try_emplace(change.record.id,
                      change.event ? change.event->revision : change.record.revision);
  }
  for (size_t i : last) {
    const engine::OperationRecord& rec = batch[i].record;
    if (absl::Status s = PutKey(rec, first.at(rec.id)); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status SqliteStore::BackfillKeys(sqlite::Database* db) {
  // In migration 7's transaction (sqlite_store.cc): the store's statements are not prepared
  // yet, so this prepares the writes PutKey makes.
  absl::StatusOr<sqlite::Statement> stmt = db->Prepare(
      "SELECT record, (SELECT min(revision) FROM events e WHERE e.operation_id = o.id)"
      " FROM operations o WHERE NOT EXISTS (SELECT 1 FROM operation_keys k WHERE k.id = o.id)");
  if (!stmt.ok()) return stmt.status();
  absl::StatusOr<sqlite::Statement> put = db->Prepare(
      "INSERT OR IGNORE INTO operation_keys (id, create_revision, principal, request_id, end_ns)"
      " VALUES (?1, ?2, ?3, ?4, ?5)");
  if (!put.ok()) return put.status();
  for (;;) {
    absl::StatusOr<bool> row = stmt->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    absl::StatusOr<engine::OperationRecord> rec = DecodeRecord(stmt->ColumnText(0));
    if (!rec.ok()) return rec.status();
    // Its first event's revision; a record whose early events were trimmed: its own.
    uint64_t first = static_cast<uint64_t>(stmt->ColumnInt(1));
    if (first == 0) first = rec->revision;
    put->Bind(1, rec->id)
        .Bind(2, static_cast<int64_t>(first))
        .Bind(3, rec->principal)
        .Bind(4, rec->request_id);
    if (core::IsTerminal(rec->state)) {
      put->Bind(5, Nanos(rec->end_time.value_or(rec->create_time)));
    } else {
      put->BindNull(5);
    }
    if (absl::Status s = put->Run(); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<engine::OperationRecord>> SqliteStore::ReadRecords(
    sqlite::Statement* stmt) {
  std::vector<engine::OperationRecord> out;
  for (;;) {
    absl::StatusOr<bool> row = stmt->Step();
    if (!row.ok()) {
      stmt->Reset();
      return row.status();
    }
    if (!*row) break;
    absl::StatusOr<engine::OperationRecord> rec = DecodeRecord(stmt->ColumnText(0));
    if (!rec.ok()) {
      stmt->Reset();
      return rec.status();
    }
    out.push_back(std::move(*rec));
  }
  stmt->Reset();
  return out;
}

absl::StatusOr<engine::OperationRecord> SqliteStore::ReadOperation(
    const std::string& operation_id) {
  core::MutexLock lock(&read_mu_);
  read_operation_.Bind(1, operation_id);
  absl::StatusOr<std::vector<engine::OperationRecord>> rows = ReadRecords(&read_operation_);
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return absl::NotFoundError("no operation " + operation_id);
  return std::move(rows->front());
}

absl::StatusOr<engine::OperationRecord> SqliteStore::FindRequest(const std::string& principal,
                                                                 const std::string& request_id) {
  core::MutexLock lock(&read_mu_);
  find_request_.Bind(1, principal).Bind(2, request_id);
  absl::StatusOr<std::vector<engine::OperationRecord>> rows = ReadRecords(&find_request_);
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return absl::NotFoundError("no operation for request " + request_id);
  return std::move(rows->front());
}

absl::StatusOr<std::optional<engine::Removal>> SqliteStore::RemovalOf(
    const std::string& operation_id) {
  core::MutexLock lock(&read_mu_);
  removal_of_.Bind(1, operation_id);
  absl::StatusOr<bool> row = removal_of_.Step();
  std::optional<engine::Removal> removal;
  if (row.ok() && *row) {
    removal = removal_of_.ColumnInt(0) != 0 ? engine::Removal::kDeleted : engine::Removal::kExpired;
  }
  removal_of_.Reset();
  if (!row.ok()) return row.status();
  return removal;
}

absl::StatusOr<std::vector<engine::Store::Listed>> SqliteStore::ListOperations(
    const ListPosition& before, size_t max) {
  core::MutexLock lock(&read_mu_);
  auto clamp = [](uint64_t v) {
    return static_cast<int64_t>(std::min<uint64_t>(v, static_cast<uint64_t>(INT64_MAX)));
  };
  list_operations_.Bind(1, clamp(before.create_revision)).Bind(2, clamp(max));
  std::vector<Listed> out;
  for (;;) {
    absl::StatusOr<bool> row = list_operations_.Step();
    if (!row.ok()) {
      list_operations_.Reset();
      return row.status();
    }
    if (!*row) break;
    absl::StatusOr<engine::OperationRecord> rec = DecodeRecord(list_operations_.ColumnText(0));
    if (!rec.ok()) {
      list_operations_.Reset();
      return rec.status();
    }
    out.push_back({std::move(*rec), {static_cast<uint64_t>(list_operations_.ColumnInt(1))}});
  }
  list_operations_.Reset();
  return out;
}

}  // namespace gpop::store
