// The audit logs, SQLite and memory, against one set of expectations; then what only the SQLite
// one promises: entries survive reopening the file and the removal of their operations, and the
// table refuses changes.

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "service/audit/memory_audit_log.h"
#include "service/audit/sqlite_audit_log.h"
#include "service/sqlite/database.h"
#include "service/store/sqlite_store.h"
#include "tests/testing/fixtures.h"

namespace gpop::audit {
namespace {

engine::Time At(int seconds) { return engine::Time(std::chrono::seconds(1800000000 + seconds)); }

v1::AuditEntry Entry(v1::AuditAction action, const std::string& principal, const std::string& op,
                     int seconds, uint64_t revision = 0) {
  v1::AuditEntry entry;
  entry.set_action(action);
  entry.set_principal(principal);
  entry.set_operation_id(op);
  entry.mutable_time()->set_seconds(1800000000 + seconds);
  entry.set_revision(revision);
  return entry;
}

std::vector<uint64_t> Sequences(const absl::StatusOr<std::vector<v1::AuditEntry>>& entries) {
  EXPECT_TRUE(entries.ok()) << entries.status();
  std::vector<uint64_t> out;
  if (entries.ok()) {
    for (const v1::AuditEntry& e : *entries) out.push_back(e.sequence());
  }
  return out;
}

class AuditLogTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "memory") {
      log_ = std::make_unique<MemoryAuditLog>();
      return;
    }
    path_ = (gpop::testing::TempDir("gpop-audit") / "operations.db").string();
    absl::StatusOr<std::unique_ptr<store::SqliteStore>> store = store::SqliteStore::Open(path_);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    absl::StatusOr<std::unique_ptr<SqliteAuditLog>> log = SqliteAuditLog::Open(store_.get());
    ASSERT_TRUE(log.ok()) << log.status();
    log_ = *std::move(log);
  }

  void Append(v1::AuditEntry entry) {
    absl::Status s = log_->Append(&entry);
    ASSERT_TRUE(s.ok()) << s;
  }

  std::string path_;
  std::unique_ptr<store::SqliteStore> store_;  // migrated the file the SQLite log writes
  std::unique_ptr<AuditLog> log_;
};

TEST_P(AuditLogTest, AppendNumbersEntriesAndKeepsThem) {
  v1::AuditEntry first = Entry(v1::AUDIT_ACTION_START, "alice", "op-1", 1);
  first.mutable_request()->set_request_id("req-1");
  first.add_gpos()->set_version(65537);
  ASSERT_TRUE(log_->Append(&first).ok());
  EXPECT_EQ(first.sequence(), 1u);
  v1::AuditEntry second = Entry(v1::AUDIT_ACTION_CANCEL, "bob", "op-1", 2);
  ASSERT_TRUE(log_->Append(&second).ok());
  EXPECT_EQ(second.sequence(), 2u);
  absl::StatusOr<std::vector<v1::AuditEntry>> all = log_->List(AuditQuery{});
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].request().request_id(), "req-1");
  EXPECT_EQ((*all)[0].gpos(0).version(), 65537u);
  EXPECT_EQ((*all)[1].principal(), "bob");
  EXPECT_EQ((*all)[1].sequence(), 2u);
}

TEST_P(AuditLogTest, FiltersByPrincipalOperationActionAndTime) {
  Append(Entry(v1::AUDIT_ACTION_START, "alice", "op-1", 10));
  Append(Entry(v1::AUDIT_ACTION_START, "bob", "op-2", 20));
  Append(Entry(v1::AUDIT_ACTION_CANCEL, "admin", "op-1", 30));
  Append(Entry(v1::AUDIT_ACTION_FINISH, "alice", "op-1", 40, 7));
  AuditQuery by_principal;
  by_principal.principal = "alice";
  EXPECT_EQ(Sequences(log_->List(by_principal)), (std::vector<uint64_t>{1, 4}));
  AuditQuery by_operation;
  by_operation.operation_id = "op-1";
  EXPECT_EQ(Sequences(log_->List(by_operation)), (std::vector<uint64_t>{1, 3, 4}));
  AuditQuery by_action;
  by_action.action = v1::AUDIT_ACTION_START;
  EXPECT_EQ(Sequences(log_->List(by_action)), (std::vector<uint64_t>{1, 2}));
  AuditQuery by_time;
  by_time.start_time = At(20);
  by_time.end_time = At(40);  // exclusive
  EXPECT_EQ(Sequences(log_->List(by_time)), (std::vector<uint64_t>{2, 3}));
  AuditQuery combined;
  combined.operation_id = "op-1";
  combined.action = v1::AUDIT_ACTION_CANCEL;
  combined.principal = "admin";
  EXPECT_EQ(Sequences(log_->List(combined)), (std::vector<uint64_t>{3}));
  AuditQuery none;
  none.principal = "mallory";
  EXPECT_TRUE(Sequences(log_->List(none)).empty());
}

