// The engine over SqliteStore across restarts: a crash (the file as it was at some moment,
// copied by SQLite while the first engine runs) and planned shutdowns. What comes back, what
// runs again, and which numbers are never reused.

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <memory>
#include <thread>

#include "service/engine/engine.h"
#include "service/engine/status_convert.h"
#include "service/store/sqlite_store.h"
#include "tests/engine/cursor_testing.h"
#include "tests/engine/gate_backend.h"
#include "tests/testing/fixtures.h"

namespace gpop::store {
namespace {

using core::OperationState;
using engine::Cursor;
using engine::Duration;
using engine::Engine;
using engine::EngineOptions;
using engine::Event;
using engine::OperationRecord;
using engine::StartRequest;
using gpop::testing::GateBackend;
using gpop::testing::NextBlocking;

constexpr char kGpoA[] = "{AAAAAAAA-0000-0000-0000-000000000001}";
constexpr char kGpoB[] = "{BBBBBBBB-0000-0000-0000-000000000002}";
constexpr char kGpoC[] = "{CCCCCCCC-0000-0000-0000-000000000003}";

StartRequest Backup(const std::string& guid, const std::string& request_id = "") {
  StartRequest r;
  r.principal = "alice";
  r.request_id = request_id;
  r.fingerprint = "fp-" + guid;
  core::BackupSpec spec;
  spec.gpo.guid = guid;
  r.spec = spec;
  return r;
}

StartRequest Report(const std::string& guid) {
  StartRequest r = Backup(guid);
  core::ReportSpec spec;
  spec.subject = core::GpoRef{guid, ""};
  r.spec = spec;
  return r;
}

// Every event of a status stream after `after`, until it ends.
std::vector<Event> Drain(Engine* engine, const std::string& id, uint64_t after = 0) {
  std::vector<Event> events;
  auto cursor = engine->OpenStatusStream("alice", id, after);
  EXPECT_TRUE(cursor.ok()) << cursor.status();
  if (!cursor.ok()) return events;
  for (;;) {
    Cursor::Next next = NextBlocking(cursor->get());
    if (std::holds_alternative<Cursor::End>(next)) return events;
    if (auto* ev = std::get_if<Event>(&std::get<engine::StreamItem>(next))) events.push_back(*ev);
  }
}

// Reads the status stream until the operation's state is `state` (durable: streams see only
// stored events).
void WaitForState(Engine* engine, const std::string& id, OperationState state) {
  auto cursor = engine->OpenStatusStream("alice", id, 0);
  ASSERT_TRUE(cursor.ok()) << cursor.status();
  for (;;) {
    Cursor::Next next = NextBlocking(cursor->get());
    ASSERT_FALSE(std::holds_alternative<Cursor::End>(next)) << "ended before the state";
    auto* ev = std::get_if<Event>(&std::get<engine::StreamItem>(next));
    if (ev != nullptr && ev->state == state) return;
  }
}

// What a crash at this moment leaves: SQLite copies the committed content of `from`.
void CopyCommitted(const std::string& from, const std::string& to) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(from.c_str(), &db), SQLITE_OK);
  std::string sql = "VACUUM INTO '" + to + "'";
  char* err = nullptr;
  EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK) << err;
  sqlite3_free(err);
  sqlite3_close(db);
}

class RestartTest : public ::testing::Test {
 protected:
  std::unique_ptr<SqliteStore> OpenStore(const std::string& path) {
    auto s = SqliteStore::Open(path);
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? std::move(*s) : nullptr;
  }
  std::string dir_ = gpop::testing::TempDir("gpop-restart").string();
  std::string path_ = dir_ + "/operations.db";
  engine::FakeClock clock_;
};

