// Executor: a run starts only once RUNNING is durable; the backend's outcome becomes the
// terminal event (success with its result, failure with its error); progress reaches the
// operation with the time the engine observed it; the executor's thread count bounds the runs
// at once.

#include "service/engine/executor.h"

#include <gtest/gtest.h>

#include "service/engine/reads.h"
#include "tests/engine/parts_testing.h"
#include "tests/store/forwarding_store.h"

namespace gpop::engine {
namespace {

using core::OperationState;
using gpop::testing::BackupRequest;
using gpop::testing::PartsHarness;

// Records the operation's state in the store at the moment the backend's run begins.
class StateAtRunBackend final : public core::Backend {
 public:
  explicit StateAtRunBackend(Store* store) : store_(store) {}
  std::string name() const override { return "state-at-run"; }
  core::Outcome Run(const core::RunRequest& request, core::ProgressSink& sink,
                    core::CancelToken& cancel) override {
    auto rec = store_->ReadOperation(request.operation_id);
    {
      core::MutexLock lock(&mu_);
      stored_state_ = rec.ok() ? rec->state : OperationState::kQueued;
    }
    sink.Progress(1, 2);
    core::Outcome out;
    cancel.BeginCommit();
    out.effects = core::Effects::kApplied;
    core::GpoInfo gpo;
    gpo.guid = "{11111111-2222-3333-4444-555555555555}";
    out.result = gpo;
    return out;
  }
  OperationState stored_state() {
    core::MutexLock lock(&mu_);
    return stored_state_;
  }

 private:
  Store* const store_;
  core::Mutex mu_;
  OperationState stored_state_ GPOP_GUARDED_BY(mu_) = OperationState::kQueued;
};

TEST(ExecutorTest, ARunStartsOnlyOnceRunningIsDurable) {
  FakeClock clock;
  store::MemoryStore store;
  StateAtRunBackend backend(&store);
  EngineParts parts(EngineOptions{}, &backend, &store, &clock);
  auto rec = parts.admission.Start(BackupRequest(1));
  ASSERT_TRUE(rec.ok());
  auto cursor = parts.streams.OpenStatusStream("alice", rec->id, 0);
  ASSERT_TRUE(cursor.ok());
  while (!std::holds_alternative<Cursor::End>(gpop::testing::NextBlocking(cursor->get()))) {
  }
  EXPECT_EQ(backend.stored_state(), OperationState::kRunning);
  auto got = parts.reads.Get(rec->id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->state, OperationState::kSucceeded);
  EXPECT_EQ(got->effects, core::Effects::kApplied);
  EXPECT_TRUE(got->committed);
  ASSERT_NE(got->start_time, std::nullopt);
}

TEST(ExecutorTest, TheBackendsErrorBecomesTheTerminalEvent) {
  PartsHarness h;
  auto rec = h.parts().admission.Start(BackupRequest(1));
  ASSERT_TRUE(rec.ok());
  gpop::testing::GateRelease release;
  release.error = core::MakeError(core::Code::kPermissionDenied, core::reason::kAccessDenied,
                                  "no access to the GPO");
  release.progress_steps = 2;
  h.backend().Open(rec->id, release);
  Event last = h.RunToEnd(rec->id);
  EXPECT_EQ(last.state, OperationState::kFailed);
  ASSERT_NE(last.error, std::nullopt);
  EXPECT_EQ(last.error->reason, core::reason::kAccessDenied);
  EXPECT_EQ(last.effects, core::Effects::kNone);
  auto got = h.parts().reads.Get(rec->id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->state, OperationState::kFailed);
  EXPECT_EQ(got->progress.numerator, 2);  // the last progress the run reported
}

TEST(ExecutorTest, ProgressCarriesWhenTheEngineObservedIt) {
  PartsHarness h;
  auto rec = h.parts().admission.Start(BackupRequest(1));
  ASSERT_TRUE(rec.ok());
  h.backend().WaitStarted(rec->id);
  h.clock().Advance(std::chrono::seconds(7));
  const Time observed = h.clock().Now();
  gpop::testing::GateRelease release;
  release.progress_steps = 3;
  h.backend().Open(rec->id, release);
  h.RunToEnd(rec->id);
  auto got = h.parts().reads.Get(rec->id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->progress.numerator, 3);
  EXPECT_EQ(got->progress.observed, observed);  // the injected clock's time, not the host's
}

TEST(ExecutorTest, ThreadsBoundTheRunsAtOnce) {
  EngineOptions o;
  o.executor_threads = 2;
  PartsHarness h(o);
  std::vector<std::string> ids;
  for (int i = 1; i <= 3; ++i) {
    auto rec = h.parts().admission.Start(BackupRequest(i));
    ASSERT_TRUE(rec.ok());
    ids.push_back(rec->id);
  }
  h.backend().WaitStarted(ids[0]);
  h.backend().WaitStarted(ids[1]);
  EXPECT_FALSE(h.backend().started(ids[2]));
  h.backend().Open(ids[0]);
  h.RunToEnd(ids[0]);
  h.backend().WaitStarted(ids[2]);  // its slot freed
  h.backend().Open(ids[1]);
  h.backend().Open(ids[2]);
  h.RunToEnd(ids[1]);
  h.RunToEnd(ids[2]);
  EXPECT_EQ(h.backend().max_running(), 2);
}

TEST(ExecutorTest, StopWorkersAbandonsARunThatIgnoresItsCancel) {
  PartsHarness h;
  h.backend().set_stop_on_cancel(false);
  auto rec = h.parts().admission.Start(BackupRequest(1));
  ASSERT_TRUE(rec.ok());
  h.backend().WaitStarted(rec->id);
  h.parts().executor.StopWorkers();  // returns although the run goes on
  h.backend().Open(rec->id);
  h.backend().WaitFinished(rec->id);
  h.Stop();  // the abandoned run's outcome is ignored: the store still has it RUNNING
  auto stored = h.store().ReadOperation(rec->id);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->state, OperationState::kRunning);
}

}  // namespace
}  // namespace gpop::engine
