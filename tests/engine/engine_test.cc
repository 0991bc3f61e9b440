// Engine unit tests on a fake clock, with a gate backend that the tests open by hand.

#include "service/engine/engine.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <thread>

#include "service/engine/status_convert.h"
#include "service/store/memory_store.h"
#include "tests/engine/cursor_testing.h"
#include "tests/engine/gate_backend.h"
#include "tests/store/forwarding_store.h"

namespace gpop::engine {
namespace {

using core::OperationState;
using testing::GateBackend;
using testing::NextBlocking;

core::OperationSpec BackupOf(const std::string& guid) {
  core::BackupSpec b;
  b.gpo.guid = guid;
  return b;
}

GateBackend::Release Steps(int progress, int messages) {
  GateBackend::Release r;
  r.progress_steps = progress;
  r.message_events = messages;
  return r;
}

constexpr char kGpoA[] = "{AAAAAAAA-0000-0000-0000-000000000001}";
constexpr char kGpoB[] = "{BBBBBBBB-0000-0000-0000-000000000002}";

// Reads events until the stream ends; returns the events and the end status.
struct Drained {
  std::vector<Event> events;
  std::vector<Progress> progress;
  int heartbeats = 0;
  absl::Status end;
};
Drained DrainToEnd(Cursor* cursor) {
  Drained d;
  for (;;) {
    Cursor::Next next = NextBlocking(cursor);
    if (auto* end = std::get_if<Cursor::End>(&next)) {
      d.end = end->status;
      return d;
    }
    StreamItem& item = std::get<StreamItem>(next);
    if (auto* ev = std::get_if<Event>(&item)) d.events.push_back(*ev);
    if (auto* p = std::get_if<Progress>(&item)) d.progress.push_back(*p);
    if (std::holds_alternative<Heartbeat>(item)) ++d.heartbeats;
  }
}

std::vector<OperationState> States(const std::vector<Event>& events) {
  std::vector<OperationState> out;
  for (const Event& e : events) out.push_back(e.state);
  return out;
}

class EngineTest : public ::testing::Test {
 protected:
  void Make(EngineOptions options = {}) {
    engine_ = std::make_unique<Engine>(options, &backend_, &store_, &clock_);
    ASSERT_TRUE(engine_->Recover().ok());
  }
  void TearDown() override {
    if (engine_) {
      backend_.set_stop_on_cancel(true);
      engine_->Shutdown(Duration::zero());
    }
  }

  OperationRecord StartOk(const std::string& guid = kGpoA, std::string principal = "alice",
                          std::map<std::string, std::string> labels = {}) {
    StartRequest r;
    r.principal = principal;
    r.spec = BackupOf(guid);
    r.labels = std::move(labels);
    auto rec = engine_->Start(r);
    EXPECT_TRUE(rec.ok()) << rec.status();
    return rec.ok() ? *rec : OperationRecord{};
  }

  std::unique_ptr<Cursor> Stream(const std::string& id, uint64_t after = 0) {
    auto c = engine_->OpenStatusStream("alice", id, after);
    EXPECT_TRUE(c.ok()) << c.status();
    return c.ok() ? std::move(*c) : nullptr;
  }

  core::Error ErrorOf(const absl::Status& s) { return ToError(s); }

