// What SqliteStore::Open checks of a file, whatever its size (the first and last entry of every
// table and index, not PRAGMA quick_check over every page), what is found later (a damaged page
// in the middle of a tree: DATA_LOSS of the read that needs it, the file left as it was), and
// the key backfill that migration 7 runs once instead of every open.

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "service/store/record_codec.h"
#include "service/store/sqlite_store.h"
#include "tests/testing/fixtures.h"

namespace gpop::store {
namespace {

using engine::Event;
using engine::OperationRecord;

std::string NewPath() {
  return (gpop::testing::TempDir("gpop-sqlite-open") / "operations.db").string();
}

engine::Store::Change Queued(int i) {
  OperationRecord r;
  r.id = "op" + std::to_string(100000 + i);
  r.state = core::OperationState::kQueued;
  core::BackupSpec spec;
  spec.gpo.guid = "{AAAAAAAA-0000-0000-0000-000000000001}";
  spec.comment = std::string(200, 'c');
  r.spec = spec;
  r.principal = "alice";
  r.request_id = "req-" + std::to_string(i);
  r.last_sequence = 1;
  r.revision = static_cast<uint64_t>(i);
  Event e;
  e.operation_id = r.id;
  e.sequence = 1;
  e.revision = r.revision;
  e.state = r.state;
  e.messages.push_back({});
  e.messages.back().message = std::string(300, 'm');
  return {r, e};
}

// A closed, checkpointed store file of `n` operations (one event each).
std::string FileOf(int n) {
  std::string path = NewPath();
  {
    auto store = SqliteStore::Open(path);
    EXPECT_TRUE(store.ok()) << store.status();
    std::vector<engine::Store::Change> batch;
    for (int i = 1; i <= n; ++i) batch.push_back(Queued(i));
    EXPECT_TRUE((*store)->Commit(batch).ok());
  }
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  EXPECT_EQ(sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  return path;
}

// The leaf pages of b-tree `tree` (SQLite's dbstat), in key order.
std::vector<int64_t> LeavesOf(const std::string& path, const std::string& tree) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db,
                               "SELECT pageno FROM dbstat WHERE name = ?1 AND pagetype = 'leaf'"
                               " ORDER BY path",
                               -1, &stmt, nullptr),
            SQLITE_OK);
  sqlite3_bind_text(stmt, 1, tree.c_str(), -1, SQLITE_TRANSIENT);
  std::vector<int64_t> pages;
  while (sqlite3_step(stmt) == SQLITE_ROW) pages.push_back(sqlite3_column_int64(stmt, 0));
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return pages;
}

std::string Bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Overwrites page `page` (1-based, 4 KiB pages) with garbage.
void Damage(const std::string& path, int64_t page) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp((page - 1) * 4096);
  std::string junk(4096, '\xA5');
  f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
}

TEST(SqliteOpenCheckTest, ADamagedRootOrEndOfAnyTreeStopsTheOpen) {
  // Every tree's root page, and the last leaf of the largest ones, each damaged in a file of
  // its own: Open is DATA_LOSS naming the file (and the tree), and leaves the file as it was.
  const std::string pristine = FileOf(2000);
  const std::string bytes = Bytes(pristine);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(pristine.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT name, rootpage FROM sqlite_master WHERE rootpage > 1",
                               -1, &stmt, nullptr),
            SQLITE_OK);
  std::vector<std::pair<std::string, int64_t>> pages;
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    pages.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)),
                       sqlite3_column_int64(stmt, 1));
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  ASSERT_GE(pages.size(), 10u);
  for (const char* tree : {"operations", "events", "operation_keys", "events_by_operation"}) {
    std::vector<int64_t> leaves = LeavesOf(pristine, tree);
    ASSERT_GE(leaves.size(), 3u) << tree;
    pages.emplace_back(std::string(tree) + " (last leaf)", leaves.back());
    pages.emplace_back(std::string(tree) + " (first leaf)", leaves.front());
  }
  for (const auto& [tree, page] : pages) {
    const std::string path = NewPath();
    {
      std::ofstream out(path, std::ios::binary);
      out << bytes;
    }
    Damage(path, page);
    const std::string damaged = Bytes(path);
    auto store = SqliteStore::Open(path);
    ASSERT_FALSE(store.ok()) << tree << " page " << page << " damaged, yet the file opened";
    EXPECT_EQ(store.status().code(), absl::StatusCode::kDataLoss) << tree << ": " << store.status();
    EXPECT_NE(store.status().message().find(path), std::string::npos) << store.status();
    EXPECT_EQ(Bytes(path), damaged) << tree << ": the file was changed";
  }
}

