// SqliteStore beyond the conformance suite: the file's settings, its schema version, and what
// happens with damaged, foreign, newer and full files.

#include "service/store/sqlite_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>

#include "service/store/record_codec.h"
#include "tests/testing/fixtures.h"

namespace gpop::store {
namespace {

using engine::Event;
using engine::OperationRecord;

std::string NewPath() { return (gpop::testing::TempDir("gpop-sqlite") / "operations.db").string(); }

OperationRecord Queued(const std::string& id, uint64_t revision, size_t comment_bytes = 0) {
  OperationRecord r;
  r.id = id;
  r.state = core::OperationState::kQueued;
  core::BackupSpec spec;
  spec.gpo.guid = "{AAAAAAAA-0000-0000-0000-000000000001}";
  spec.comment = std::string(comment_bytes, 'c');
  r.spec = spec;
  r.last_sequence = 1;
  r.revision = revision;
  return r;
}

engine::Store::Change ChangeOf(const OperationRecord& r) {
  Event e;
  e.operation_id = r.id;
  e.sequence = r.last_sequence;
  e.revision = r.revision;
  e.state = r.state;
  return {r, e};
}

// Runs raw SQL on a file with a connection of its own.
void RawExec(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* err = nullptr;
  EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK) << err;
  sqlite3_free(err);
  sqlite3_close(db);
}

TEST(SqliteStoreTest, WalAndSynchronousFull) {
  auto store = SqliteStore::Open(NewPath());
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ(*(*store)->Pragma("journal_mode"), "wal");
  EXPECT_EQ(*(*store)->Pragma("synchronous"), "2");  // FULL
  EXPECT_EQ(*(*store)->Pragma("auto_vacuum"), "2");  // INCREMENTAL
  EXPECT_EQ(*(*store)->Pragma("user_version"), std::to_string(SqliteStore::SchemaVersion()));
}

TEST(SqliteStoreTest, NewerSchemaIsRefused) {
  std::string path = NewPath();
  ASSERT_TRUE(SqliteStore::Open(path).ok());
  RawExec(path, "PRAGMA user_version=" + std::to_string(SqliteStore::SchemaVersion() + 1));
  auto store = SqliteStore::Open(path);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(store.status().message().find("newer"), std::string::npos) << store.status();
  EXPECT_NE(store.status().message().find(path), std::string::npos) << store.status();
}

TEST(SqliteStoreTest, ForeignDatabaseIsRefusedAndLeftAlone) {
  std::string path = NewPath();
  RawExec(path, "CREATE TABLE customers (name TEXT); INSERT INTO customers VALUES ('x');");
  auto store = SqliteStore::Open(path);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition) << store.status();
  EXPECT_NE(store.status().message().find("another program"), std::string::npos);
  RawExec(path, "SELECT name FROM customers");  // still there, untouched
}

TEST(SqliteStoreTest, NotADatabaseIsDataLoss) {
  std::string path = NewPath();
  {
    std::ofstream out(path, std::ios::binary);
    out << std::string(8192, 'Z');
  }
  auto store = SqliteStore::Open(path);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kDataLoss) << store.status();
  std::ifstream in(path, std::ios::binary);
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(content, std::string(8192, 'Z'));  // never silently reset
}

TEST(SqliteStoreTest, DamagedPagesAreDataLoss) {
  std::string path = NewPath();
  {
    auto store = SqliteStore::Open(path);
    ASSERT_TRUE(store.ok());
    std::vector<engine::Store::Change> batch;
    for (int i = 1; i <= 200; ++i)
      batch.push_back(ChangeOf(Queued("op" + std::to_string(i), i, 500)));
    ASSERT_TRUE((*store)->Commit(batch).ok());
  }
  RawExec(path, "PRAGMA wal_checkpoint(TRUNCATE)");
  {
    // Overwrite the middle of the file (past the header page) with garbage.
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(4096 * 3);
    std::string junk(4096 * 4, '\xA5');
    f.write(junk.data(), junk.size());
  }
  auto store = SqliteStore::Open(path);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kDataLoss) << store.status();
}

