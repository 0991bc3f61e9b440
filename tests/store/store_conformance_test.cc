// One suite, every engine::Store: what the engine relies on, checked on MemoryStore and
// SqliteStore alike.

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <type_traits>

#include "service/store/memory_store.h"
#include "service/store/sqlite_store.h"
#include "tests/testing/fixtures.h"

namespace gpop::store {
namespace {

using engine::Event;
using engine::OperationRecord;
using engine::Store;

// Each store type says how to make one and how to reopen it (a restart of the process).
template <typename T>
struct Factory;
template <>
struct Factory<MemoryStore> {
  std::unique_ptr<MemoryStore> store = std::make_unique<MemoryStore>();
  Store* get() { return store.get(); }
  bool Reopen() { return false; }  // in-memory: nothing survives a restart
};
template <>
struct Factory<SqliteStore> {
  std::string path = (gpop::testing::TempDir("gpop-store") / "operations.db").string();
  std::unique_ptr<SqliteStore> store = Open();
  std::unique_ptr<SqliteStore> Open() {
    auto s = SqliteStore::Open(path);
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? std::move(*s) : nullptr;
  }
  Store* get() { return store.get(); }
  bool Reopen() {
    store.reset();
    store = Open();
    return true;
  }
};

OperationRecord Record(const std::string& id, core::OperationState state, uint64_t seq,
                       uint64_t revision) {
  OperationRecord r;
  r.id = id;
  r.state = state;
  r.kind = core::OperationKind::kReport;
  core::ReportSpec spec;
  spec.subject = core::BackupRef{"default", "{1234}"};
  spec.format = core::ReportFormat::kHtml;
  r.spec = spec;
  r.labels = {{"team", "a"}};
  r.principal = "alice";
  r.request_id = "req-" + id;
  r.fingerprint = "fp";
  r.create_time = engine::Time(std::chrono::seconds(1700000000));
  r.deadline = r.create_time + std::chrono::hours(1);
  r.last_sequence = seq;
  r.revision = revision;
  r.progress = {3, 7, seq};
  if (core::IsTerminal(state)) {
    r.end_time = r.create_time + std::chrono::milliseconds(1500);
    r.result = core::ReportInfo{core::ReportFormat::kHtml, std::string(100000, 'x')};
    r.effects = core::Effects::kApplied;
    r.hresult = 0x80070005u;
  }
  return r;
}

// Why `id` was removed, per the store; a read error fails the test.
std::optional<engine::Removal> RemovalOf(Store* s, const std::string& id) {
  absl::StatusOr<std::optional<engine::Removal>> removal = s->RemovalOf(id);
  EXPECT_TRUE(removal.ok()) << removal.status();
  return removal.ok() ? *removal : std::nullopt;
}

Event EventOf(const OperationRecord& r) {
  Event e;
  e.operation_id = r.id;
  e.sequence = r.last_sequence;
  e.revision = r.revision;
  e.time = r.create_time + std::chrono::nanoseconds(123456789);
  e.kind = r.kind;
  e.state = r.state;
  core::StatusMessage m;
  m.message = "ünïcode";
  m.severity = core::Severity::kWarning;
  m.error_code = 0x80004005u;
  e.messages = {m};
  e.result = r.result;
  e.effects = r.effects;
  if (r.state == core::OperationState::kFailed) {
    e.error = core::MakeError(core::Code::kAborted, "SERVER_RESTARTED", "m", {{"k", "v"}});
  }
  return e;
}

template <typename T>
class StoreConformanceTest : public ::testing::Test {
 protected:
  Factory<T> factory_;
  Store* store() { return factory_.get(); }
};

using StoreTypes = ::testing::Types<MemoryStore, SqliteStore>;
TYPED_TEST_SUITE(StoreConformanceTest, StoreTypes);

TYPED_TEST(StoreConformanceTest, EmptyLoad) {
  auto snap = this->store()->Load();
  ASSERT_TRUE(snap.ok()) << snap.status();
  EXPECT_TRUE(snap->operations.empty());
  EXPECT_TRUE(snap->events.empty());
  EXPECT_EQ(snap->revision, 0u);
}

TYPED_TEST(StoreConformanceTest, CommitLoadsBackEveryField) {
  OperationRecord queued = Record("op1", core::OperationState::kQueued, 1, 1);
  OperationRecord done = Record("op1", core::OperationState::kSucceeded, 2, 2);
  ASSERT_TRUE(this->store()->Commit({{queued, EventOf(queued)}}).ok());
  ASSERT_TRUE(this->store()->Commit({{done, EventOf(done)}, {done, std::nullopt}}).ok());
  this->factory_.Reopen();
  auto snap = this->store()->Load();
  ASSERT_TRUE(snap.ok()) << snap.status();
  ASSERT_EQ(snap->operations.size(), 1u);
  const OperationRecord& r = snap->operations[0];
  EXPECT_EQ(r.id, "op1");
  EXPECT_EQ(r.state, core::OperationState::kSucceeded);
  EXPECT_EQ(r.labels, done.labels);
  EXPECT_EQ(r.request_id, "req-op1");
  EXPECT_EQ(r.create_time, done.create_time);
  EXPECT_EQ(r.end_time, done.end_time);
  EXPECT_EQ(r.progress, done.progress);
  EXPECT_EQ(r.hresult, done.hresult);
  ASSERT_TRUE(std::holds_alternative<core::ReportInfo>(r.result));
  EXPECT_EQ(std::get<core::ReportInfo>(r.result).content.size(), 100000u);
  const auto& spec = std::get<core::ReportSpec>(r.spec);
  EXPECT_EQ(std::get<core::BackupRef>(spec.subject).backup_id, "{1234}");
  EXPECT_EQ(spec.format, core::ReportFormat::kHtml);
  ASSERT_EQ(snap->events.size(), 2u);
  EXPECT_EQ(snap->events[0].sequence, 1u);
  EXPECT_EQ(snap->events[1].sequence, 2u);
  EXPECT_EQ(snap->events[1].time, EventOf(done).time);
  ASSERT_EQ(snap->events[1].messages.size(), 1u);
  EXPECT_EQ(snap->events[1].messages[0].message, "ünïcode");
  EXPECT_EQ(snap->events[1].messages[0].error_code, 0x80004005u);
  EXPECT_EQ(snap->revision, 2u);
}

TYPED_TEST(StoreConformanceTest, FailedEventKeepsItsError) {
  OperationRecord failed = Record("op1", core::OperationState::kFailed, 1, 5);
  ASSERT_TRUE(this->store()->Commit({{failed, EventOf(failed)}}).ok());
  this->factory_.Reopen();
  auto snap = this->store()->Load();
  ASSERT_TRUE(snap.ok());
  ASSERT_EQ(snap->events.size(), 1u);
  ASSERT_TRUE(snap->events[0].error.has_value());
  EXPECT_EQ(snap->events[0].error->code, core::Code::kAborted);
  EXPECT_EQ(snap->events[0].error->metadata.at("k"), "v");
}

TYPED_TEST(StoreConformanceTest, EventsComeBackInRevisionOrder) {
  std::vector<Store::Change> batch;
  for (int i = 10; i >= 1; --i) {
    OperationRecord r = Record("op" + std::to_string(i), core::OperationState::kQueued, 1, i);
    batch.push_back({r, EventOf(r)});
  }
  ASSERT_TRUE(this->store()->Commit(batch).ok());
  this->factory_.Reopen();
  auto snap = this->store()->Load();
  ASSERT_TRUE(snap.ok());
  ASSERT_EQ(snap->events.size(), 10u);
  for (size_t i = 0; i < 10; ++i) EXPECT_EQ(snap->events[i].revision, i + 1);
  EXPECT_EQ(snap->operations.size(), 10u);
}

TYPED_TEST(StoreConformanceTest, DeleteRemovesOnlyThatOperationAndKeepsTheRevision) {
  OperationRecord a = Record("a", core::OperationState::kSucceeded, 1, 1);
  OperationRecord b = Record("b", core::OperationState::kSucceeded, 1, 2);
  OperationRecord c = Record("c", core::OperationState::kSucceeded, 1, 3);
  ASSERT_TRUE(this->store()->Commit({{a, EventOf(a)}, {b, EventOf(b)}, {c, EventOf(c)}}).ok());
  ASSERT_TRUE(this->store()->Delete("c", engine::Removal::kExpired).ok());
  ASSERT_TRUE(this->store()->Delete("a", engine::Removal::kExpired).ok());
  this->factory_.Reopen();
  auto snap = this->store()->Load();
  ASSERT_TRUE(snap.ok());
  ASSERT_EQ(snap->operations.size(), 1u);
  EXPECT_EQ(snap->operations[0].id, "b");
  ASSERT_EQ(snap->events.size(), 1u);
  EXPECT_EQ(snap->events[0].operation_id, "b");
  // The highest revision ever assigned stays, though its event is gone: never reused.
  EXPECT_EQ(snap->revision, 3u);
  EXPECT_EQ(snap->expired, (std::vector<std::string>{"c", "a"}));
  EXPECT_TRUE(snap->deleted.empty());
}

// DeleteOperation's removals are told apart from retention's, also after a reopen, and an id
// keeps the reason of its first removal.
TYPED_TEST(StoreConformanceTest, DeletedAndExpiredIdsKeepTheirReason) {
  OperationRecord a = Record("a", core::OperationState::kSucceeded, 1, 1);
  OperationRecord b = Record("b", core::OperationState::kSucceeded, 1, 2);
  OperationRecord c = Record("c", core::OperationState::kSucceeded, 1, 3);
  ASSERT_TRUE(this->store()->Commit({{a, EventOf(a)}, {b, EventOf(b)}, {c, EventOf(c)}}).ok());
  ASSERT_TRUE(this->store()->Delete("a", engine::Removal::kDeleted).ok());
  ASSERT_TRUE(this->store()->Delete("b", engine::Removal::kExpired).ok());
  ASSERT_TRUE(this->store()->Delete("c", engine::Removal::kDeleted).ok());
  // Removing again (retention racing a Delete) does not change the first reason.
  ASSERT_TRUE(this->store()->Delete("a", engine::Removal::kExpired).ok());
  EXPECT_EQ(RemovalOf(this->store(), "a"), engine::Removal::kDeleted);
  this->factory_.Reopen();
  engine::Store* s = this->store();
  EXPECT_EQ(RemovalOf(s, "a"), std::optional<engine::Removal>(engine::Removal::kDeleted));
  EXPECT_EQ(RemovalOf(s, "b"), std::optional<engine::Removal>(engine::Removal::kExpired));
  EXPECT_EQ(RemovalOf(s, "c"), std::optional<engine::Removal>(engine::Removal::kDeleted));
  EXPECT_EQ(RemovalOf(s, "d"), std::nullopt);
  EXPECT_TRUE(absl::IsNotFound(s->ReadOperation("a").status()));
  auto snap = s->Load();
  ASSERT_TRUE(snap.ok()) << snap.status();
  EXPECT_EQ(snap->deleted, (std::vector<std::string>{"a", "c"}));
  EXPECT_EQ(snap->expired, (std::vector<std::string>{"b"}));
  EXPECT_TRUE(snap->operations.empty());
}

// Retention removes the operations beyond its count in batches (one transaction with SQLite):
// each removed as Delete would, in order, with its reason.
TYPED_TEST(StoreConformanceTest, DeleteAllRemovesEachAsDeleteDoes) {
  OperationRecord a = Record("a", core::OperationState::kSucceeded, 1, 1);
  OperationRecord b = Record("b", core::OperationState::kSucceeded, 1, 2);
  OperationRecord c = Record("c", core::OperationState::kSucceeded, 1, 3);
  ASSERT_TRUE(this->store()->Commit({{a, EventOf(a)}, {b, EventOf(b)}, {c, EventOf(c)}}).ok());
  size_t removed = 99;
  ASSERT_TRUE(this->store()->DeleteAll({"c", "a", "nobody"}, engine::Removal::kExpired, &removed)
                  .ok());
  EXPECT_EQ(removed, 3u);
  this->factory_.Reopen();
  engine::Store* s = this->store();
  EXPECT_TRUE(absl::IsNotFound(s->ReadOperation("a").status()));
  EXPECT_TRUE(absl::IsNotFound(s->ReadOperation("c").status()));
  EXPECT_TRUE(s->ReadOperation("b").ok());
  EXPECT_EQ(RemovalOf(s, "c"), std::optional<engine::Removal>(engine::Removal::kExpired));
  auto snap = s->Load();
  ASSERT_TRUE(snap.ok()) << snap.status();
  EXPECT_EQ(snap->expired, (std::vector<std::string>{"c", "a", "nobody"}));
  ASSERT_EQ(snap->events.size(), 1u);
  EXPECT_EQ(snap->events[0].operation_id, "b");
  removed = 99;
  EXPECT_TRUE(s->DeleteAll({}, engine::Removal::kDeleted, &removed).ok());
  EXPECT_EQ(removed, 0u);
}

TYPED_TEST(StoreConformanceTest, DeleteOfUnknownIsHarmless) {
  EXPECT_TRUE(this->store()->Delete("nobody", engine::Removal::kExpired).ok());
  auto snap = this->store()->Load();
  ASSERT_TRUE(snap.ok());
  EXPECT_TRUE(snap->operations.empty());
}

// Commits `n` events of one operation (sequences 1..n) at revisions first, first + 1, ...
template <typename S>
void CommitEvents(S* store, const std::string& id, int n, uint64_t first,
                  size_t message_bytes = 10) {
  std::vector<Store::Change> batch;
  for (int seq = 1; seq <= n; ++seq) {
    OperationRecord r = Record(id, core::OperationState::kRunning, seq, first + seq - 1);
    Event e = EventOf(r);
    e.messages[0].message = std::string(message_bytes, 'm');
    batch.push_back({r, e});
  }
  ASSERT_TRUE(store->Commit(batch).ok());
}

TYPED_TEST(StoreConformanceTest, LoadKeepsOnlyTheNewestEvents) {
  CommitEvents(this->store(), "a", 5, 1);
  CommitEvents(this->store(), "b", 5, 6);
  this->factory_.Reopen();
  Store::LoadOptions options;
  options.max_events = 3;
  auto snap = this->store()->Load(options);
  ASSERT_TRUE(snap.ok()) << snap.status();
  ASSERT_EQ(snap->events.size(), 3u);
  EXPECT_EQ(snap->events[0].revision, 8u);
  EXPECT_EQ(snap->events[2].revision, 10u);
  EXPECT_EQ(snap->operations.size(), 2u);
  EXPECT_EQ(snap->revision, 10u);
}

TYPED_TEST(StoreConformanceTest, ReadEventsPagesOneOperationBySequence) {
  CommitEvents(this->store(), "a", 7, 1);
  CommitEvents(this->store(), "b", 3, 8);
  this->factory_.Reopen();
  Store::PageLimits limits;
  limits.max_events = 3;
  std::vector<uint64_t> seen;
  uint64_t after = 0;
  for (;;) {
    auto page = this->store()->ReadEvents("a", after, limits);
    ASSERT_TRUE(page.ok()) << page.status();
    if (page->empty()) break;
    EXPECT_LE(page->size(), 3u);
    for (const Event& e : *page) {
      EXPECT_EQ(e.operation_id, "a");
      seen.push_back(e.sequence);
    }
    after = page->back().sequence;
  }
  EXPECT_EQ(seen, (std::vector<uint64_t>{1, 2, 3, 4, 5, 6, 7}));
  auto none = this->store()->ReadEvents("nobody", 0, limits);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TYPED_TEST(StoreConformanceTest, PagesStopAtTheByteLimitButNeverComeBackEmpty) {
  CommitEvents(this->store(), "a", 6, 1, /*message_bytes=*/1000);
  Store::PageLimits limits;
  limits.max_events = 100;
  limits.max_bytes = 2500;  // two events of about 1 KB fit, a third does not
  auto page = this->store()->ReadEvents("a", 0, limits);
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->size(), 2u);
  limits.max_bytes = 10;  // smaller than any event: still one, or a reader could never advance
  page = this->store()->ReadEvents("a", 2, limits);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->size(), 1u);
  EXPECT_EQ((*page)[0].sequence, 3u);
  auto revs = this->store()->ReadRevisions(0, limits);
  ASSERT_TRUE(revs.ok());
  EXPECT_EQ(revs->size(), 1u);
}

TYPED_TEST(StoreConformanceTest, ReadRevisionsPagesEveryOperationInRevisionOrder) {
  CommitEvents(this->store(), "a", 3, 1);
  CommitEvents(this->store(), "b", 3, 4);
  CommitEvents(this->store(), "c", 3, 7);
  ASSERT_TRUE(this->store()->Delete("b", engine::Removal::kExpired).ok());
  this->factory_.Reopen();
  Store::PageLimits limits;
  limits.max_events = 2;
  std::vector<uint64_t> seen;
  uint64_t after = 1;
  for (;;) {
    auto page = this->store()->ReadRevisions(after, limits);
    ASSERT_TRUE(page.ok()) << page.status();
    if (page->empty()) break;
    for (const Event& e : *page) seen.push_back(e.revision);
    after = page->back().revision;
  }
  // Revisions after 1, with the gap where "b" was removed.
  EXPECT_EQ(seen, (std::vector<uint64_t>{2, 3, 7, 8, 9}));
}

TYPED_TEST(StoreConformanceTest, ResultIsStoredOnceBesideTheOperationAndRemovedWithIt) {
  OperationRecord queued = Record("a", core::OperationState::kQueued, 1, 1);
  OperationRecord done = Record("a", core::OperationState::kSucceeded, 2, 2);
  // The engine hands the record and the event the result without its bytes.
  done.result = core::ReportInfo{core::ReportFormat::kXml, ""};
  auto content = std::make_shared<const std::string>(3 << 20, 'r');
  ASSERT_TRUE(this->store()->Commit({{queued, EventOf(queued)}}).ok());
  ASSERT_TRUE(this->store()->Commit({{done, EventOf(done), content}}).ok());
  this->factory_.Reopen();
  auto read = this->store()->ReadResult("a");
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, *content);
  auto snap = this->store()->Load();
  ASSERT_TRUE(snap.ok());
  ASSERT_EQ(snap->operations.size(), 1u);
  EXPECT_TRUE(std::get<core::ReportInfo>(snap->operations[0].result).content.empty());
  EXPECT_EQ(this->store()->ReadResult("nobody").status().code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(this->store()->Delete("a", engine::Removal::kExpired).ok());
  EXPECT_EQ(this->store()->ReadResult("a").status().code(), absl::StatusCode::kNotFound);
}

TYPED_TEST(StoreConformanceTest, FailedCommitStoresNoResult) {
  // A batch that cannot be written (here: one event's revision reused) leaves no result behind.
  OperationRecord a = Record("a", core::OperationState::kQueued, 1, 1);
  ASSERT_TRUE(this->store()->Commit({{a, EventOf(a)}}).ok());
  if (std::is_same_v<TypeParam, MemoryStore>) return;  // the memory store does not check keys
  OperationRecord done = Record("a", core::OperationState::kSucceeded, 2, 1);
  auto content = std::make_shared<const std::string>("bytes");
  EXPECT_FALSE(this->store()->Commit({{done, EventOf(done), content}}).ok());
  EXPECT_EQ(this->store()->ReadResult("a").status().code(), absl::StatusCode::kNotFound);
}

// --- Keyed reads: what the engine reads instead of holding finished operations ----------------

TYPED_TEST(StoreConformanceTest, KeyedReadsFindRetainedOperationsUntilDeleted) {
  OperationRecord a = Record("a", core::OperationState::kSucceeded, 2, 2);
  OperationRecord b = Record("b", core::OperationState::kQueued, 1, 3);
  b.request_id.clear();
  ASSERT_TRUE(this->store()->Commit({{a, EventOf(a)}, {b, EventOf(b)}}).ok());
  this->factory_.Reopen();
  Store* s = this->store();
  absl::StatusOr<OperationRecord> read = s->ReadOperation("a");
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->state, core::OperationState::kSucceeded);
  EXPECT_EQ(read->labels, a.labels);
  EXPECT_TRUE(absl::IsNotFound(s->ReadOperation("nobody").status()));
  absl::StatusOr<OperationRecord> by_request = s->FindRequest("alice", "req-a");
  ASSERT_TRUE(by_request.ok()) << by_request.status();
  EXPECT_EQ(by_request->id, "a");
  EXPECT_TRUE(absl::IsNotFound(s->FindRequest("bob", "req-a").status()));  // per principal
  EXPECT_TRUE(absl::IsNotFound(s->FindRequest("alice", "").status()));     // no empty key
  EXPECT_EQ(RemovalOf(s, "a"), std::nullopt);