  FakeClock clock_;
  GateBackend backend_;
  store::MemoryStore store_;
  std::unique_ptr<Engine> engine_;
};

TEST_F(EngineTest, StartStreamSucceeded) {
  Make();
  OperationRecord rec = StartOk();
  EXPECT_EQ(rec.state, OperationState::kQueued);
  EXPECT_EQ(rec.last_sequence, 1u);
  backend_.Open(rec.id, Steps(3, 0));
  auto cursor = Stream(rec.id);
  Drained d = DrainToEnd(cursor.get());
  EXPECT_TRUE(d.end.ok()) << d.end;
  EXPECT_EQ(States(d.events),
            (std::vector<OperationState>{OperationState::kQueued, OperationState::kRunning,
                                         OperationState::kSucceeded}));
  for (size_t i = 0; i < d.events.size(); ++i) EXPECT_EQ(d.events[i].sequence, i + 1);
  EXPECT_EQ(d.events.back().effects, core::Effects::kApplied);
  EXPECT_TRUE(std::holds_alternative<core::GpoInfo>(d.events.back().result));
  auto got = engine_->Get("tester", rec.id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->state, OperationState::kSucceeded);
  EXPECT_EQ(got->last_sequence, 3u);
}

TEST_F(EngineTest, EventsAreDurableBeforeStreamed) {
  Make();
  OperationRecord rec = StartOk();
  backend_.Open(rec.id, Steps(0, 5));
  auto cursor = Stream(rec.id);
  Drained d = DrainToEnd(cursor.get());
  auto snap = store_.Load();
  ASSERT_TRUE(snap.ok());
  // Every event a stream saw is in the store with the same numbers.
  for (const Event& e : d.events) {
    bool found = false;
    for (const Event& s : snap->events) {
      found |=
          s.revision == e.revision && s.sequence == e.sequence && s.operation_id == e.operation_id;
    }
    EXPECT_TRUE(found) << "event " << e.sequence << " streamed but not stored";
  }
  EXPECT_EQ(d.events.size(), 8u);  // QUEUED, RUNNING, 5 messages, SUCCEEDED
}

TEST_F(EngineTest, StoreFailureRefusesStartAndShowsNothing) {
  Make();
  std::atomic<int> not_serving{0};
  engine_->SetServingObserver([&](bool serving) {
    if (!serving) ++not_serving;
  });
  store_.FailCommits(true);
  StartRequest r;
  r.principal = "alice";
  r.spec = BackupOf(kGpoA);
  auto rec = engine_->Start(r);
  ASSERT_FALSE(rec.ok());
  EXPECT_EQ(rec.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_FALSE(engine_->serving());
  EXPECT_EQ(not_serving.load(), 1);  // readiness was told at once
  auto list = engine_->List({});
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE(list->operations.empty());
}

// Regression: a commit that fails after the operation was dispatched (its RUNNING event) left
// the run counted as running, and Shutdown waited for it forever. Here the operation waited
// for the slot, so its RUNNING event is in a later commit than its creation.
TEST_F(EngineTest, StoreFailureAfterDispatchLetsShutdownFinish) {
  EngineOptions o;
  o.executor_threads = 1;
  Make(o);
  OperationRecord first = StartOk();  // created and dispatched: one commit
  OperationRecord rec = StartOk(kGpoB);
  EXPECT_EQ(rec.state, OperationState::kQueued);
  EXPECT_EQ(engine_->stats().running, 1);  // `rec` waits for the slot
  store_.FailCommitsAfter(0);              // the commit of first's end and rec's RUNNING fails
  backend_.Open(first.id);
  while (engine_->serving()) std::this_thread::yield();  // the RUNNING commit failed
  engine_->Shutdown(std::chrono::seconds(30));           // returns: nothing is left running
  EXPECT_FALSE(backend_.started(rec.id));
  EXPECT_EQ(engine_->stats().running, 0);
  auto got = engine_->Get("tester", rec.id);  // reads keep working
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->state, OperationState::kQueued);
}

// The same when RUNNING rode in the commit that creates the operation: the Start is refused,
// the run never starts and ends at once, and Shutdown finishes.
TEST_F(EngineTest, StoreFailureOfTheCreatingCommitEndsTheDispatchedRun) {
  Make();
  store_.FailCommits(true);
  StartRequest r;
  r.principal = "alice";
  r.spec = BackupOf(kGpoA);
  EXPECT_TRUE(absl::IsUnavailable(engine_->Start(r).status()));
  EXPECT_EQ(engine_->stats().running, 0);  // ended before the Start answered
  engine_->Shutdown(std::chrono::seconds(30));
  EXPECT_EQ(backend_.max_running(), 0);
  EXPECT_TRUE(engine_->List({})->operations.empty());
}

TEST_F(EngineTest, CancelWhileRunning) {
  Make();
  OperationRecord rec = StartOk();
  backend_.WaitStarted(rec.id);
  auto watcher1 = Stream(rec.id);
  auto watcher2 = Stream(rec.id);
  auto cancelled = engine_->Cancel("carol", rec.id);
  ASSERT_TRUE(cancelled.ok());
  EXPECT_TRUE(cancelled->cancel_requested);
  EXPECT_EQ(cancelled->cancelled_by, "carol");
  // A second caller asking again does not take the first one's place.
  EXPECT_EQ(engine_->Cancel("dave", rec.id)->cancelled_by, "carol");
  for (Cursor* c : {watcher1.get(), watcher2.get()}) {
    Drained d = DrainToEnd(c);
    EXPECT_EQ(States(d.events), (std::vector<OperationState>{
                                    OperationState::kQueued, OperationState::kRunning,
                                    OperationState::kCancelling, OperationState::kCancelled}));
    EXPECT_EQ(d.events.back().effects, core::Effects::kNone);
    ASSERT_TRUE(d.events.back().error.has_value());
    EXPECT_EQ(d.events.back().error->code, core::Code::kCancelled);
  }
}

TEST_F(EngineTest, CancelWhileQueuedIsImmediate) {
  EngineOptions o;
  o.executor_threads = 1;
  Make(o);
  OperationRecord first = StartOk(kGpoA);
  backend_.WaitStarted(first.id);
  OperationRecord second = StartOk(kGpoB);
  EXPECT_EQ(engine_->Get("tester", second.id)->state, OperationState::kQueued);
  auto cancelled = engine_->Cancel("carol", second.id);
  ASSERT_TRUE(cancelled.ok());
  EXPECT_EQ(cancelled->state, OperationState::kCancelled);
  EXPECT_EQ(engine_->Get("tester", second.id)->cancelled_by, "carol");
  EXPECT_EQ(cancelled->effects, core::Effects::kNone);
  EXPECT_FALSE(backend_.started(second.id));
  backend_.Open(first.id);
}

TEST_F(EngineTest, CancelAfterDoneChangesNothing) {
  Make();
  OperationRecord rec = StartOk();
  backend_.Open(rec.id);
  DrainToEnd(Stream(rec.id).get());
  auto before = engine_->Get("tester", rec.id);
  auto after = engine_->Cancel("tester", rec.id);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->state, OperationState::kSucceeded);
  EXPECT_EQ(after->last_sequence, before->last_sequence);
  EXPECT_FALSE(after->cancel_requested);
  EXPECT_EQ(after->cancelled_by, "");
  EXPECT_EQ(engine_->Cancel("tester", rec.id)->revision, before->revision);  // idempotent
}

TEST_F(EngineTest, CancelAfterCommitPointDoesNotApply) {
  Make();
  backend_.set_commit_at_start(true);
  OperationRecord rec = StartOk();
  backend_.WaitStarted(rec.id);
  auto c = engine_->Cancel("carol", rec.id);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->state, OperationState::kRunning);  // no CANCELLING: too late
  // No event follows, yet the visible record says at once that a cancel was asked, and by whom.
  EXPECT_TRUE(c->cancel_requested);
  EXPECT_EQ(c->cancelled_by, "carol");
  auto got = engine_->Get("tester", rec.id);
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE(got->cancel_requested);
  EXPECT_EQ(got->cancelled_by, "carol");
  EXPECT_EQ(got->last_sequence, c->last_sequence);
  backend_.Open(rec.id);
  Drained d = DrainToEnd(Stream(rec.id).get());
  EXPECT_EQ(d.events.back().state, OperationState::kSucceeded);
  EXPECT_EQ(d.events.back().effects, core::Effects::kApplied);
  auto done = engine_->Get("tester", rec.id);
  ASSERT_TRUE(done.ok());
  EXPECT_TRUE(done->cancel_requested);
  EXPECT_EQ(done->cancelled_by, "carol");
}

TEST_F(EngineTest, DeadlineWhileQueuedFails) {
  EngineOptions o;
  o.executor_threads = 1;
  Make(o);
  OperationRecord first = StartOk(kGpoA);
  backend_.WaitStarted(first.id);
  StartRequest r;
  r.principal = "alice";
  r.spec = BackupOf(kGpoB);
  r.timeout = std::chrono::seconds(10);
  auto second = engine_->Start(r);
  ASSERT_TRUE(second.ok());
  clock_.Advance(std::chrono::seconds(11));
  engine_->AwaitMaintenance();  // the timer's work runs on the maintenance thread
  auto got = engine_->Get("tester", second->id);
  EXPECT_EQ(got->state, OperationState::kFailed);
  EXPECT_EQ(got->error->code, core::Code::kDeadlineExceeded);
  EXPECT_EQ(got->effects, core::Effects::kNone);
  backend_.Open(first.id);
}

TEST_F(EngineTest, DeadlineWhileRunningCancelsAndFails) {
  Make();
  StartRequest r;
  r.principal = "alice";
  r.spec = BackupOf(kGpoA);
  r.timeout = std::chrono::seconds(5);
  auto rec = engine_->Start(r);
  ASSERT_TRUE(rec.ok());
  backend_.WaitStarted(rec->id);
  clock_.Advance(std::chrono::seconds(6));
  Drained d = DrainToEnd(Stream(rec->id).get());
  EXPECT_EQ(States(d.events),
            (std::vector<OperationState>{OperationState::kQueued, OperationState::kRunning,
                                         OperationState::kCancelling, OperationState::kFailed}));
  EXPECT_EQ(d.events.back().error->code, core::Code::kDeadlineExceeded);
  EXPECT_EQ(d.events.back().error->reason, core::reason::kDeadlineExceeded);
}