TEST(SqliteStoreTest, StoredBytesThatAreNotARecordAreDataLoss) {
  EXPECT_EQ(DecodeRecord("\x01\x05").status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(DecodeEvent("").status().code(), absl::StatusCode::kDataLoss);
  std::string good = EncodeRecord(Queued("x", 1));
  EXPECT_TRUE(DecodeRecord(good).ok());
  EXPECT_FALSE(DecodeRecord(good.substr(0, good.size() - 1)).ok());
  EXPECT_FALSE(DecodeRecord(good + "x").ok());
}

TEST(SqliteStoreTest, DiskFullFailsTheBatchAndKeepsWhatWasThere) {
  SqliteStoreOptions options;
  options.max_page_count = 40;
  auto store = SqliteStore::Open(NewPath(), options);
  ASSERT_TRUE(store.ok()) << store.status();
  ASSERT_TRUE((*store)->Commit({ChangeOf(Queued("first", 1))}).ok());
  // A batch larger than the file may grow: RESOURCE_EXHAUSTED, nothing of it written.
  std::vector<engine::Store::Change> big;
  for (int i = 2; i < 40; ++i) big.push_back(ChangeOf(Queued("op" + std::to_string(i), i, 4000)));
  absl::Status s = (*store)->Commit(big);
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted) << s;
  auto snap = (*store)->Load();  // reads keep working
  ASSERT_TRUE(snap.ok()) << snap.status();
  ASSERT_EQ(snap->operations.size(), 1u);
  EXPECT_EQ(snap->operations[0].id, "first");
  EXPECT_EQ(snap->revision, 1u);
  // Small writes succeed again once there is room.
  EXPECT_TRUE((*store)->Commit({ChangeOf(Queued("second", 2))}).ok());
}

TEST(SqliteStoreTest, RetentionGivesSpaceBack) {
  std::string path = NewPath();
  auto store = SqliteStore::Open(path);
  ASSERT_TRUE(store.ok());
  for (int i = 1; i <= 300; ++i) {
    ASSERT_TRUE((*store)->Commit({ChangeOf(Queued("op" + std::to_string(i), i, 4000))}).ok());
  }
  int64_t full = std::stoll(*(*store)->Pragma("page_count"));
  for (int i = 1; i <= 300; ++i)
    ASSERT_TRUE((*store)->Delete("op" + std::to_string(i), engine::Removal::kExpired).ok());
  int64_t after = std::stoll(*(*store)->Pragma("page_count"));
  EXPECT_LT(after * 4, full) << "pages before " << full << ", after " << after;
}

TEST(SqliteStoreTest, SchemaOneFileMigratesAndKeepsItsOperations) {
  // A file as the first schema left it: operations and events, no results table.
  std::string path = NewPath();
  OperationRecord r = Queued("op1", 1);
  std::string record = EncodeRecord(r);
  std::string hex;
  for (unsigned char c : record) {
    static constexpr char kHex[] = "0123456789abcdef";
    hex += kHex[c >> 4];
    hex += kHex[c & 15];
  }
  RawExec(path,
          "PRAGMA application_id=1735421808;"
          "CREATE TABLE operations (id TEXT PRIMARY KEY, record BLOB NOT NULL) WITHOUT ROWID;"
          "CREATE TABLE events (revision INTEGER PRIMARY KEY, operation_id TEXT NOT NULL,"
          " sequence INTEGER NOT NULL, event BLOB NOT NULL);"
          "CREATE UNIQUE INDEX events_by_operation ON events (operation_id, sequence);"
          "CREATE TABLE expired (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE);"
          "CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;"
          "INSERT INTO counters VALUES ('revision', 1);"
          "INSERT INTO operations VALUES ('op1', x'" +
              hex +
              "');"
              "PRAGMA user_version=1;");
  auto store = SqliteStore::Open(path);
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ(*(*store)->Pragma("user_version"), std::to_string(SqliteStore::SchemaVersion()));
  auto snap = (*store)->Load();
  ASSERT_TRUE(snap.ok()) << snap.status();
  ASSERT_EQ(snap->operations.size(), 1u);
  EXPECT_EQ(snap->operations[0].id, "op1");
  EXPECT_EQ(snap->revision, 1u);
  // The new table is there: a result can be stored and read back.
  OperationRecord done = r;
  done.state = core::OperationState::kSucceeded;
  done.last_sequence = 2;
  done.revision = 2;
  engine::Store::Change change = ChangeOf(done);
  change.result_content = std::make_shared<const std::string>("<report/>");
  ASSERT_TRUE((*store)->Commit({change}).ok());
  EXPECT_EQ(*(*store)->ReadResult("op1"), "<report/>");
}