TEST_P(AuditLogTest, PagesByLimitAndAfterSequence) {
  for (int i = 0; i < 5; ++i)
    Append(Entry(v1::AUDIT_ACTION_START, "alice", "op-" + std::to_string(i), i));
  AuditQuery page;
  page.limit = 2;
  EXPECT_EQ(Sequences(log_->List(page)), (std::vector<uint64_t>{1, 2}));
  page.after_sequence = 2;
  EXPECT_EQ(Sequences(log_->List(page)), (std::vector<uint64_t>{3, 4}));
  page.after_sequence = 4;
  EXPECT_EQ(Sequences(log_->List(page)), (std::vector<uint64_t>{5}));
  page.after_sequence = 5;
  EXPECT_TRUE(Sequences(log_->List(page)).empty());
}

TEST_P(AuditLogTest, LastFinishRevisionIsTheHighestFinishEntry) {
  absl::StatusOr<uint64_t> none = log_->LastFinishRevision();
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, 0u);
  Append(Entry(v1::AUDIT_ACTION_FINISH, "alice", "op-1", 1, 12));
  Append(Entry(v1::AUDIT_ACTION_START, "alice", "op-2", 2, 99));  // not a FINISH: does not count
  Append(Entry(v1::AUDIT_ACTION_FINISH, "alice", "op-3", 3, 15));
  absl::StatusOr<uint64_t> last = log_->LastFinishRevision();
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(*last, 15u);
}

TEST_P(AuditLogTest, AppendAllNumbersEveryEntryInOrder) {
  Append(Entry(v1::AUDIT_ACTION_START, "alice", "op-0", 1));
  std::vector<v1::AuditEntry> entries;
  for (int i = 1; i <= 5; ++i) {
    entries.push_back(Entry(v1::AUDIT_ACTION_FINISH, "alice", "op-" + std::to_string(i), i, i));
  }
  ASSERT_TRUE(log_->AppendAll(&entries).ok());
  for (size_t i = 0; i < entries.size(); ++i) EXPECT_EQ(entries[i].sequence(), i + 2);
  EXPECT_EQ(Sequences(log_->List(AuditQuery{})), (std::vector<uint64_t>{1, 2, 3, 4, 5, 6}));
  absl::StatusOr<uint64_t> last = log_->LastFinishRevision();
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(*last, 5u);
  std::vector<v1::AuditEntry> none;
  EXPECT_TRUE(log_->AppendAll(&none).ok());
}

INSTANTIATE_TEST_SUITE_P(Logs, AuditLogTest, ::testing::Values("memory", "sqlite"));

// The audit recorder asks for an operation's START entry at every terminal event: that lookup,
// and one by principal, visit the matching rows only, whatever the size of the log.
TEST(SqliteAuditLogTest, LookupsByOperationOrPrincipalDoNotGrowWithTheLog) {
  const std::string path = (gpop::testing::TempDir("gpop-audit") / "operations.db").string();
  absl::StatusOr<std::unique_ptr<store::SqliteStore>> store = store::SqliteStore::Open(path);
  ASSERT_TRUE(store.ok()) << store.status();
  absl::StatusOr<std::unique_ptr<SqliteAuditLog>> log = SqliteAuditLog::Open(store->get());
  ASSERT_TRUE(log.ok()) << log.status();
  auto append_others = [&](int from, int to) {
    std::vector<v1::AuditEntry> entries;
    for (int i = from; i < to; ++i) {
      entries.push_back(Entry(v1::AUDIT_ACTION_START, "bob", "other-" + std::to_string(i), i));
    }
    ASSERT_TRUE((*log)->AppendAll(&entries).ok());
  };
  // The steps of one List of `query`, which must find exactly `expected`.
  auto steps_of = [&](const AuditQuery& query, uint64_t expected) {
    int64_t before = (*log)->ListSteps();
    EXPECT_EQ(Sequences((*log)->List(query)), std::vector<uint64_t>{expected});
    return (*log)->ListSteps() - before;
  };
  append_others(0, 20);
  v1::AuditEntry mine = Entry(v1::AUDIT_ACTION_START, "alice", "op-mine", 100);
  ASSERT_TRUE((*log)->Append(&mine).ok());
  AuditQuery by_operation;
  by_operation.operation_id = "op-mine";
  by_operation.action = v1::AUDIT_ACTION_START;
  by_operation.limit = 1;
  AuditQuery by_principal;
  by_principal.principal = "alice";
  const int64_t operation_small = steps_of(by_operation, mine.sequence());
  const int64_t principal_small = steps_of(by_principal, mine.sequence());
  append_others(20, 2020);
  EXPECT_EQ(steps_of(by_operation, mine.sequence()), operation_small);
  EXPECT_EQ(steps_of(by_principal, mine.sequence()), principal_small);
}

