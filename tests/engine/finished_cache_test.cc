// Finished operations leave memory: the engine holds live ones and a bounded cache of finished
// ones, and answers Get, List, request_id retries, Cancel, Delete and status streams for the
// others from the store; recovery loads none of them.

#include <gtest/gtest.h>

#include "service/engine/engine.h"
#include "service/engine/status_convert.h"
#include "service/store/memory_store.h"
#include "tests/engine/cursor_testing.h"
#include "tests/engine/gate_backend.h"

namespace gpop::engine {
namespace {

using core::OperationState;

constexpr int kOperations = 6;
constexpr int kCached = 2;

EngineOptions CacheOptions() {
  EngineOptions o;
  o.cached_finished_operations = kCached;
  return o;
}

StartRequest Request(int i) {
  StartRequest r;
  r.principal = "alice";
  r.request_id = "req-" + std::to_string(i);
  r.fingerprint = "fp-" + std::to_string(i);
  r.labels = {{"n", std::to_string(i)}, {"parity", i % 2 == 0 ? "even" : "odd"}};
  core::BackupSpec b;
  b.gpo.guid = "{AAAAAAAA-0000-0000-0000-00000000000" + std::to_string(i) + "}";
  r.spec = b;
  return r;
}

// Every item of a stream until its end; the end's status.
absl::Status Drain(Cursor* cursor, std::vector<Event>* events) {
  for (;;) {
    Cursor::Next next = gpop::testing::NextBlocking(cursor);
    if (auto* end = std::get_if<Cursor::End>(&next)) return end->status;
    if (auto* item = std::get_if<StreamItem>(&next)) {
      if (auto* ev = std::get_if<Event>(item)) events->push_back(*ev);
    }
  }
}

// Starts and finishes kOperations operations; their ids, oldest first.
std::vector<std::string> RunAll(Engine& engine, gpop::testing::GateBackend& backend) {
  std::vector<std::string> ids;
  for (int i = 0; i < kOperations; ++i) {
    absl::StatusOr<OperationRecord> rec = engine.Start(Request(i));
    EXPECT_TRUE(rec.ok()) << rec.status();
    if (!rec.ok()) return ids;
    backend.Open(rec->id);
    std::vector<Event> events;
    EXPECT_TRUE(Drain(engine.OpenStatusStream("alice", rec->id, 0)->get(), &events).ok());
    ids.push_back(rec->id);
  }
  return ids;
}

TEST(FinishedCacheTest, FinishedOperationsLeaveMemoryAndAreReadFromTheStore) {
  FakeClock clock;
  gpop::testing::GateBackend backend;
  store::MemoryStore store;
  Engine engine(CacheOptions(), &backend, &store, &clock);
  ASSERT_TRUE(engine.Recover().ok());
  std::vector<std::string> ids = RunAll(engine, backend);
  ASSERT_EQ(ids.size(), static_cast<size_t>(kOperations));
  EXPECT_EQ(engine.stats().retained_operations, kOperations);
  EXPECT_EQ(engine.stats().resident_operations, kCached);

  // Get of the oldest (in the store only).
  absl::StatusOr<OperationRecord> got = engine.Get("tester", ids[0]);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->state, OperationState::kSucceeded);
  EXPECT_EQ(got->labels.at("n"), "0");

  // A retried request_id gives the same operation; reused for another request it is refused.
  absl::StatusOr<OperationRecord> again = engine.Start(Request(1));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->id, ids[1]);
  StartRequest other = Request(1);
  other.fingerprint = "something else";
  EXPECT_EQ(ToError(engine.Start(other).status()).reason, core::reason::kRequestIdReused);

  // Listing pages through every retained one, newest first, filtered.
  std::vector<std::string> listed;
  ListRequest list;
  list.page_size = 2;
  for (int page = 0; page < 10; ++page) {
    absl::StatusOr<ListResponse> response = engine.List(list);
    ASSERT_TRUE(response.ok()) << response.status();
    EXPECT_LE(response->operations.size(), 2u);
    for (const OperationRecord& rec : response->operations) listed.push_back(rec.id);
    if (response->next_page_token.empty()) break;
    list.page_token = response->next_page_token;
  }
  EXPECT_EQ(listed, std::vector<std::string>(ids.rbegin(), ids.rend()));
  ListRequest even;
  even.filter = "labels.parity=even";
  absl::StatusOr<ListResponse> evens = engine.List(even);
  ASSERT_TRUE(evens.ok()) << evens.status();
  EXPECT_EQ(evens->operations.size(), static_cast<size_t>(kOperations / 2));