TEST(SqliteStoreTest, RetentionGivesTheSpaceOfResultsBack) {
  std::string path = NewPath();
  auto store = SqliteStore::Open(path);
  ASSERT_TRUE(store.ok());
  for (int i = 1; i <= 20; ++i) {
    engine::Store::Change change = ChangeOf(Queued("op" + std::to_string(i), i));
    change.result_content = std::make_shared<const std::string>(200000, 'r');
    ASSERT_TRUE((*store)->Commit({change}).ok());
  }
  int64_t full = std::stoll(*(*store)->Pragma("page_count"));
  for (int i = 1; i <= 20; ++i)
    ASSERT_TRUE((*store)->Delete("op" + std::to_string(i), engine::Removal::kExpired).ok());
  // Deletes give pages back in batches (incremental vacuum every 64): force one here.
  for (int i = 21; i <= 84; ++i)
    ASSERT_TRUE((*store)->Delete("op" + std::to_string(i), engine::Removal::kExpired).ok());
  int64_t after = std::stoll(*(*store)->Pragma("page_count"));
  EXPECT_LT(after * 4, full) << "pages before " << full << ", after " << after;
}

// A change of `r` to `state` at `sequence` and `revision` (the end time set when terminal).
engine::Store::Change Moved(OperationRecord r, core::OperationState state, uint64_t sequence,
                            uint64_t revision) {
  r.state = state;
  r.last_sequence = sequence;
  r.revision = revision;
  if (core::IsTerminal(state)) r.end_time = engine::Time(std::chrono::seconds(revision));
  return ChangeOf(r);
}

TEST(SqliteStoreTest, CommitsCompileNoStatement) {
  auto store = SqliteStore::Open(NewPath());
  ASSERT_TRUE(store.ok()) << store.status();
  uint64_t revision = 0;
  auto life = [&](int i) {
    OperationRecord r = Queued("op-" + std::to_string(i), ++revision);
    ASSERT_TRUE((*store)->Commit({ChangeOf(r)}).ok());
    ASSERT_TRUE((*store)->Commit({Moved(r, core::OperationState::kRunning, 2, ++revision)}).ok());
    ASSERT_TRUE((*store)->Commit({Moved(r, core::OperationState::kSucceeded, 3, ++revision)}).ok());
  };
  life(0);  // BEGIN and COMMIT are compiled by the first transaction
  const int64_t warm = (*store)->StatementsCompiled();
  for (int i = 1; i <= 5; ++i) life(i);
  EXPECT_EQ((*store)->StatementsCompiled(), warm);
}

