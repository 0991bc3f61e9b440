// No acknowledged operation is lost in a power cut: SqliteStore on a VFS that drops every write
// not synced yet (tests/store/drop_unsynced_vfs.h). A control shows the VFS really drops.

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <set>
#include <thread>

#include "service/backends/synthetic/synthetic_backend.h"
#include "service/engine/engine.h"
#include "service/store/sqlite_store.h"
#include "tests/store/drop_unsynced_vfs.h"
#include "tests/testing/fixtures.h"

namespace gpop::store {
namespace {

std::string NewPath() { return (gpop::testing::TempDir("gpop-power") / "operations.db").string(); }

int Exec(sqlite3* db, const char* sql) { return sqlite3_exec(db, sql, nullptr, nullptr, nullptr); }

TEST(DurabilityTest, ControlTheVfsDropsUnsyncedWrites) {
  std::string path = NewPath();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                            gpop::testing::DropUnsyncedVfs()),
            SQLITE_OK);
  ASSERT_EQ(Exec(db,
                 "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                 "CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1);"),
            SQLITE_OK);
  ASSERT_EQ(Exec(db, "PRAGMA synchronous=OFF; INSERT INTO t VALUES (2);"), SQLITE_OK);
  gpop::testing::CrashDropUnsynced();
  sqlite3_close(db);
  gpop::testing::RestartDropUnsynced();
  ASSERT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT group_concat(x) FROM t", -1, &stmt, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  const unsigned char* text = sqlite3_column_text(stmt, 0);
  EXPECT_EQ(std::string(text ? reinterpret_cast<const char*>(text) : ""), "1");  // 2 was lost
  sqlite3_finalize(stmt);
  sqlite3_close(db);
}

TEST(DurabilityTest, NoAcknowledgedOperationIsLostInAPowerCut) {
  std::string path = NewPath();
  std::set<std::string> acknowledged;
  uint64_t revision = 0;
  {
    SqliteStoreOptions options;
    options.vfs = gpop::testing::DropUnsyncedVfs();
    auto store = SqliteStore::Open(path, options);
    ASSERT_TRUE(store.ok()) << store.status();
    synthetic::Script script;
    script.steps = 3;
    script.step_delay = std::chrono::milliseconds(0);
    script.messages_per_step = 1;
    synthetic::SyntheticBackend backend(script);
    engine::RealClock clock;
    auto engine =
        std::make_unique<engine::Engine>(engine::EngineOptions{}, &backend, store->get(), &clock);
    ASSERT_TRUE(engine->Recover().ok());
    std::vector<std::thread> callers;
    core::Mutex mu;
    for (int t = 0; t < 4; ++t) {
      callers.emplace_back([&, t] {
        for (int i = 0; i < 25; ++i) {
          engine::StartRequest r;
          r.principal = "p" + std::to_string(t);
          core::ReportSpec spec;
          spec.subject = core::GpoRef{"{31B2F340-016D-11D2-945F-00C04FB984F9}", ""};
          r.spec = spec;
          auto rec = engine->Start(r);
          if (!rec.ok()) continue;
          core::MutexLock lock(&mu);
          acknowledged.insert(rec->id);
        }
      });
    }
    for (std::thread& c : callers) c.join();
    revision = engine->stats().revision;
    // The power goes while operations run and commit.
    gpop::testing::CrashDropUnsynced();
    engine->Shutdown(engine::Duration::zero());
    engine.reset();
    store->reset();
    gpop::testing::RestartDropUnsynced();
  }
  ASSERT_EQ(acknowledged.size(), 100u);
  auto store = SqliteStore::Open(path);
  ASSERT_TRUE(store.ok()) << store.status();
  auto snap = (*store)->Load();
  ASSERT_TRUE(snap.ok()) << snap.status();
  std::set<std::string> found;
  for (const engine::OperationRecord& rec : snap->operations) found.insert(rec.id);
  for (const std::string& id : acknowledged) EXPECT_EQ(found.count(id), 1u) << id << " lost";
  // Every stored event belongs to an operation with a gap-free log.
  std::map<std::string, uint64_t> last;
  for (const engine::Event& ev : snap->events) {
    EXPECT_EQ(ev.sequence, last[ev.operation_id] + 1) << ev.operation_id;
    last[ev.operation_id] = ev.sequence;
  }
  EXPECT_LE(snap->revision, revision + 1000);
  // And the engine recovers from it.
  synthetic::SyntheticBackend backend;
  engine::RealClock clock;
  engine::Engine engine(engine::EngineOptions{}, &backend, store->get(), &clock);
  EXPECT_TRUE(engine.Recover().ok());
  engine.Shutdown(std::chrono::seconds(5));
}

}  // namespace
}  // namespace gpop::store