TEST_F(RestartTest, CrashRecoversEveryState) {
  std::string crashed = dir_ + "/crashed.db";
  OperationRecord done, running, cancelling, queued;
  uint64_t revision = 0;
  std::vector<Event> done_events;
  {
    GateBackend backend;
    auto store = OpenStore(path_);
    EngineOptions o;
    o.executor_threads = 2;
    Engine first(o, &backend, store.get(), &clock_);
    ASSERT_TRUE(first.Recover().ok());
    done = *first.Start(Backup(kGpoA));
    backend.Open(done.id);
    done_events = Drain(&first, done.id);
    ASSERT_EQ(done_events.back().state, OperationState::kSucceeded);
    backend.set_stop_on_cancel(false);
    running = *first.Start(Backup(kGpoA));
    cancelling = *first.Start(Report(kGpoB));  // reads only: runs beside the backup
    WaitForState(&first, running.id, OperationState::kRunning);
    WaitForState(&first, cancelling.id, OperationState::kRunning);
    ASSERT_TRUE(first.Cancel("tester", cancelling.id).ok());
    WaitForState(&first, cancelling.id, OperationState::kCancelling);
    queued = *first.Start(Backup(kGpoC));  // both executor threads are busy
    revision = first.stats().revision;
    CopyCommitted(path_, crashed);
    backend.Open(running.id);
    backend.Open(cancelling.id);
    backend.Open(queued.id);
    first.Shutdown(Duration::zero());
  }
  GateBackend backend;
  auto store = OpenStore(crashed);
  Engine second(EngineOptions{}, &backend, store.get(), &clock_);
  ASSERT_TRUE(second.Recover().ok());

  // Finished: there, with the same events.
  std::vector<Event> again = Drain(&second, done.id);
  ASSERT_EQ(again.size(), done_events.size());
  for (size_t i = 0; i < again.size(); ++i) {
    EXPECT_EQ(again[i].sequence, done_events[i].sequence);
    EXPECT_EQ(again[i].revision, done_events[i].revision);
    EXPECT_EQ(again[i].state, done_events[i].state);
  }
  // Running (no intent to roll forward): FAILED, SERVER_RESTARTED, effects NONE. Recovery may
  // settle it after Recover returns: wait for its terminal event on its stream.
  Drain(&second, running.id);
  auto r = second.Get("tester", running.id);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->state, OperationState::kFailed);
  EXPECT_EQ(r->error->reason, core::reason::kServerRestarted);
  EXPECT_EQ(r->effects, core::Effects::kNone);
  // Cancelling: CANCELLED.
  Drain(&second, cancelling.id);
  EXPECT_EQ(second.Get("tester", cancelling.id)->state, OperationState::kCancelled);
  // Queued: runs now, its sequence numbers continue, its revisions are new.
  backend.WaitStarted(queued.id);
  backend.Open(queued.id);
  std::vector<Event> q = Drain(&second, queued.id);
  ASSERT_GE(q.size(), 3u);
  for (size_t i = 0; i < q.size(); ++i) EXPECT_EQ(q[i].sequence, i + 1);
  EXPECT_EQ(q.back().state, OperationState::kSucceeded);
  EXPECT_LE(q[0].revision, revision);  // the QUEUED event from before the crash
  EXPECT_GT(q[1].revision, revision);  // never reused
  // A status stream resumes from the sequence a client last saw.
  std::vector<Event> rest = Drain(&second, queued.id, 1);
  ASSERT_EQ(rest.size(), q.size() - 1);
  EXPECT_EQ(rest[0].sequence, 2u);
  second.Shutdown(Duration::zero());
}

TEST_F(RestartTest, RequestIdAndExpiredIdsSurvive) {
  OperationRecord kept, removed;
  uint64_t revision = 0;
  {
    GateBackend backend;
    auto store = OpenStore(path_);
    Engine first(EngineOptions{}, &backend, store.get(), &clock_);
    ASSERT_TRUE(first.Recover().ok());
    kept = *first.Start(Backup(kGpoA, "req-1"));
    removed = *first.Start(Backup(kGpoB));
    backend.Open(kept.id);
    backend.Open(removed.id);
    Drain(&first, kept.id);
    Drain(&first, removed.id);
    ASSERT_TRUE(first.Delete("tester", removed.id).ok());
    revision = first.stats().revision;
    first.Shutdown(Duration::zero());
  }
  GateBackend backend;
  auto store = OpenStore(path_);
  Engine second(EngineOptions{}, &backend, store.get(), &clock_);
  ASSERT_TRUE(second.Recover().ok());
  // The same request_id and request: the same operation, not a new one.
  auto retried = second.Start(Backup(kGpoA, "req-1"));
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_EQ(retried->id, kept.id);
  // The same request_id with another request: REQUEST_ID_REUSED.
  auto reused = second.Start(Backup(kGpoC, "req-1"));
  EXPECT_EQ(engine::ToError(reused.status()).reason, core::reason::kRequestIdReused);
  // Deleted before the restart: still OPERATION_DELETED (not retention's OPERATION_EXPIRED,
  // not "never existed"), for every call that names it.
  EXPECT_EQ(engine::ToError(second.Get("tester", removed.id).status()).reason,
            core::reason::kOperationDeleted);
  EXPECT_EQ(engine::ToError(second.Cancel("tester", removed.id).status()).reason,
            core::reason::kOperationDeleted);
  EXPECT_EQ(engine::ToError(second.OpenStatusStream("tester", removed.id, 0).status()).reason,
            core::reason::kOperationDeleted);
  EXPECT_TRUE(absl::IsNotFound(second.Get("tester", removed.id).status()));
  // Revisions go on from the highest ever assigned, though the removed events are gone.
  auto fresh = second.Start(Backup(kGpoC));
  ASSERT_TRUE(fresh.ok());
  EXPECT_GT(fresh->revision, revision);
  backend.Open(fresh->id);
  Drain(&second, fresh->id);
  second.Shutdown(Duration::zero());
}