TEST_F(EngineTest, DeadlineAfterCommitPointSucceeds) {
  Make();
  backend_.set_commit_at_start(true);
  StartRequest r;
  r.principal = "alice";
  r.spec = BackupOf(kGpoA);
  r.timeout = std::chrono::seconds(5);
  auto rec = engine_->Start(r);
  backend_.WaitStarted(rec->id);
  clock_.Advance(std::chrono::seconds(6));
  engine_->AwaitMaintenance();  // the timer's work runs on the maintenance thread
  backend_.Open(rec->id);
  Drained d = DrainToEnd(Stream(rec->id).get());
  EXPECT_EQ(d.events.back().state, OperationState::kSucceeded);
}

TEST_F(EngineTest, RequestIdRetryAndReuse) {
  Make();
  StartRequest r;
  r.principal = "alice";
  r.request_id = "req-1";
  r.fingerprint = "f1";
  r.spec = BackupOf(kGpoA);
  auto a = engine_->Start(r);
  auto b = engine_->Start(r);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->id, b->id);
  r.fingerprint = "f2";
  auto c = engine_->Start(r);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(ErrorOf(c.status()).reason, core::reason::kRequestIdReused);
  // Another principal may use the same request_id.
  r.principal = "bob";
  auto d = engine_->Start(r);
  ASSERT_TRUE(d.ok());
  EXPECT_NE(d->id, a->id);
  backend_.Open(a->id);
  backend_.Open(d->id);
}

TEST_F(EngineTest, QueueLimitsOverallAndPerPrincipal) {
  EngineOptions o;
  o.executor_threads = 1;
  o.max_queued = 3;
  o.max_queued_per_principal = 2;
  Make(o);
  OperationRecord running = StartOk(kGpoA, "alice");
  backend_.WaitStarted(running.id);
  StartOk(kGpoA, "alice");
  StartOk(kGpoA, "alice");
  StartRequest r;
  r.principal = "alice";
  r.spec = BackupOf(kGpoA);
  auto over = engine_->Start(r);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ErrorOf(over.status()).metadata["scope"], "principal");
  StartOk(kGpoA, "bob");
  r.principal = "carol";
  auto full = engine_->Start(r);
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(ErrorOf(full.status()).metadata["scope"], "server");
}

TEST_F(EngineTest, StreamLimits) {
  EngineOptions o;
  o.max_streams = 3;
  o.max_streams_per_principal = 2;
  Make(o);
  OperationRecord rec = StartOk();
  auto s1 = engine_->OpenStatusStream("alice", rec.id, 0);
  auto s2 = engine_->OpenStatusStream("alice", rec.id, 0);
  auto s3 = engine_->OpenStatusStream("alice", rec.id, 0);
  ASSERT_TRUE(s1.ok() && s2.ok());
  ASSERT_FALSE(s3.ok());
  EXPECT_EQ(s3.status().code(), absl::StatusCode::kResourceExhausted);
  auto w = engine_->OpenWatch("bob", 0, "");
  ASSERT_TRUE(w.ok());
  auto s4 = engine_->OpenWatch("carol", 0, "");
  EXPECT_EQ(s4.status().code(), absl::StatusCode::kResourceExhausted);
  s1->reset();
  EXPECT_EQ(engine_->stats().open_streams, 2);
  EXPECT_TRUE(engine_->OpenStatusStream("alice", rec.id, 0).ok());
  backend_.Open(rec.id);
}

// A principal's own limits (EngineOptions::principal_limits) replace the server-wide
// per-principal ones for it alone: alice may run two at once and queue one, bob the defaults.
TEST_F(EngineTest, PrincipalOverridesRunningAndQueuedLimits) {
  EngineOptions o;
  o.executor_threads = 3;
  o.max_running_per_principal = 1;
  o.max_queued_per_principal = 2;
  o.principal_limits = [](const std::string& principal) {
    LimitOverrides own;
    if (principal == "alice") {
      own.max_running = 2;
      own.max_queued = 1;
    }
    return own;
  };
  Make(o);
  // Each backup to a location of its own: no resource lock holds any of them back.
  int locations = 0;
  auto start = [&](const std::string& principal) {
    core::BackupSpec backup;
    backup.gpo.guid = kGpoA;
    backup.location = "l" + std::to_string(++locations);
    StartRequest r;
    r.principal = principal;
    r.spec = backup;
    return engine_->Start(r);
  };
  std::vector<std::string> ids;
  for (const char* principal : {"alice", "alice", "bob"}) {
    auto rec = start(principal);
    ASSERT_TRUE(rec.ok()) << rec.status();
    ids.push_back(rec->id);
  }
  for (const std::string& id : ids) backend_.WaitStarted(id);  // alice: past the server's 1
  auto queued = start("alice");                                // queued: alice runs her two
  ASSERT_TRUE(queued.ok()) << queued.status();
  ids.push_back(queued->id);
  auto over = start("alice");
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ErrorOf(over.status()).reason, core::reason::kQueueFull);
  EXPECT_EQ(ErrorOf(over.status()).metadata["scope"], "principal");
  EXPECT_EQ(ErrorOf(over.status()).metadata["limit"], "1");
  // bob: one running (the server-wide limit), two queued.
  for (int i = 0; i < 2; ++i) {
    auto rec = start("bob");
    ASSERT_TRUE(rec.ok()) << rec.status();
    ids.push_back(rec->id);
  }
  auto bob_over = start("bob");
  ASSERT_FALSE(bob_over.ok());
  EXPECT_EQ(ErrorOf(bob_over.status()).metadata["limit"], "2");
  Engine::Stats s = engine_->stats();
  EXPECT_EQ(s.running, 3);
  EXPECT_EQ(s.queued, 3);
  for (const std::string& id : ids) backend_.Open(id);
}

TEST_F(EngineTest, PrincipalOverridesStreamLimit) {
  EngineOptions o;
  o.max_streams_per_principal = 1;
  o.principal_limits = [](const std::string& principal) {
    LimitOverrides own;
    if (principal == "dashboard") own.max_streams = 3;
    return own;
  };
  Make(o);
  OperationRecord rec = StartOk();
  std::vector<std::unique_ptr<Cursor>> open;
  for (int i = 0; i < 3; ++i) {
    auto s = engine_->OpenStatusStream("dashboard", rec.id, 0);
    ASSERT_TRUE(s.ok()) << i << ": " << s.status();
    open.push_back(*std::move(s));
  }
  auto fourth = engine_->OpenWatch("dashboard", 0, "");
  ASSERT_FALSE(fourth.ok());
  EXPECT_EQ(fourth.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ErrorOf(fourth.status()).metadata["limit"], "3");
  auto alice = engine_->OpenStatusStream("alice", rec.id, 0);
  ASSERT_TRUE(alice.ok());
  auto alice2 = engine_->OpenStatusStream("alice", rec.id, 0);
  ASSERT_FALSE(alice2.ok());
  EXPECT_EQ(ErrorOf(alice2.status()).metadata["limit"], "1");
  backend_.Open(rec.id);
}