  ASSERT_TRUE(s->Delete("a", engine::Removal::kExpired).ok());
  this->factory_.Reopen();
  s = this->store();
  EXPECT_TRUE(absl::IsNotFound(s->ReadOperation("a").status()));
  EXPECT_TRUE(absl::IsNotFound(s->FindRequest("alice", "req-a").status()));
  EXPECT_EQ(RemovalOf(s, "a"), std::optional<engine::Removal>(engine::Removal::kExpired));
  EXPECT_EQ(RemovalOf(s, "b"), std::nullopt);
  EXPECT_EQ(RemovalOf(s, "nobody"), std::nullopt);
}

TYPED_TEST(StoreConformanceTest, ListOperationsPagesNewestFirstByCreation) {
  std::vector<Store::Change> batch;
  // Made in this order (the revision of each one's first event), some at the same instant.
  uint64_t revision = 0;
  for (const char* id : {"e", "c", "d", "a", "b"}) {
    OperationRecord r = Record(id, core::OperationState::kQueued, 1, ++revision);
    batch.push_back({r, EventOf(r)});
  }
  // A later change of "e" in the same batch does not move it.
  OperationRecord e2 = Record("e", core::OperationState::kRunning, 2, ++revision);
  batch.push_back({e2, EventOf(e2)});
  ASSERT_TRUE(this->store()->Commit(batch).ok());
  this->factory_.Reopen();
  std::vector<std::string> seen;
  Store::ListPosition at;
  for (int page = 0; page < 10; ++page) {
    absl::StatusOr<std::vector<Store::Listed>> got = this->store()->ListOperations(at, 2);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_LE(got->size(), 2u);
    if (got->empty()) break;
    for (const Store::Listed& l : *got) seen.push_back(l.record.id);
    at = got->back().position;
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"b", "a", "d", "c", "e"}));
  ASSERT_TRUE(this->store()->Delete("a", engine::Removal::kExpired).ok());
  auto rest = this->store()->ListOperations({}, 10);
  ASSERT_TRUE(rest.ok());
  EXPECT_EQ(rest->size(), 4u);
}