TEST_F(RestartTest, PlannedShutdownKeepsQueuedOperationsForTheRestart) {
  OperationRecord running, queued;
  {
    GateBackend backend;
    auto store = OpenStore(path_);
    EngineOptions o;
    o.executor_threads = 1;
    Engine first(o, &backend, store.get(), &clock_);
    ASSERT_TRUE(first.Recover().ok());
    running = *first.Start(Backup(kGpoA));
    backend.WaitStarted(running.id);
    queued = *first.Start(Backup(kGpoB));
    std::thread stopper([&] { first.Shutdown(std::chrono::seconds(30)); });
    while (first.serving()) std::this_thread::yield();  // Shutdown began
    backend.Open(running.id);  // finishes within the grace; the queued one is not started
    stopper.join();
    EXPECT_FALSE(backend.started(queued.id));
  }
  GateBackend backend;
  auto store = OpenStore(path_);
  Engine second(EngineOptions{}, &backend, store.get(), &clock_);
  ASSERT_TRUE(second.Recover().ok());
  EXPECT_EQ(second.Get("tester", running.id)->state, OperationState::kSucceeded);
  backend.WaitStarted(queued.id);
  backend.Open(queued.id);
  std::vector<Event> q = Drain(&second, queued.id);
  ASSERT_FALSE(q.empty());
  EXPECT_EQ(q.back().state, OperationState::kSucceeded);
  EXPECT_EQ(q.front().state, OperationState::kQueued);
  second.Shutdown(Duration::zero());
}

TEST_F(RestartTest, DiskFullFailsTheRequestKeepsReadsAndShutsDown) {
  SqliteStoreOptions options;
  options.max_page_count = 24;
  auto opened = SqliteStore::Open(path_, options);
  ASSERT_TRUE(opened.ok()) << opened.status();
  GateBackend backend;
  Engine engine(EngineOptions{}, &backend, opened->get(), &clock_);
  ASSERT_TRUE(engine.Recover().ok());
  OperationRecord first = *engine.Start(Backup(kGpoA));
  backend.Open(first.id);
  Drain(&engine, first.id);
  // Requests with big labels fill the file: the one that does not fit fails cleanly.
  absl::Status failed;
  for (int i = 0; i < 200 && failed.ok(); ++i) {
    StartRequest r = Report(kGpoB);
    r.labels["big"] = std::string(16000, 'x');
    auto rec = engine.Start(r);
    if (!rec.ok()) failed = rec.status();
    if (rec.ok()) backend.Open(rec->id);
  }
  ASSERT_FALSE(failed.ok()) << "the file never filled";
  EXPECT_EQ(failed.code(), absl::StatusCode::kUnavailable) << failed;
  EXPECT_NE(failed.message().find("full"), std::string::npos) << failed;
  EXPECT_FALSE(engine.serving());             // readiness NOT_SERVING while writes fail
  auto got = engine.Get("tester", first.id);  // reads keep working
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->state, OperationState::kSucceeded);
  EXPECT_TRUE(engine.List({}).ok());
  engine.Shutdown(std::chrono::seconds(30));  // completes
}

TEST_F(RestartTest, WatchResumesFromTheLastRevisionSeen) {
  uint64_t seen = 0;
  {
    GateBackend backend;
    auto store = OpenStore(path_);
    Engine first(EngineOptions{}, &backend, store.get(), &clock_);
    ASSERT_TRUE(first.Recover().ok());
    OperationRecord a = *first.Start(Backup(kGpoA));
    backend.Open(a.id);
    Drain(&first, a.id);
    seen = first.stats().revision;
    first.Shutdown(Duration::zero());
  }
  GateBackend backend;
  auto store = OpenStore(path_);
  Engine second(EngineOptions{}, &backend, store.get(), &clock_);
  ASSERT_TRUE(second.Recover().ok());
  OperationRecord b = *second.Start(Backup(kGpoB));
  backend.Open(b.id);
  Drain(&second, b.id);
  auto watch = second.OpenWatch("alice", seen, "");
  ASSERT_TRUE(watch.ok()) << watch.status();
  std::vector<Event> events;
  while (events.empty() || !core::IsTerminal(events.back().state)) {
    Cursor::Next next = NextBlocking(watch->get());
    ASSERT_FALSE(std::holds_alternative<Cursor::End>(next));
    if (auto* ev = std::get_if<Event>(&std::get<engine::StreamItem>(next))) events.push_back(*ev);
  }
  EXPECT_EQ(events.front().operation_id, b.id);
  EXPECT_EQ(events.front().revision, seen + 1);
  watch->reset();
  second.Shutdown(Duration::zero());
}

}  // namespace
}  // namespace gpop::store