// Stats count the open watches apart, and every stream opened after a sequence or revision as
// a resume (refused opens are not).
TEST_F(EngineTest, StatsCountWatchesAndResumes) {
  Make();
  OperationRecord rec = StartOk();
  auto fresh = engine_->OpenStatusStream("alice", rec.id, 0);
  auto watch = engine_->OpenWatch("alice", 0, "");
  ASSERT_TRUE(fresh.ok() && watch.ok());
  Engine::Stats s = engine_->stats();
  EXPECT_EQ(s.open_streams, 2);
  EXPECT_EQ(s.open_watches, 1);
  EXPECT_EQ(s.resumed_status_streams, 0u);
  EXPECT_EQ(s.resumed_watches, 0u);

  auto resumed = engine_->OpenStatusStream("alice", rec.id, 1);
  auto rewatch = engine_->OpenWatch("alice", s.revision, "");
  ASSERT_TRUE(resumed.ok() && rewatch.ok());
  EXPECT_FALSE(engine_->OpenStatusStream("alice", rec.id, 1000).ok());
  EXPECT_FALSE(engine_->OpenWatch("alice", s.revision + 1000, "").ok());
  s = engine_->stats();
  EXPECT_EQ(s.open_watches, 2);
  EXPECT_EQ(s.resumed_status_streams, 1u);
  EXPECT_EQ(s.resumed_watches, 1u);
  watch->reset();
  EXPECT_EQ(engine_->stats().open_watches, 1);
  backend_.Open(rec.id);
}

TEST_F(EngineTest, WriteLocksSerializeReadLocksShare) {
  EngineOptions o;
  o.executor_threads = 4;
  Make(o);
  // Two backups of one GPO read it but both write the default backup location: serial.
  OperationRecord a = StartOk(kGpoA);
  OperationRecord b = StartOk(kGpoB);
  backend_.WaitStarted(a.id);
  EXPECT_EQ(engine_->Get("tester", b.id)->state, OperationState::kQueued);
  // Two reports of one GPO only read: they run together.
  core::ReportSpec rs;
  rs.subject = core::GpoRef{kGpoA, ""};
  StartRequest r1{"alice", "", "", rs, std::nullopt, {}};
  auto r1rec = engine_->Start(r1);
  auto r2rec = engine_->Start(r1);
  ASSERT_TRUE(r1rec.ok() && r2rec.ok());
  backend_.WaitStarted(r1rec->id);
  backend_.WaitStarted(r2rec->id);
  backend_.Open(a.id);
  backend_.WaitStarted(b.id);  // starts only once a released its write lock
  for (const auto& id : {b.id, r1rec->id, r2rec->id}) backend_.Open(id);
  DrainToEnd(Stream(b.id).get());
}

TEST_F(EngineTest, FirstComeFirstServedLocks) {
  EngineOptions o;
  o.executor_threads = 4;
  Make(o);
  core::ReportSpec rs;
  rs.subject = core::GpoRef{kGpoA, ""};
  StartRequest read{"alice", "", "", rs, std::nullopt, {}};
  core::ImportSpec is;
  is.backup.backup_id = kGpoB;
  is.target.guid = kGpoA;
  StartRequest write{"alice", "", "", is, std::nullopt, {}};
  auto r1 = engine_->Start(read);
  backend_.WaitStarted(r1->id);
  auto w = engine_->Start(write);  // waits for r1
  auto r2 = engine_->Start(read);  // must not overtake the waiting writer
  EXPECT_EQ(engine_->Get("tester", w->id)->state, OperationState::kQueued);
  EXPECT_EQ(engine_->Get("tester", r2->id)->state, OperationState::kQueued);
  backend_.Open(r1->id);
  backend_.WaitStarted(w->id);
  EXPECT_FALSE(backend_.started(r2->id));
  backend_.Open(w->id);
  backend_.Open(r2->id);
  DrainToEnd(Stream(r2->id).get());
}

TEST_F(EngineTest, ResumeEdgeCases) {
  EngineOptions o;
  o.retention = std::chrono::hours(1);
  Make(o);
  OperationRecord rec = StartOk();
  backend_.Open(rec.id);
  Drained all = DrainToEnd(Stream(rec.id).get());
  ASSERT_EQ(all.events.size(), 3u);
  // Resume from every position: exactly the later events.
  for (uint64_t after = 0; after <= 3; ++after) {
    Drained d = DrainToEnd(Stream(rec.id, after).get());
    ASSERT_EQ(d.events.size(), 3 - after);
    if (!d.events.empty()) EXPECT_EQ(d.events.front().sequence, after + 1);
    EXPECT_TRUE(d.end.ok());
  }
  auto beyond = engine_->OpenStatusStream("alice", rec.id, 4);
  EXPECT_EQ(beyond.status().code(), absl::StatusCode::kOutOfRange);
  auto unknown = engine_->OpenStatusStream("alice", "op-doesnotexist", 0);
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ErrorOf(unknown.status()).reason, core::reason::kOperationNotFound);
  clock_.Advance(std::chrono::hours(2));
  engine_->AwaitMaintenance();  // the timer's work runs on the maintenance thread
  auto expired = engine_->OpenStatusStream("alice", rec.id, 0);
  EXPECT_EQ(expired.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ErrorOf(expired.status()).reason, core::reason::kOperationExpired);
  EXPECT_EQ(ErrorOf(engine_->Get("tester", rec.id).status()).reason,
            core::reason::kOperationExpired);
}

// DeleteOperation's removal answers OPERATION_DELETED, distinct from retention's
// OPERATION_EXPIRED: Get, Cancel, a new status stream, and a stream opened before the delete.
TEST_F(EngineTest, DeletedOperationAnswersDeletedNotExpired) {
  Make();
  OperationRecord rec = StartOk();
  backend_.Open(rec.id);
  Drained done = DrainToEnd(Stream(rec.id).get());
  ASSERT_TRUE(done.end.ok());
  // Opened before the delete, read after it (its events are the store's, so it holds no
  // event in memory: its next poll finds the operation gone).
  auto before = Stream(rec.id);
  ASSERT_TRUE(engine_->Delete("tester", rec.id).ok());
  Drained cut = DrainToEnd(before.get());
  EXPECT_EQ(cut.end.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ErrorOf(cut.end).reason, core::reason::kOperationDeleted);
  EXPECT_EQ(ErrorOf(engine_->Get("tester", rec.id).status()).reason,
            core::reason::kOperationDeleted);
  EXPECT_EQ(engine_->Get("tester", rec.id).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ErrorOf(engine_->Cancel("tester", rec.id).status()).reason,
            core::reason::kOperationDeleted);
  auto stream = engine_->OpenStatusStream("alice", rec.id, 0);
  EXPECT_EQ(stream.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ErrorOf(stream.status()).reason, core::reason::kOperationDeleted);
  // A second Delete finds nothing to delete, and says why.
  EXPECT_EQ(ErrorOf(engine_->Delete("tester", rec.id)).reason, core::reason::kOperationDeleted);
  // Retention's removal of another operation still answers OPERATION_EXPIRED.
  OperationRecord old = StartOk();
  backend_.Open(old.id);
  ASSERT_TRUE(DrainToEnd(Stream(old.id).get()).end.ok());
  clock_.Advance(std::chrono::hours(24 * 8));
  engine_->AwaitMaintenance();
  EXPECT_EQ(ErrorOf(engine_->Get("tester", old.id).status()).reason,
            core::reason::kOperationExpired);
  EXPECT_EQ(ErrorOf(engine_->Get("tester", rec.id).status()).reason,
            core::reason::kOperationDeleted);
}