  // A status stream replays a stored operation's events to its end.
  std::vector<Event> events;
  EXPECT_TRUE(Drain(engine.OpenStatusStream("alice", ids[2], 0)->get(), &events).ok());
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.front().state, OperationState::kQueued);
  EXPECT_EQ(events.back().state, OperationState::kSucceeded);

  // Cancel of a finished one answers its record; Delete removes it, then it is deleted.
  absl::StatusOr<OperationRecord> cancelled = engine.Cancel("tester", ids[3]);
  ASSERT_TRUE(cancelled.ok()) << cancelled.status();
  EXPECT_EQ(cancelled->state, OperationState::kSucceeded);
  ASSERT_TRUE(engine.Delete("tester", ids[0]).ok());
  EXPECT_EQ(ToError(engine.Get("tester", ids[0]).status()).reason, core::reason::kOperationDeleted);
  EXPECT_EQ(ToError(engine.Get("tester", "op-never").status()).reason, core::reason::kOperationNotFound);
  EXPECT_EQ(engine.stats().retained_operations, kOperations - 1);
  // The reads went through the cache: memory still holds at most its size.
  EXPECT_LE(engine.stats().resident_operations, kCached);
  engine.Shutdown(Duration::zero());
}

TEST(FinishedCacheTest, RecoveryLoadsNoFinishedOperation) {
  FakeClock clock;
  gpop::testing::GateBackend backend;
  store::MemoryStore store;
  std::vector<std::string> ids;
  {
    Engine engine(CacheOptions(), &backend, &store, &clock);
    ASSERT_TRUE(engine.Recover().ok());
    ids = RunAll(engine, backend);
    engine.Shutdown(Duration::zero());
  }
  ASSERT_EQ(ids.size(), static_cast<size_t>(kOperations));
  ASSERT_TRUE(store.Delete(ids[5], engine::Removal::kExpired).ok());  // removed before the restart
  Engine engine(CacheOptions(), &backend, &store, &clock);
  ASSERT_TRUE(engine.Recover().ok());
  EXPECT_EQ(engine.stats().resident_operations, 0);
  EXPECT_EQ(engine.stats().retained_operations, kOperations - 1);
  absl::StatusOr<OperationRecord> got = engine.Get("tester", ids[4]);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->state, OperationState::kSucceeded);
  EXPECT_EQ(ToError(engine.Get("tester", ids[5]).status()).reason, core::reason::kOperationExpired);
  absl::StatusOr<OperationRecord> again = engine.Start(Request(2));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->id, ids[2]);
  engine.Shutdown(Duration::zero());
}

TEST(FinishedCacheTest, CountRetentionRemovesOperationsThatLeftMemory) {
  FakeClock clock;
  gpop::testing::GateBackend backend;
  store::MemoryStore store;
  EngineOptions o = CacheOptions();
  o.retained_operations = 3;
  Engine engine(o, &backend, &store, &clock);
  ASSERT_TRUE(engine.Recover().ok());
  std::vector<std::string> ids = RunAll(engine, backend);
  engine.AwaitMaintenance();
  ASSERT_EQ(ids.size(), static_cast<size_t>(kOperations));
  EXPECT_EQ(engine.stats().retained_operations, 3);
  for (int i = 0; i < kOperations - 3; ++i) {
    EXPECT_EQ(ToError(engine.Get("tester", ids[i]).status()).reason, core::reason::kOperationExpired) << i;
  }
  for (int i = kOperations - 3; i < kOperations; ++i) EXPECT_TRUE(engine.Get("tester", ids[i]).ok()) << i;
  auto snap = store.Load();
  ASSERT_TRUE(snap.ok());
  EXPECT_EQ(snap->operations.size(), 3u);
  engine.Shutdown(Duration::zero());
}

}  // namespace
}  // namespace gpop::engine