TEST(SqliteAuditLogTest, SurvivesReopeningAndTheRemovalOfItsOperations) {
  const std::string path = (gpop::testing::TempDir("gpop-audit") / "operations.db").string();
  {
    absl::StatusOr<std::unique_ptr<store::SqliteStore>> store = store::SqliteStore::Open(path);
    ASSERT_TRUE(store.ok()) << store.status();
    engine::OperationRecord record;
    record.id = "op-1";
    record.state = core::OperationState::kSucceeded;
    engine::Event event;
    event.operation_id = "op-1";
    event.sequence = 1;
    event.revision = 1;
    event.state = core::OperationState::kSucceeded;
    ASSERT_TRUE((*store)->Commit({engine::Store::Change{record, event}}).ok());
    absl::StatusOr<std::unique_ptr<SqliteAuditLog>> log = SqliteAuditLog::Open(store->get());
    ASSERT_TRUE(log.ok()) << log.status();
    v1::AuditEntry start = Entry(v1::AUDIT_ACTION_START, "alice", "op-1", 1);
    ASSERT_TRUE((*log)->Append(&start).ok());
    v1::AuditEntry finish = Entry(v1::AUDIT_ACTION_FINISH, "alice", "op-1", 2, 1);
    ASSERT_TRUE((*log)->Append(&finish).ok());
    // Retention (or DeleteOperation) removes the operation, not its audit entries.
    ASSERT_TRUE((*store)->Delete("op-1", engine::Removal::kExpired).ok());
  }
  absl::StatusOr<std::unique_ptr<store::SqliteStore>> store = store::SqliteStore::Open(path);
  ASSERT_TRUE(store.ok()) << store.status();
  absl::StatusOr<engine::Store::Snapshot> snapshot = (*store)->Load();
  ASSERT_TRUE(snapshot.ok());
  EXPECT_TRUE(snapshot->operations.empty());
  absl::StatusOr<std::unique_ptr<SqliteAuditLog>> log = SqliteAuditLog::Open(store->get());
  ASSERT_TRUE(log.ok()) << log.status();
  AuditQuery query;
  query.operation_id = "op-1";
  EXPECT_EQ(Sequences((*log)->List(query)), (std::vector<uint64_t>{1, 2}));
  // Numbering goes on after the last entry.
  v1::AuditEntry next = Entry(v1::AUDIT_ACTION_START, "bob", "op-2", 3);
  ASSERT_TRUE((*log)->Append(&next).ok());
  EXPECT_EQ(next.sequence(), 3u);
  absl::StatusOr<uint64_t> last = (*log)->LastFinishRevision();
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(*last, 1u);
}

TEST(SqliteAuditLogTest, TheTableRefusesUpdatesAndDeletes) {
  const std::string path = (gpop::testing::TempDir("gpop-audit") / "operations.db").string();
  absl::StatusOr<std::unique_ptr<store::SqliteStore>> store = store::SqliteStore::Open(path);
  ASSERT_TRUE(store.ok()) << store.status();
  absl::StatusOr<std::unique_ptr<SqliteAuditLog>> log = SqliteAuditLog::Open(store->get());
  ASSERT_TRUE(log.ok()) << log.status();
  v1::AuditEntry entry = Entry(v1::AUDIT_ACTION_START, "alice", "op-1", 1);
  ASSERT_TRUE((*log)->Append(&entry).ok());
  absl::StatusOr<std::unique_ptr<sqlite::Database>> raw = store::SqliteStore::OpenDatabase(path);
  ASSERT_TRUE(raw.ok()) << raw.status();
  EXPECT_FALSE((*raw)->Exec("UPDATE audit SET principal = 'mallory'").ok());
  EXPECT_FALSE((*raw)->Exec("DELETE FROM audit").ok());
  absl::StatusOr<std::vector<v1::AuditEntry>> all = (*log)->List(AuditQuery{});
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].principal(), "alice");
}