TEST_F(EngineTest, SlowReaderSkipsStaleProgressNeverEvents) {
  Make();
  OperationRecord rec = StartOk();
  auto slow = Stream(rec.id);
  backend_.Open(rec.id, Steps(500, 3));
  backend_.WaitFinished(rec.id);
  // The reader starts only now: every event, but at most one progress value per gap.
  Drained d = DrainToEnd(slow.get());
  EXPECT_EQ(d.events.size(), 6u);
  EXPECT_LE(d.progress.size(), 1u);
  for (size_t i = 0; i < d.events.size(); ++i) EXPECT_EQ(d.events[i].sequence, i + 1);
}

TEST_F(EngineTest, StalledReaderRetainsNothingExtra) {
  EngineOptions o;
  o.retained_revisions = 50;
  o.max_events_per_operation = 40;
  Make(o);
  OperationRecord rec = StartOk();
  auto stalled = Stream(rec.id);
  backend_.Open(rec.id, Steps(1000, 200));
  backend_.WaitFinished(rec.id);
  DrainToEnd(Stream(rec.id).get());
  Engine::Stats s = engine_->stats();
  // Per-operation log (<= 40) plus the watch log (<= 50), however far behind the reader is.
  EXPECT_LE(s.retained_events, 90);
  Drained d = DrainToEnd(stalled.get());
  // The log stops at the per-operation limit and says how many messages it folded.
  EXPECT_LE(d.events.size(), 40u);
  EXPECT_GE(d.events.size(), 38u);
  EXPECT_NE(d.events.back().messages.back().message.find("not recorded"), std::string::npos);
}

TEST_F(EngineTest, HeartbeatOnIdleStream) {
  EngineOptions o;
  o.heartbeat_interval = std::chrono::seconds(15);
  Make(o);
  OperationRecord rec = StartOk();
  auto cursor = Stream(rec.id);
  // Drain what is there.
  while (!std::holds_alternative<Cursor::Pending>(cursor->Poll())) {
  }
  core::Mutex mu;
  bool woken = false;
  ASSERT_TRUE(cursor->Arm([&] {
    core::MutexLock lock(&mu);
    woken = true;
  }));
  clock_.Advance(std::chrono::seconds(16));  // fires the heartbeat timer on this thread
  {
    core::MutexLock lock(&mu);
    EXPECT_TRUE(woken);
  }
  Cursor::Next next = cursor->Poll();
  ASSERT_TRUE(std::holds_alternative<StreamItem>(next));
  auto* hb = std::get_if<Heartbeat>(&std::get<StreamItem>(next));
  ASSERT_NE(hb, nullptr);
  EXPECT_GE(hb->sequence, 1u);
  backend_.Open(rec.id);
}

TEST_F(EngineTest, ListPagesAndFilter) {
  Make();
  std::vector<std::string> ids;
  for (int i = 0; i < 7; ++i) {
    OperationRecord r = StartOk(kGpoA, "alice", {{"team", i % 2 ? "odd" : "even"}});
    ids.push_back(r.id);
  }
  std::vector<std::string> seen;
  ListRequest req;
  req.page_size = 3;
  uint64_t revision = 0;
  do {
    auto page = engine_->List(req);
    ASSERT_TRUE(page.ok()) << page.status();
    if (revision == 0) revision = page->revision;
    EXPECT_EQ(page->revision, revision);
    for (auto& op : page->operations) seen.push_back(op.id);
    req.page_token = page->next_page_token;
  } while (!req.page_token.empty());
  std::vector<std::string> newest_first(ids.rbegin(), ids.rend());
  EXPECT_EQ(seen, newest_first);
  auto odd = engine_->List({"labels.team=odd AND kind=backup", 0, ""});
  ASSERT_TRUE(odd.ok());
  EXPECT_EQ(odd->operations.size(), 3u);
  auto bad = engine_->List({"color=red", 0, ""});
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  auto first = engine_->List({"", 3, ""});
  ASSERT_TRUE(first.ok());
  auto other_filter = engine_->List({"kind=backup", 3, first->next_page_token});
  EXPECT_EQ(other_filter.status().code(), absl::StatusCode::kInvalidArgument);
  auto garbage = engine_->List({"", 3, "not-a-token"});
  EXPECT_EQ(garbage.status().code(), absl::StatusCode::kInvalidArgument);
  for (auto& id : ids) backend_.Open(id);
}

TEST_F(EngineTest, ListThenWatchMissesAndRepeatsNothing) {
  Make();
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(StartOk(i % 2 ? kGpoA : kGpoB).id);
  auto listed = engine_->List({});
  ASSERT_TRUE(listed.ok());
  std::map<std::string, uint64_t> last_seq;
  for (auto& op : listed->operations) last_seq[op.id] = op.last_sequence;
  auto watch = engine_->OpenWatch("alice", listed->revision, "");
  ASSERT_TRUE(watch.ok());
  for (auto& id : ids) backend_.Open(id);
  int terminal = 0;
  uint64_t last_revision = listed->revision;
  while (terminal < 5) {
    Cursor::Next next = NextBlocking(watch->get());
    ASSERT_TRUE(std::holds_alternative<StreamItem>(next));
    auto* ev = std::get_if<Event>(&std::get<StreamItem>(next));
    if (ev == nullptr) continue;
    EXPECT_GT(ev->revision, last_revision);
    last_revision = ev->revision;
    EXPECT_EQ(ev->sequence, last_seq[ev->operation_id] + 1) << "gap or repeat";
    last_seq[ev->operation_id] = ev->sequence;
    if (core::IsTerminal(ev->state)) ++terminal;
  }
  for (auto& id : ids) EXPECT_EQ(last_seq[id], engine_->Get("tester", id)->last_sequence);
}

// Every event the watch sends until it has nothing more to send now (its Arm would wait).
std::vector<Event> DrainAvailable(Cursor* cursor) {
  std::vector<Event> out;
  for (;;) {
    Cursor::Next next = cursor->Poll();
    if (std::holds_alternative<Cursor::Pending>(next)) {
      if (cursor->Arm([] {})) return out;
      continue;
    }
    if (std::holds_alternative<Cursor::End>(next)) {
      ADD_FAILURE() << "the watch ended: " << std::get<Cursor::End>(next).status;
      return out;
    }
    if (auto* ev = std::get_if<Event>(&std::get<StreamItem>(next))) out.push_back(*ev);
  }
}