TYPED_TEST(StoreConformanceTest, LoadWithoutHistoryGivesUnfinishedRecordsAndFinishedIds) {
  OperationRecord early = Record("early", core::OperationState::kSucceeded, 2, 2);
  OperationRecord late = Record("late", core::OperationState::kFailed, 2, 4);
  late.end_time = *early.end_time + std::chrono::seconds(5);
  OperationRecord running = Record("running", core::OperationState::kRunning, 2, 3);
  ASSERT_TRUE(
      this->store()
          ->Commit({{late, EventOf(late)}, {early, EventOf(early)}, {running, EventOf(running)}})
          .ok());
  ASSERT_TRUE(this->store()->Delete("early", engine::Removal::kExpired).ok());
  OperationRecord again = Record("early2", core::OperationState::kSucceeded, 1, 5);
  ASSERT_TRUE(this->store()->Commit({{again, EventOf(again)}}).ok());
  this->factory_.Reopen();
  Store::LoadOptions options;
  options.history = false;
  auto snap = this->store()->Load(options);
  ASSERT_TRUE(snap.ok()) << snap.status();
  ASSERT_EQ(snap->operations.size(), 1u);
  EXPECT_EQ(snap->operations[0].id, "running");
  ASSERT_EQ(snap->finished.size(), 2u);
  EXPECT_EQ(snap->finished[0].id, "early2");  // oldest end first
  EXPECT_EQ(snap->finished[0].end_time, *again.end_time);
  EXPECT_EQ(snap->finished[1].id, "late");
  EXPECT_TRUE(snap->expired.empty());  // RemovalOf answers for them
  EXPECT_TRUE(snap->deleted.empty());
  EXPECT_EQ(snap->revision, 5u);
}

}  // namespace
}  // namespace gpop::store