// The creation of an operation in the store's commit, as the engine writes it.
engine::Store::Change Creation(const std::string& id, const std::string& principal,
                               const std::string& request_id, uint64_t revision) {
  engine::OperationRecord record;
  record.id = id;
  record.principal = principal;
  record.request_id = request_id;
  record.fingerprint = "fp-" + request_id;
  record.state = core::OperationState::kQueued;
  record.revision = revision;
  record.last_sequence = 1;
  engine::Event event;
  event.operation_id = id;
  event.sequence = 1;
  event.revision = revision;
  event.state = core::OperationState::kQueued;
  return engine::Store::Change{record, event};
}

class SqliteStartTicketTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<store::SqliteStore>> store =
        store::SqliteStore::Open((gpop::testing::TempDir("gpop-audit") / "operations.db").string());
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    absl::StatusOr<std::unique_ptr<SqliteAuditLog>> log = SqliteAuditLog::Open(store_.get());
    ASSERT_TRUE(log.ok()) << log.status();
    log_ = *std::move(log);
  }
  void TearDown() override { log_.reset(); }  // before the store

  std::unique_ptr<AuditLog::StartTicket> Expect(const std::string& principal,
                                                const std::string& request_id) {
    return log_->ExpectStart(principal, request_id, "fp-" + request_id,
                             [principal](const engine::OperationRecord& record) {
                               v1::AuditEntry entry =
                                   Entry(v1::AUDIT_ACTION_START, principal, record.id, 1);
                               entry.set_request_id(record.request_id);
                               return entry;
                             });
  }
  std::vector<v1::AuditEntry> Starts() {
    AuditQuery query;
    query.action = v1::AUDIT_ACTION_START;
    absl::StatusOr<std::vector<v1::AuditEntry>> all = log_->List(query);
    EXPECT_TRUE(all.ok()) << all.status();
    return all.ok() ? *all : std::vector<v1::AuditEntry>{};
  }

  std::unique_ptr<store::SqliteStore> store_;
  std::unique_ptr<SqliteAuditLog> log_;
};

TEST_F(SqliteStartTicketTest, TheStartEntryIsWrittenByTheCommitThatCreatesItsOperation) {
  std::unique_ptr<AuditLog::StartTicket> ticket = Expect("alice", "req-1");
  ASSERT_NE(ticket, nullptr);
  EXPECT_TRUE(Starts().empty());
  EXPECT_FALSE(ticket->WrittenFor("op-1"));
  // A commit creating another principal's operation, and one with another request, leave it.
  ASSERT_TRUE(store_->Commit({Creation("op-0", "bob", "req-1", 1)}).ok());
  ASSERT_TRUE(store_->Commit({Creation("op-9", "alice", "req-2", 2)}).ok());
  EXPECT_TRUE(Starts().empty());
  ASSERT_TRUE(store_->Commit({Creation("op-1", "alice", "req-1", 3)}).ok());
  EXPECT_TRUE(ticket->WrittenFor("op-1"));
  EXPECT_FALSE(ticket->WrittenFor("op-0"));
  std::vector<v1::AuditEntry> starts = Starts();
  ASSERT_EQ(starts.size(), 1u);
  EXPECT_EQ(starts[0].operation_id(), "op-1");
  EXPECT_EQ(starts[0].request_id(), "req-1");
  EXPECT_EQ(starts[0].sequence(), 1u);
  // Taken once: a later creation with the same key writes nothing more.
  ASSERT_TRUE(store_->Commit({Creation("op-2", "alice", "req-1", 4)}).ok());
  EXPECT_EQ(Starts().size(), 1u);
}