std::vector<uint64_t> Revisions(const std::vector<Event>& events) {
  std::vector<uint64_t> out;
  for (const Event& e : events) out.push_back(e.revision);
  return out;
}

TEST_F(EngineTest, WatchFromBelowTheWindowReadsTheStoreThenFollowsLive) {
  EngineOptions o;
  o.retained_revisions = 5;
  o.history_page = {4, size_t{1} << 20};  // several pages, each ending mid-operation
  Make(o);
  // The revisions each operation's own stream reports, per label: what the watches must send.
  std::vector<uint64_t> all;
  std::vector<uint64_t> blue;
  auto run = [&](int i) {
    std::string colour = i % 3 == 0 ? "blue" : "red";
    OperationRecord r = StartOk(kGpoA, "alice", {{"colour", colour}});
    backend_.Open(r.id);
    for (const Event& e : DrainToEnd(Stream(r.id).get()).events) {
      all.push_back(e.revision);
      if (colour == "blue") blue.push_back(e.revision);
    }
  };
  for (int i = 0; i < 7; ++i) run(i);
  ASSERT_GT(all.size(), 3 * static_cast<size_t>(o.retained_revisions));
  auto from_zero = engine_->OpenWatch("alice", 0, "");
  ASSERT_TRUE(from_zero.ok()) << from_zero.status();
  auto blue_watch = engine_->OpenWatch("alice", 0, "labels.colour=blue");
  ASSERT_TRUE(blue_watch.ok()) << blue_watch.status();
  // A watch from inside the stored history, between two of an operation's events.
  auto from_middle = engine_->OpenWatch("alice", all[4], "");
  ASSERT_TRUE(from_middle.ok()) << from_middle.status();
  EXPECT_EQ(engine_->OpenWatch("alice", 1000, "").status().code(),
            absl::StatusCode::kOutOfRange);

  // The live ones follow, and a watch that stalled while they pushed its position out of the
  // window reads those from the store too.
  std::vector<Event> got_zero = DrainAvailable(from_zero->get());
  std::vector<Event> got_blue = DrainAvailable(blue_watch->get());
  for (int i = 7; i < 12; ++i) run(i);
  std::vector<Event> more_zero = DrainAvailable(from_zero->get());
  got_zero.insert(got_zero.end(), more_zero.begin(), more_zero.end());
  std::vector<Event> more_blue = DrainAvailable(blue_watch->get());
  got_blue.insert(got_blue.end(), more_blue.begin(), more_blue.end());

  EXPECT_EQ(Revisions(got_zero), all);
  EXPECT_EQ(Revisions(got_blue), blue);
  for (const Event& e : got_blue) EXPECT_EQ(e.state == OperationState::kQueued, e.sequence == 1);
  std::vector<uint64_t> after_middle(all.begin() + 5, all.end());
  EXPECT_EQ(Revisions(DrainAvailable(from_middle->get())), after_middle);
}

// A store whose every page of stored revisions takes `per_page` of the engine's clock to read.
class SlowPagesStore final : public gpop::testing::ForwardingStore {
 public:
  SlowPagesStore(FakeClock* clock, Duration per_page)
      : ForwardingStore(&inner_), clock_(clock), per_page_(per_page) {}
  absl::StatusOr<std::vector<Event>> ReadRevisions(uint64_t after,
                                                   const PageLimits& limits) override {
    clock_->Advance(per_page_);
    return ForwardingStore::ReadRevisions(after, limits);
  }

 private:
  store::MemoryStore inner_;
  FakeClock* clock_;
  Duration per_page_;
};

TEST(EngineWatchHistoryTest, CatchingUpThroughHistoryTheFilterSkipsSendsHeartbeats) {
  FakeClock clock;
  GateBackend backend;
  SlowPagesStore store(&clock, std::chrono::seconds(10));
  EngineOptions o;
  o.retained_revisions = 4;
  o.history_page = {3, size_t{1} << 20};
  o.heartbeat_interval = std::chrono::seconds(15);
  Engine engine(o, &backend, &store, &clock);
  ASSERT_TRUE(engine.Recover().ok());
  uint64_t newest = 0;
  for (int i = 0; i < 8; ++i) {
    StartRequest r;
    r.principal = "alice";
    r.spec = BackupOf(kGpoA);
    r.labels = {{"colour", "red"}};
    auto rec = engine.Start(r);
    ASSERT_TRUE(rec.ok()) << rec.status();
    backend.Open(rec->id);
    auto status = engine.OpenStatusStream("alice", rec->id, 0);
    ASSERT_TRUE(status.ok()) << status.status();
    newest = DrainToEnd(status->get()).events.back().revision;
  }
  auto watch = engine.OpenWatch("alice", 0, "labels.colour=blue");
  ASSERT_TRUE(watch.ok()) << watch.status();
  // Nothing matches, so every item is a heartbeat; each must say how far the watch has looked.
  std::vector<uint64_t> heartbeat_revisions;
  for (int polls = 0; polls < 10000; ++polls) {
    Cursor::Next next = (*watch)->Poll();
    if (std::holds_alternative<Cursor::Pending>(next)) {
      if ((*watch)->Arm([] {})) break;
      continue;
    }
    ASSERT_TRUE(std::holds_alternative<StreamItem>(next)) << "the watch ended";
    auto* hb = std::get_if<Heartbeat>(&std::get<StreamItem>(next));
    ASSERT_NE(hb, nullptr) << "the filter matches nothing, yet an item other than a heartbeat came";
    heartbeat_revisions.push_back(hb->revision);
  }
  // 8 operations of 3+ events in pages of 3, 10 s a page against a 15 s interval.
  // The last heartbeat may come once the watch has caught up; the others came on the way.
  ASSERT_FALSE(heartbeat_revisions.empty());
  EXPECT_GE(std::count_if(heartbeat_revisions.begin(), heartbeat_revisions.end(),
                          [&](uint64_t rev) { return rev < newest; }),
            2)
      << "no heartbeat while the watch read stored pages";
  EXPECT_TRUE(std::is_sorted(heartbeat_revisions.begin(), heartbeat_revisions.end()));
  EXPECT_GT(heartbeat_revisions.front(), 0u);
  EXPECT_LE(heartbeat_revisions.back(), newest);
  backend.set_stop_on_cancel(true);
  engine.Shutdown(Duration::zero());
}

