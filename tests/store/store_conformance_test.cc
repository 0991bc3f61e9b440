// One suite, every engine::Store: what the engine relies on, checked on MemoryStore and
// SqliteStore alike.

#include <gtest/gtest.h>

#include <memory>

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
  ASSERT_TRUE(this->store()->Delete("c").ok());
  ASSERT_TRUE(this->store()->Delete("a").ok());
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
}

TYPED_TEST(StoreConformanceTest, DeleteOfUnknownIsHarmless) {
  EXPECT_TRUE(this->store()->Delete("nobody").ok());
  auto snap = this->store()->Load();
  ASSERT_TRUE(snap.ok());
  EXPECT_TRUE(snap->operations.empty());
}

}  // namespace
}  // namespace gpop::store