TEST_F(SqliteStartTicketTest, AFailedCommitWritesNeitherTheOperationNorItsEntry) {
  std::unique_ptr<AuditLog::StartTicket> ticket = Expect("alice", "req-1");
  ASSERT_TRUE(store_->Commit({Creation("op-0", "bob", "", 1)}).ok());
  // Revision 1 again: the events table refuses it and the transaction rolls back.
  EXPECT_FALSE(store_->Commit({Creation("op-1", "alice", "req-1", 1)}).ok());
  EXPECT_FALSE(ticket->WrittenFor("op-1"));
  EXPECT_TRUE(Starts().empty());
  absl::StatusOr<engine::OperationRecord> record = store_->ReadOperation("op-1");
  EXPECT_FALSE(record.ok());
}

TEST_F(SqliteStartTicketTest, AWithdrawnTicketIsNotWritten) {
  Expect("alice", "req-1").reset();
  ASSERT_TRUE(store_->Commit({Creation("op-1", "alice", "req-1", 1)}).ok());
  EXPECT_TRUE(Starts().empty());
}

TEST_F(SqliteStartTicketTest, AppendsRideInTheNextCommitOfTheStore) {
  // An append while another one holds the log's own commit: both are written, numbered in
  // order, and each Append returns only once its entry is durable (readable on another
  // connection).
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([this, i] {
      v1::AuditEntry entry = Entry(v1::AUDIT_ACTION_CANCEL, "p" + std::to_string(i), "op-1", 1);
      ASSERT_TRUE(log_->Append(&entry).ok());
      AuditQuery query;
      query.principal = entry.principal();
      absl::StatusOr<std::vector<v1::AuditEntry>> mine = log_->List(query);
      ASSERT_TRUE(mine.ok());
      ASSERT_EQ(mine->size(), 1u);
      EXPECT_EQ((*mine)[0].sequence(), entry.sequence());
    });
  }
  for (std::thread& t : threads) t.join();
  absl::StatusOr<std::vector<v1::AuditEntry>> all = log_->List(AuditQuery{});
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(Sequences(all), (std::vector<uint64_t>{1, 2, 3, 4, 5, 6, 7, 8}));
}

// A change of operation `id` to `state` (terminal or not) at `sequence` and `revision`.
engine::Store::Change Ending(const std::string& id, core::OperationState state, uint64_t sequence,
                             uint64_t revision) {
  engine::Store::Change change = Creation(id, "alice", "", revision);
  change.record.state = state;
  change.record.last_sequence = sequence;
  change.record.cancelled_by = "carol";
  change.event->sequence = sequence;
  change.event->state = state;
  return change;
}

TEST_F(SqliteStartTicketTest, FinishEntriesAreWrittenByTheCommitOfTheirTerminalEvent) {
  EXPECT_EQ(log_->FinishesWrittenFrom(), std::nullopt);
  ASSERT_TRUE(store_->Commit({Creation("op-0", "bob", "", 1)}).ok());  // before: not in effect
  ASSERT_TRUE(log_->WriteFinishesInCommits([](const engine::Event& event,
                                              const engine::OperationRecord& record,
                                              const v1::AuditEntry* start) {
    v1::AuditEntry entry =
        Entry(v1::AUDIT_ACTION_FINISH, record.cancelled_by, event.operation_id, 9, event.revision);
    if (start != nullptr) entry.set_request_id(start->request_id());
    return entry;
  }));
  EXPECT_EQ(log_->FinishesWrittenFrom(), std::nullopt);  // no event committed since
  auto finishes = [this] {
    AuditQuery query;
    query.action = v1::AUDIT_ACTION_FINISH;
    absl::StatusOr<std::vector<v1::AuditEntry>> all = log_->List(query);
    EXPECT_TRUE(all.ok()) << all.status();
    return all.ok() ? *all : std::vector<v1::AuditEntry>{};
  };
  // Created in one commit (its START entry with it), finished in a later one.
  std::unique_ptr<AuditLog::StartTicket> ticket = Expect("alice", "req-1");
  ASSERT_TRUE(store_->Commit({Creation("op-1", "alice", "req-1", 2)}).ok());
  EXPECT_EQ(log_->FinishesWrittenFrom(), 2u);
  ASSERT_TRUE(store_->Commit({Ending("op-1", core::OperationState::kRunning, 2, 3)}).ok());
  EXPECT_TRUE(finishes().empty());  // not terminal
  ASSERT_TRUE(store_->Commit({Ending("op-1", core::OperationState::kSucceeded, 3, 4)}).ok());
  std::vector<v1::AuditEntry> written = finishes();  // durable once Commit returned
  ASSERT_EQ(written.size(), 1u);
  EXPECT_EQ(written[0].operation_id(), "op-1");
  EXPECT_EQ(written[0].revision(), 4u);
  EXPECT_EQ(written[0].request_id(), "req-1");  // from its START entry, read back
  EXPECT_EQ(written[0].principal(), "carol");   // the builder had the record after the change
  // Created and finished in one commit: the START entry of the same transaction, before it.
  std::unique_ptr<AuditLog::StartTicket> second = Expect("alice", "req-2");
  ASSERT_TRUE(store_
                  ->Commit({Creation("op-2", "alice", "req-2", 5),
                            Ending("op-2", core::OperationState::kFailed, 2, 6)})
                  .ok());
  written = finishes();
  ASSERT_EQ(written.size(), 2u);
  EXPECT_EQ(written[1].request_id(), "req-2");
  EXPECT_TRUE(second->WrittenFor("op-2"));
  ASSERT_EQ(Starts().size(), 2u);
  EXPECT_LT(Starts()[1].sequence(), written[1].sequence());
  // A commit that fails (revision 6 again) writes no FINISH entry.
  EXPECT_FALSE(store_->Commit({Ending("op-0", core::OperationState::kCancelled, 2, 6)}).ok());
  EXPECT_EQ(finishes().size(), 2u);
  EXPECT_EQ(log_->FinishesWrittenFrom(), 2u);
}