TEST_F(EngineTest, ShutdownDrains) {
  EngineOptions o;
  o.executor_threads = 1;
  Make(o);
  OperationRecord running = StartOk(kGpoA);
  backend_.WaitStarted(running.id);
  OperationRecord queued = StartOk(kGpoB);
  auto stream_running = Stream(running.id);
  auto stream_queued = Stream(queued.id);
  std::thread stopper([&] { engine_->Shutdown(std::chrono::seconds(30)); });
  // Starts are refused once shutdown began.
  while (engine_->serving()) std::this_thread::yield();
  StartRequest r;
  r.principal = "alice";
  r.spec = BackupOf(kGpoA);
  EXPECT_EQ(engine_->Start(r).status().code(), absl::StatusCode::kUnavailable);
  backend_.Open(running.id);  // finishes within the grace period
  stopper.join();
  Drained d1 = DrainToEnd(stream_running.get());
  EXPECT_TRUE(d1.end.ok());
  EXPECT_EQ(d1.events.back().state, OperationState::kSucceeded);
  Drained d2 = DrainToEnd(stream_queued.get());
  EXPECT_EQ(d2.end.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(engine_->Get("tester", queued.id)->state,
            OperationState::kQueued);  // runs after restart
}

TEST_F(EngineTest, ShutdownCancelsAfterGrace) {
  Make();
  OperationRecord running = StartOk(kGpoA);
  backend_.WaitStarted(running.id);
  size_t timers_before = clock_.pending_timers();
  std::thread stopper([&] { engine_->Shutdown(std::chrono::seconds(30)); });
  while (clock_.pending_timers() <= timers_before) std::this_thread::yield();  // grace timer
  clock_.Advance(std::chrono::seconds(31));
  stopper.join();
  auto got = engine_->Get("tester", running.id);
  EXPECT_EQ(got->state, OperationState::kCancelled);
  EXPECT_EQ(got->error->reason, core::reason::kShuttingDown);
  EXPECT_EQ(got->effects, core::Effects::kNone);
}

TEST_F(EngineTest, RecoveryAfterRestart) {
  // First life: one finished, one queued (executor busy), one running when "crashing".
  {
    EngineOptions o;
    o.executor_threads = 1;
    Make(o);
  }
  OperationRecord done = StartOk(kGpoA);
  backend_.Open(done.id);
  DrainToEnd(Stream(done.id).get());
  OperationRecord running = StartOk(kGpoA);
  backend_.WaitStarted(running.id);
  OperationRecord queued = StartOk(kGpoB);
  uint64_t revision = engine_->stats().revision;
  // Simulate a crash: the store keeps what it has; take a copy before the engine ends.
  auto snap = store_.Load();
  ASSERT_TRUE(snap.ok());
  store::MemoryStore crashed;
  std::vector<Store::Change> records;
  for (auto& rec : snap->operations) records.push_back({rec, std::nullopt});
  ASSERT_TRUE(crashed.Commit(records).ok());
  for (auto& ev : snap->events) {
    auto it = std::find_if(snap->operations.begin(), snap->operations.end(),
                           [&](auto& r) { return r.id == ev.operation_id; });
    ASSERT_TRUE(crashed.Commit({{*it, ev}}).ok());
  }
  backend_.Open(running.id);
  backend_.Open(queued.id);
  engine_->Shutdown(Duration::zero());
  engine_.reset();

  GateBackend backend2;
  Engine second(EngineOptions{}, &backend2, &crashed, &clock_);
  ASSERT_TRUE(second.Recover().ok());
  auto r = second.Get("tester", running.id);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->state, OperationState::kFailed);
  EXPECT_EQ(r->error->reason, core::reason::kServerRestarted);
  EXPECT_EQ(r->effects, core::Effects::kNone);
  EXPECT_EQ(second.Get("tester", done.id)->state, OperationState::kSucceeded);
  backend2.WaitStarted(queued.id);  // queued work runs again
  backend2.Open(queued.id);
  auto s = second.OpenStatusStream("alice", queued.id, 0);
  ASSERT_TRUE(s.ok());
  Drained d = DrainToEnd(s->get());
  EXPECT_EQ(d.events.back().state, OperationState::kSucceeded);
  for (size_t i = 0; i < d.events.size(); ++i) EXPECT_EQ(d.events[i].sequence, i + 1);
  // Revisions continue past the old ones: never reused.
  EXPECT_GT(d.events.back().revision, revision);
  second.Shutdown(Duration::zero());
}

TEST_F(EngineTest, ManyConcurrentWatchersSeeTerminal) {
  Make();
  OperationRecord rec = StartOk();
  constexpr int kWatchers = 200;
  std::vector<std::unique_ptr<Cursor>> cursors;
  for (int i = 0; i < kWatchers; ++i) cursors.push_back(Stream(rec.id));
  std::atomic<int> terminal{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = t; i < kWatchers; i += 4) {
        Drained d = DrainToEnd(cursors[i].get());
        if (!d.events.empty() && d.events.back().state == OperationState::kSucceeded) ++terminal;
      }
    });
  }
  backend_.Open(rec.id, Steps(50, 10));
  for (auto& t : threads) t.join();
  EXPECT_EQ(terminal.load(), kWatchers);
}

TEST_F(EngineTest, GroupCommitBatchesEvents) {
  Make();
  std::vector<std::string> ids;
  for (int i = 0; i < 4; ++i) ids.push_back(StartOk(i % 2 ? kGpoA : kGpoB).id);
  for (auto& id : ids) backend_.Open(id, Steps(0, 50));
  for (auto& id : ids) DrainToEnd(Stream(id).get());
  EXPECT_EQ(store_.events_written(), 4 * 53);
  EXPECT_LE(store_.commits(), store_.events_written());
}

// A store whose commits can be held at a gate, to look at the engine mid-commit.
class GatedStore final : public gpop::testing::ForwardingStore {
 public:
  GatedStore() : ForwardingStore(&inner_) {}
  absl::Status Commit(const std::vector<Change>& batch) override {
    {
      core::MutexLock lock(&mu_);
      size_t events = 0;
      for (const Change& change : batch) events += change.event ? 1 : 0;
      batch_events_.push_back(events);
      ++in_commit_;
      cv_.SignalAll();
      while (blocked_) cv_.Wait(&mu_);
      --in_commit_;
    }
    return ForwardingStore::Commit(batch);
  }
  void Block() {
    core::MutexLock lock(&mu_);
    blocked_ = true;
  }
  void Unblock() {
    core::MutexLock lock(&mu_);
    blocked_ = false;
    cv_.SignalAll();
  }
  void WaitInCommit() {
    core::MutexLock lock(&mu_);
    while (in_commit_ == 0) cv_.Wait(&mu_);
  }
  // The number of events of each commit so far, in order.
  std::vector<size_t> batch_events() {
    core::MutexLock lock(&mu_);
    return batch_events_;
  }

 private:
  store::MemoryStore inner_;
  core::Mutex mu_;
  core::CondVar cv_;
  bool blocked_ GPOP_GUARDED_BY(mu_) = false;
  int in_commit_ GPOP_GUARDED_BY(mu_) = 0;
  std::vector<size_t> batch_events_ GPOP_GUARDED_BY(mu_);
};