TEST(SqliteStoreTest, KeysKeepTheirCreationOrderAndTakeTheEndTime) {
  std::string path = NewPath();
  auto store = SqliteStore::Open(path);
  ASSERT_TRUE(store.ok()) << store.status();
  OperationRecord a = Queued("op-a", 1);
  a.request_id = "req-a";
  OperationRecord b = Queued("op-b", 2);
  ASSERT_TRUE((*store)->Commit({ChangeOf(a)}).ok());
  ASSERT_TRUE((*store)->Commit({ChangeOf(b)}).ok());
  // a runs (a batch that neither creates nor ends it), then ends; b runs and ends in one batch.
  ASSERT_TRUE((*store)->Commit({Moved(a, core::OperationState::kRunning, 2, 3)}).ok());
  ASSERT_TRUE((*store)->Commit({Moved(a, core::OperationState::kSucceeded, 3, 4)}).ok());
  ASSERT_TRUE((*store)
                  ->Commit({Moved(b, core::OperationState::kRunning, 2, 5),
                            Moved(b, core::OperationState::kFailed, 3, 6)})
                  .ok());
  // Created, run and ended in one batch.
  OperationRecord c = Queued("op-c", 7);
  ASSERT_TRUE(
      (*store)->Commit({ChangeOf(c), Moved(c, core::OperationState::kCancelled, 2, 8)}).ok());
  auto listed = (*store)->ListOperations({}, 10);
  ASSERT_TRUE(listed.ok()) << listed.status();
  ASSERT_EQ(listed->size(), 3u);
  EXPECT_EQ((*listed)[0].record.id, "op-c");
  EXPECT_EQ((*listed)[0].position.create_revision, 7u);
  EXPECT_EQ((*listed)[1].record.id, "op-b");
  EXPECT_EQ((*listed)[1].position.create_revision, 2u);
  EXPECT_EQ((*listed)[2].record.id, "op-a");
  EXPECT_EQ((*listed)[2].position.create_revision, 1u);
  EXPECT_EQ((*listed)[2].record.state, core::OperationState::kSucceeded);
  auto found = (*store)->FindRequest("", "req-a");
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(found->id, "op-a");
  // Recovery loads none of them (all ended) and lists them by end time.
  store->reset();
  auto reopened = SqliteStore::Open(path);
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  engine::Store::LoadOptions options;
  options.history = false;
  auto snap = (*reopened)->Load(options);
  ASSERT_TRUE(snap.ok()) << snap.status();
  EXPECT_TRUE(snap->operations.empty());
  ASSERT_EQ(snap->finished.size(), 3u);
  EXPECT_EQ(snap->finished[0].id, "op-a");
  EXPECT_EQ(snap->finished[1].id, "op-b");
  EXPECT_EQ(snap->finished[2].id, "op-c");
}

TEST(SqliteStoreTest, CheckpointsRunOffTheCommittingThreadAndKeepTheWalBounded) {
  std::string path = NewPath();
  SqliteStoreOptions options;
  options.checkpoint_pages = 20;
  auto store = SqliteStore::Open(path, options);
  ASSERT_TRUE(store.ok()) << store.status();
  sqlite::Checkpointer* checkpointer = (*store)->checkpointer();
  ASSERT_NE(checkpointer, nullptr);
  std::uintmax_t largest_wal = 0;
  for (uint64_t i = 1; i <= 300; ++i) {
    ASSERT_TRUE((*store)->Commit({ChangeOf(Queued("op-" + std::to_string(i), i, 200))}).ok());
    checkpointer->WaitIdle();
    largest_wal = std::max(largest_wal, std::filesystem::file_size(path + "-wal"));
  }
  EXPECT_GT(checkpointer->checkpoints(), 0);
  // None on the committing thread (its backstop is 4 x checkpoint_pages).
  EXPECT_EQ(checkpointer->inline_checkpoints(), 0);
  // About checkpoint_pages pages and one commit's: the WAL starts over after a checkpoint.
  EXPECT_LT(largest_wal, 40u * (4096 + 24) + 32) << largest_wal;
  auto snap = (*store)->Load();
  ASSERT_TRUE(snap.ok()) << snap.status();
  EXPECT_EQ(snap->operations.size(), 300u);
}

}  // namespace
}  // namespace gpop::store