TEST(SqliteOpenCheckTest, DamageInTheMiddleOfATreeIsDataLossOfTheReadThatMeetsIt) {
  const std::string path = FileOf(3000);
  std::vector<int64_t> leaves = LeavesOf(path, "events");
  ASSERT_GE(leaves.size(), 10u);
  Damage(path, leaves[leaves.size() / 2]);
  const std::string damaged = Bytes(path);
  // Not read at open, nor by a Load of the newest events: the store opens and loads...
  auto store = SqliteStore::Open(path);
  ASSERT_TRUE(store.ok()) << store.status();
  engine::Store::LoadOptions load;
  load.history = false;
  load.max_events = 10;
  auto snap = (*store)->Load(load);
  ASSERT_TRUE(snap.ok()) << snap.status();
  EXPECT_EQ(snap->operations.size(), 3000u);
  // ...and the reads that meet the page fail with DATA_LOSS, the others go on.
  int lost = 0, read = 0;
  for (int i = 1; i <= 3000; ++i) {
    auto events = (*store)->ReadEvents(Queued(i).record.id, 0, {100, 1 << 20});
    if (events.ok()) {
      ++read;
      continue;
    }
    EXPECT_EQ(events.status().code(), absl::StatusCode::kDataLoss) << events.status();
    ++lost;
  }
  EXPECT_GT(lost, 0);
  EXPECT_GT(read, 2000);
  auto all = (*store)->ReadRevisions(0, {100000, size_t{1} << 30});
  EXPECT_EQ(all.status().code(), absl::StatusCode::kDataLoss) << all.status();
  EXPECT_TRUE((*store)->ReadOperation(Queued(1).record.id).ok());
  store->reset();
  EXPECT_EQ(Bytes(path), damaged);  // never reset, never repaired behind the operator's back
}

TEST(SqliteOpenCheckTest, DamageInTheKeysStopsTheLoadOfAStartUp) {
  // gpopd's start-up reads every operation key (Load): a damaged one is DATA_LOSS there, so
  // recovery fails with that error instead of starting without those operations.
  const std::string path = FileOf(3000);
  std::vector<int64_t> leaves = LeavesOf(path, "operation_keys");
  ASSERT_GE(leaves.size(), 5u);
  Damage(path, leaves[leaves.size() / 2]);
  auto store = SqliteStore::Open(path);
  ASSERT_TRUE(store.ok()) << store.status();
  engine::Store::LoadOptions load;
  load.history = false;
  load.max_events = 10;
  auto snap = (*store)->Load(load);
  EXPECT_EQ(snap.status().code(), absl::StatusCode::kDataLoss) << snap.status();
}

int64_t KeyRows(const std::string& path) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, "SELECT count(*) FROM operation_keys", -1, &stmt, nullptr),
            SQLITE_OK);
  EXPECT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  int64_t n = sqlite3_column_int64(stmt, 0);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return n;
}

void Raw(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* err = nullptr;
  EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK) << err;
  sqlite3_free(err);
  sqlite3_close(db);
}

TEST(SqliteOpenCheckTest, KeysAreBackfilledOnceByTheMigrationNotAtEveryOpen) {
  const std::string path = FileOf(50);
  ASSERT_EQ(KeyRows(path), 50);
  // A file one version older whose records lack their keys (as a schema-3 file's): migration
  // 7 fills them in, finished ones with their end.
  Raw(path,
      "DELETE FROM operation_keys; DROP INDEX audit_finish_by_revision; PRAGMA user_version=6;");
  {
    auto store = SqliteStore::Open(path);
    ASSERT_TRUE(store.ok()) << store.status();
    EXPECT_EQ(*(*store)->Pragma("user_version"), std::to_string(SqliteStore::SchemaVersion()));
    auto found = (*store)->FindRequest("alice", "req-7");
    ASSERT_TRUE(found.ok()) << found.status();
    EXPECT_EQ(found->id, Queued(7).record.id);
    auto listed = (*store)->ListOperations(engine::Store::ListPosition{}, 100);
    ASSERT_TRUE(listed.ok()) << listed.status();
    EXPECT_EQ(listed->size(), 50u);
  }
  EXPECT_EQ(KeyRows(path), 50);
  // At the current version Open no longer looks for records without keys (that scan read
  // every record at every start): a key removed behind its back stays missing.
  Raw(path, "DELETE FROM operation_keys WHERE id = '" + Queued(7).record.id + "'");
  {
    auto store = SqliteStore::Open(path);
    ASSERT_TRUE(store.ok()) << store.status();
  }
  EXPECT_EQ(KeyRows(path), 49);
}

TEST(SqliteOpenCheckTest, TheAuditRecordersResumePointIsReadByIndex) {
  // SqliteAuditLog::LastFinishRevision's query, at every start: by the partial index of
  // migration 7, not a scan of every audit entry.
  const std::string path = FileOf(1);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(
      sqlite3_prepare_v2(
          db, "EXPLAIN QUERY PLAN SELECT coalesce(max(revision), 0) FROM audit WHERE action = 4",
          -1, &stmt, nullptr),
      SQLITE_OK);
  std::string plan;
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    plan += reinterpret_cast<const char*>(sqlite3_column_text(stmt, 3));
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  EXPECT_NE(plan.find("USING INDEX audit_finish_by_revision"), std::string::npos) << plan;
}

}  // namespace
}  // namespace gpop::store