TEST_F(EngineTest, RefusedStartNeitherRunsNorResurfaces) {
  Make();
  store_.FailCommits(true);
  StartRequest r;
  r.principal = "alice";
  r.spec = BackupOf(kGpoA);
  ASSERT_FALSE(engine_->Start(r).ok());
  EXPECT_EQ(engine_->stats().running, 0);
  EXPECT_EQ(backend_.max_running(), 0);
  store_.FailCommits(false);
  // Fail-stop: the engine accepts nothing until restarted, and shows nothing it never stored.
  EXPECT_EQ(engine_->Start(r).status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(engine_->List({})->operations.empty());
}

// With a free slot, an operation is dispatched as it is created: its RUNNING event rides in
// the commit that creates it (one commit, not two), and the backend runs only once that commit
// is done; before it, neither event is visible.
TEST(EngineDurabilityTest, BackendRunsOnlyOnceRunningIsDurable) {
  FakeClock clock;
  GateBackend backend;
  GatedStore store;
  Engine engine(EngineOptions{}, &backend, &store, &clock);
  ASSERT_TRUE(engine.Recover().ok());
  store.Block();
  std::string id;
  std::thread starter([&] {
    StartRequest r;
    r.principal = "alice";
    r.spec = BackupOf(kGpoA);
    auto rec = engine.Start(r);
    ASSERT_TRUE(rec.ok());
    EXPECT_EQ(rec->state, OperationState::kQueued);  // the answer is the QUEUED record
    id = rec->id;
  });
  store.WaitInCommit();  // QUEUED and RUNNING are being written, and held
  EXPECT_EQ(backend.max_running(), 0);
  EXPECT_EQ(engine.stats().running, 1);  // dispatched, not run
  auto listed = engine.List({});
  ASSERT_TRUE(listed.ok());
  EXPECT_TRUE(listed->operations.empty());  // nothing of it is visible before the commit
  store.Unblock();
  starter.join();
  backend.Open(id);
  Drained d = DrainToEnd(engine.OpenStatusStream("alice", id, 0)->get());
  EXPECT_EQ(States(d.events),
            (std::vector<OperationState>{OperationState::kQueued, OperationState::kRunning,
                                         OperationState::kSucceeded}));
  std::vector<size_t> batches = store.batch_events();
  ASSERT_FALSE(batches.empty());
  EXPECT_EQ(batches.front(), 2u);  // QUEUED and RUNNING in one commit
  auto snap = store.Load();
  ASSERT_TRUE(snap.ok());
  EXPECT_EQ(snap->events.size(), 3u);
  engine.Shutdown(Duration::zero());
}

TEST_F(EngineTest, BackendStoppingByItselfIsAbortedNotCancelled) {
  Make();
  OperationRecord rec = StartOk();
  GateBackend::Release release;
  release.error = core::MakeError(core::Code::kCancelled, core::reason::kCancelled, "E_ABORT");
  backend_.Open(rec.id, release);
  Drained d = DrainToEnd(Stream(rec.id).get());
  EXPECT_EQ(States(d.events),
            (std::vector<OperationState>{OperationState::kQueued, OperationState::kRunning,
                                         OperationState::kFailed}));
  EXPECT_EQ(d.events.back().error->code, core::Code::kAborted);
}

TEST(EngineRecoveryTest, WatchAcrossRevisionGapsAfterRestart) {
  FakeClock clock;
  GateBackend backend;
  store::MemoryStore store;
  std::vector<std::string> ids;
  {
    Engine engine(EngineOptions{}, &backend, &store, &clock);
    ASSERT_TRUE(engine.Recover().ok());
    for (int i = 0; i < 3; ++i) {
      StartRequest r;
      r.principal = "alice";
      r.spec = BackupOf(kGpoA);
      auto rec = engine.Start(r);
      ASSERT_TRUE(rec.ok());
      backend.Open(rec->id);
      DrainToEnd(engine.OpenStatusStream("alice", rec->id, 0)->get());
      ids.push_back(rec->id);
    }
    ASSERT_TRUE(engine.Delete("tester", ids[1]).ok());  // revisions 4-6 leave the store
    engine.Shutdown(Duration::zero());
  }
  GateBackend backend2;
  Engine second(EngineOptions{}, &backend2, &store, &clock);
  ASSERT_TRUE(second.Recover().ok());
  auto w = second.OpenWatch("alice", 3, "");
  ASSERT_TRUE(w.ok());
  std::vector<uint64_t> revisions;
  for (;;) {
    Cursor::Next n = (*w)->Poll();
    if (!std::holds_alternative<StreamItem>(n)) break;
    if (auto* ev = std::get_if<Event>(&std::get<StreamItem>(n))) {
      revisions.push_back(ev->revision);
      EXPECT_EQ(ev->operation_id, ids[2]);
    }
  }
  EXPECT_EQ(revisions, (std::vector<uint64_t>{7, 8, 9}));
  w->reset();
  second.Shutdown(Duration::zero());
}

TEST(FilterTest, Grammar) {
  EXPECT_TRUE(Filter::Parse("").ok());
  EXPECT_TRUE(Filter::Parse("state=RUNNING AND kind=backup AND labels.team=x").ok());
  EXPECT_TRUE(Filter::Parse("state=running").ok());
  for (const char* bad : {"state=SLEEPING", "kind=delete", "owner=me", "state", "labels.=x",
                          "labels.Team=x", "state=RUNNING OR state=QUEUED"}) {
    auto f = Filter::Parse(bad);
    EXPECT_EQ(f.status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  auto f = Filter::Parse("kind=report AND labels.env=prod");
  ASSERT_TRUE(f.ok());
  EXPECT_TRUE(f->Matches(core::OperationKind::kReport, OperationState::kQueued, {{"env", "prod"}}));
  EXPECT_FALSE(f->Matches(core::OperationKind::kReport, OperationState::kQueued, {{"env", "dev"}}));
  EXPECT_FALSE(
      f->Matches(core::OperationKind::kBackup, OperationState::kQueued, {{"env", "prod"}}));
  auto never = Filter::Parse("state=QUEUED AND state=RUNNING");
  ASSERT_TRUE(never.ok());
  EXPECT_FALSE(never->Matches(core::OperationKind::kBackup, OperationState::kQueued, {}));
}

TEST(StatusConvertTest, RoundTrip) {
  core::Error e =
      core::MakeError(core::Code::kFailedPrecondition, "GPO_EXISTS", "exists", {{"gpo", "x\ny"}});
  e.hresult = 0x80070005u;
  core::Error back = ToError(ToStatus(e));
  EXPECT_EQ(back.code, e.code);
  EXPECT_EQ(back.reason, e.reason);
  EXPECT_EQ(back.message, e.message);
  EXPECT_EQ(back.metadata, e.metadata);
  EXPECT_EQ(back.hresult, e.hresult);
  EXPECT_EQ(ToError(absl::InternalError("boom")).reason, "INTERNAL");
}

}  // namespace
}  // namespace gpop::engine