TEST_F(SqliteStartTicketTest, CommitsCompileNoStatementOnceTheirsArePrepared) {
  ASSERT_TRUE(log_->WriteFinishesInCommits(
      [](const engine::Event& event, const engine::OperationRecord& record, const v1::AuditEntry*) {
        return Entry(v1::AUDIT_ACTION_FINISH, record.principal, event.operation_id, 9,
                     event.revision);
      }));
  // One operation's life as the engine commits it, with every kind of row the hook writes: a
  // START entry with the creation, a FINISH entry that reads the START entry of an earlier
  // commit, an appended entry riding in the log's own commit.
  uint64_t revision = 0;
  auto life = [&](int i) {
    const std::string id = "op-" + std::to_string(i);
    const std::string request = "req-" + std::to_string(i);
    std::unique_ptr<AuditLog::StartTicket> ticket = Expect("alice", request);
    ASSERT_TRUE(store_->Commit({Creation(id, "alice", request, ++revision)}).ok());
    ASSERT_TRUE(ticket->WrittenFor(id));
    ASSERT_TRUE(store_->Commit({Ending(id, core::OperationState::kRunning, 2, ++revision)}).ok());
    ASSERT_TRUE(store_->Commit({Ending(id, core::OperationState::kSucceeded, 3, ++revision)}).ok());
    v1::AuditEntry cancel = Entry(v1::AUDIT_ACTION_CANCEL, "bob", id, 1);
    ASSERT_TRUE(log_->Append(&cancel).ok());
  };
  life(0);
  const int64_t warm = store_->StatementsCompiled();
  for (int i = 1; i <= 5; ++i) life(i);
  // Each transaction used to prepare the hook's INSERT and its START lookup again, and BEGIN,
  // COMMIT and last_insert_rowid() were compiled by every call.
  EXPECT_EQ(store_->StatementsCompiled(), warm);
  EXPECT_EQ(Starts().size(), 6u);
}

TEST_F(SqliteStartTicketTest, AFinishEntryReadsAStartEntryThisLogDidNotKeep) {
  // Started under one log, finished under another (as across a restart): the START entry is
  // read back from the table.
  std::unique_ptr<AuditLog::StartTicket> ticket = Expect("alice", "req-1");
  ASSERT_TRUE(store_->Commit({Creation("op-1", "alice", "req-1", 1)}).ok());
  ticket.reset();
  log_.reset();
  absl::StatusOr<std::unique_ptr<SqliteAuditLog>> log = SqliteAuditLog::Open(store_.get());
  ASSERT_TRUE(log.ok()) << log.status();
  log_ = *std::move(log);
  ASSERT_TRUE(log_->WriteFinishesInCommits([](const engine::Event& event,
                                              const engine::OperationRecord& record,
                                              const v1::AuditEntry* start) {
    v1::AuditEntry entry =
        Entry(v1::AUDIT_ACTION_FINISH, record.principal, event.operation_id, 9, event.revision);
    entry.set_request_id(start != nullptr ? start->request_id() : "none");
    return entry;
  }));
  ASSERT_TRUE(store_->Commit({Ending("op-1", core::OperationState::kSucceeded, 2, 2)}).ok());
  AuditQuery query;
  query.action = v1::AUDIT_ACTION_FINISH;
  absl::StatusOr<std::vector<v1::AuditEntry>> finishes = log_->List(query);
  ASSERT_TRUE(finishes.ok()) << finishes.status();
  ASSERT_EQ(finishes->size(), 1u);
  EXPECT_EQ((*finishes)[0].request_id(), "req-1");
}

