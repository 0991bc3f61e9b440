// SqliteStore opening a file that schema version 4 wrote (the last version before removed ids
// kept their reason): the file is built here by SQL, as version 4's migrations left it, with
// finished, unfinished and removed operations. Opening it runs migration 5; the data is intact,
// the ids removed before it answer OPERATION_EXPIRED (all removals were retention's then), and
// removals after it keep their reason.

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <string>

#include "service/store/record_codec.h"
#include "service/store/sqlite_store.h"
#include "tests/testing/fixtures.h"

namespace gpop::store {
namespace {

using core::OperationState;
using engine::Event;
using engine::OperationRecord;
using engine::Removal;

std::string Hex(const std::string& bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

int64_t Nanos(engine::Time t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

void RawExec(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* err = nullptr;
  EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK) << err;
  sqlite3_free(err);
  sqlite3_close(db);
}

// The tables of schema versions 1 to 4, as their migrations created them.
constexpr char kSchemaV4[] =
    "PRAGMA application_id=1735421808;"
    // 1
    "CREATE TABLE operations (id TEXT PRIMARY KEY, record BLOB NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE events (revision INTEGER PRIMARY KEY, operation_id TEXT NOT NULL,"
    " sequence INTEGER NOT NULL, event BLOB NOT NULL);"
    "CREATE UNIQUE INDEX events_by_operation ON events (operation_id, sequence);"
    "CREATE TABLE expired (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE);"
    "CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;"
    "INSERT INTO counters VALUES ('revision', 0);"
    // 2
    "CREATE TABLE results (operation_id TEXT PRIMARY KEY, content BLOB NOT NULL);"
    // 3
    "CREATE TABLE audit (sequence INTEGER PRIMARY KEY AUTOINCREMENT,"
    " time_ns INTEGER NOT NULL, principal TEXT NOT NULL, action INTEGER NOT NULL,"
    " operation_id TEXT NOT NULL, revision INTEGER NOT NULL, entry BLOB NOT NULL);"
    "CREATE INDEX audit_by_operation ON audit (operation_id, sequence);"
    "CREATE INDEX audit_by_principal ON audit (principal, sequence);"
    "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit"
    " BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;"
    "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit"
    " BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;"
    // 4
    "CREATE TABLE operation_keys (id TEXT PRIMARY KEY, create_revision INTEGER NOT NULL,"
    " principal TEXT NOT NULL, request_id TEXT NOT NULL, end_ns INTEGER) WITHOUT ROWID;"
    "CREATE UNIQUE INDEX operation_keys_by_creation ON operation_keys (create_revision);"
    "CREATE INDEX operation_keys_by_request ON operation_keys (principal, request_id)"
    " WHERE request_id <> '';"
    "CREATE INDEX operation_keys_unfinished ON operation_keys (id) WHERE end_ns IS NULL;";

struct Written {
  OperationRecord rec;
  std::vector<Event> events;
};

// An operation with events at revisions `first`.. (QUEUED, then RUNNING, then `end` if
// terminal), its record as of the last.
Written Operation(const std::string& id, uint64_t first, OperationState end,
                  const std::string& request_id) {
  Written w;
  OperationRecord& r = w.rec;
  r.id = id;
  r.kind = core::OperationKind::kBackup;
  core::BackupSpec spec;
  spec.gpo.guid = "{AAAAAAAA-0000-0000-0000-000000000001}";
  r.spec = spec;
  r.principal = "alice";
  r.request_id = request_id;
  r.labels = {{"team", "blue"}};
  r.create_time = engine::Time(std::chrono::seconds(1000 + first));
  std::vector<OperationState> states = {OperationState::kQueued};
  if (end != OperationState::kQueued) states.push_back(OperationState::kRunning);
  if (core::IsTerminal(end)) states.push_back(end);
  for (size_t i = 0; i < states.size(); ++i) {
    Event e;
    e.operation_id = id;
    e.kind = r.kind;
    e.sequence = i + 1;
    e.revision = first + i;
    e.state = states[i];
    e.time = r.create_time + std::chrono::seconds(i);
    w.events.push_back(e);
  }
  r.state = states.back();
  r.last_sequence = states.size();
  r.revision = w.events.back().revision;
  if (core::IsTerminal(end)) {
    r.end_time = w.events.back().time;
    r.effects = core::Effects::kApplied;
  }
  return w;
}

std::string InsertSql(const Written& w) {
  std::string sql = "INSERT INTO operations VALUES ('" + w.rec.id + "', x'" +
                    Hex(EncodeRecord(w.rec)) + "');";
  for (const Event& e : w.events) {
    sql += "INSERT INTO events VALUES (" + std::to_string(e.revision) + ", '" + w.rec.id +
           "', " + std::to_string(e.sequence) + ", x'" + Hex(EncodeEvent(e)) + "');";
  }
  sql += "INSERT INTO operation_keys VALUES ('" + w.rec.id + "', " +
         std::to_string(w.events.front().revision) + ", 'alice', '" + w.rec.request_id + "', " +
         (w.rec.end_time ? std::to_string(Nanos(*w.rec.end_time)) : std::string("NULL")) +
         ");";
  return sql;
}

TEST(SqliteMigrationTest, AVersionFourFileMigratesToFiveWithItsDataIntact) {
  std::string path = (gpop::testing::TempDir("gpop-migration") / "operations.db").string();
  Written done = Operation("op-done", 1, OperationState::kSucceeded, "req-done");
  Written live = Operation("op-live", 4, OperationState::kRunning, "");
  RawExec(path, std::string(kSchemaV4) + InsertSql(done) + InsertSql(live) +
                    "INSERT INTO results VALUES ('op-done', x'" + Hex("<report/>") + "');"
                    "INSERT INTO expired (id) VALUES ('op-old-1');"
                    "INSERT INTO expired (id) VALUES ('op-old-2');"
                    "UPDATE counters SET value = 9 WHERE name = 'revision';"
                    "PRAGMA user_version=4;");

  auto store = SqliteStore::Open(path);
  ASSERT_TRUE(store.ok()) << store.status();
  ASSERT_GE(SqliteStore::SchemaVersion(), 5);  // 5 and any later migrations ran
  EXPECT_EQ(*(*store)->Pragma("user_version"), std::to_string(SqliteStore::SchemaVersion()));

  // Records, events, results, keys: as written.
  auto rec = (*store)->ReadOperation("op-done");
  ASSERT_TRUE(rec.ok()) << rec.status();
  EXPECT_EQ(rec->state, OperationState::kSucceeded);
  EXPECT_EQ(rec->labels.at("team"), "blue");
  EXPECT_EQ(rec->end_time, done.rec.end_time);
  auto events = (*store)->ReadEvents("op-done", 0, {});
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 3u);
  EXPECT_EQ(events->back().state, OperationState::kSucceeded);
  EXPECT_EQ(events->back().revision, 3u);
  EXPECT_EQ(*(*store)->ReadResult("op-done"), "<report/>");
  auto by_request = (*store)->FindRequest("alice", "req-done");
  ASSERT_TRUE(by_request.ok());
  EXPECT_EQ(by_request->id, "op-done");
  auto revisions = (*store)->ReadRevisions(0, {});
  ASSERT_TRUE(revisions.ok());
  EXPECT_EQ(revisions->size(), 5u);  // 1..3 and 4..5
  engine::Store::LoadOptions load;
  load.history = false;
  auto snap = (*store)->Load(load);
  ASSERT_TRUE(snap.ok()) << snap.status();
  ASSERT_EQ(snap->operations.size(), 1u);  // the unfinished one
  EXPECT_EQ(snap->operations[0].id, "op-live");
  ASSERT_EQ(snap->finished.size(), 1u);
  EXPECT_EQ(snap->finished[0].id, "op-done");
  EXPECT_EQ(snap->revision, 9u);
  auto listed = (*store)->ListOperations({}, 10);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].record.id, "op-live");  // newest first