TEST(MemoryAuditLogTest, WritesNoFinishEntriesInCommits) {
  MemoryAuditLog log;
  EXPECT_FALSE(log.WriteFinishesInCommits([](const engine::Event&, const engine::OperationRecord&,
                                             const v1::AuditEntry*) { return v1::AuditEntry(); }));
}

TEST(MemoryAuditLogTest, HasNoStartTickets) {
  MemoryAuditLog log;
  EXPECT_EQ(log.ExpectStart("alice", "", "",
                            [](const engine::OperationRecord&) { return v1::AuditEntry(); }),
            nullptr);
}

TEST(MemoryAuditLogTest, KeepsTheNewestEntriesAndSaysHowManyWereDropped) {
  MemoryAuditLog log(/*max_entries=*/4);
  EXPECT_EQ(log.DroppedThrough(), 0u);
  // Operations op-1 .. op-5, a START and a FINISH each: 10 entries, the newest 4 kept.
  for (int i = 1; i <= 5; ++i) {
    const std::string op = "op-" + std::to_string(i);
    v1::AuditEntry start = Entry(v1::AUDIT_ACTION_START, "alice", op, 2 * i);
    start.mutable_request()->set_request_id("req-" + std::to_string(i));
    ASSERT_TRUE(log.Append(&start).ok());
    v1::AuditEntry finish = Entry(v1::AUDIT_ACTION_FINISH, "alice", op, 2 * i + 1, 10 * i);
    ASSERT_TRUE(log.Append(&finish).ok());
    EXPECT_EQ(finish.sequence(), static_cast<uint64_t>(2 * i));  // sequences go on
  }
  EXPECT_EQ(log.size(), 4u);
  EXPECT_EQ(log.DroppedThrough(), 6u);
  EXPECT_EQ(Sequences(log.List(AuditQuery{})), (std::vector<uint64_t>{7, 8, 9, 10}));
  AuditQuery after;
  after.after_sequence = 8;
  EXPECT_EQ(Sequences(log.List(after)), (std::vector<uint64_t>{9, 10}));
  // A page token from before the drop resumes at the oldest entry held.
  after.after_sequence = 2;
  EXPECT_EQ(Sequences(log.List(after)), (std::vector<uint64_t>{7, 8, 9, 10}));
  // The entries of dropped operations are gone from the index by operation too; those held
  // come back whole.
  AuditQuery by_op;
  by_op.operation_id = "op-2";
  EXPECT_TRUE(Sequences(log.List(by_op)).empty());
  by_op.operation_id = "op-4";
  by_op.action = v1::AUDIT_ACTION_START;
  absl::StatusOr<std::vector<v1::AuditEntry>> start = log.List(by_op);
  ASSERT_TRUE(start.ok()) << start.status();
  ASSERT_EQ(start->size(), 1u);
  EXPECT_EQ((*start)[0].sequence(), 7u);
  EXPECT_EQ((*start)[0].request().request_id(), "req-4");
  // The recorder resumes after the newest FINISH, also when older ones were dropped.
  EXPECT_EQ(*log.LastFinishRevision(), 50u);
}

TEST(MemoryAuditLogTest, MemoryStaysFlatPastTheCap) {
  // The index by operation must not keep an entry (or an empty list) per dropped operation.
  MemoryAuditLog log(/*max_entries=*/100);
  for (int i = 0; i < 20000; ++i) {
    v1::AuditEntry entry = Entry(v1::AUDIT_ACTION_START, "alice", "op-" + std::to_string(i), i);
    ASSERT_TRUE(log.Append(&entry).ok());
  }
  EXPECT_EQ(log.size(), 100u);
  EXPECT_EQ(log.DroppedThrough(), 19900u);
  EXPECT_EQ(log.operations_indexed(), 100u);
}

}  // namespace
}  // namespace gpop::audit