  // Removed before version 5: retention's.
  EXPECT_EQ(*(*store)->RemovalOf("op-old-1"), Removal::kExpired);
  EXPECT_EQ(*(*store)->RemovalOf("op-old-2"), Removal::kExpired);
  EXPECT_EQ(*(*store)->RemovalOf("op-done"), std::nullopt);
  auto full = (*store)->Load();
  ASSERT_TRUE(full.ok());
  EXPECT_EQ(full->expired, (std::vector<std::string>{"op-old-1", "op-old-2"}));
  EXPECT_TRUE(full->deleted.empty());

  // Removed after: each keeps its reason, also once the file is opened again.
  ASSERT_TRUE((*store)->Delete("op-done", Removal::kDeleted).ok());
  EXPECT_EQ(*(*store)->RemovalOf("op-done"), Removal::kDeleted);
  EXPECT_TRUE(absl::IsNotFound((*store)->ReadOperation("op-done").status()));
  EXPECT_TRUE(absl::IsNotFound((*store)->ReadResult("op-done").status()));
  store->reset();
  auto reopened = SqliteStore::Open(path);
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  EXPECT_EQ(*(*reopened)->RemovalOf("op-done"), Removal::kDeleted);
  EXPECT_EQ(*(*reopened)->RemovalOf("op-old-1"), Removal::kExpired);
  auto live_rec = (*reopened)->ReadOperation("op-live");
  ASSERT_TRUE(live_rec.ok());
  EXPECT_EQ(live_rec->state, OperationState::kRunning);
}

}  // namespace
}  // namespace gpop::store
