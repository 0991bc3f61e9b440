// Admission's asynchronous Start and the committer's completions: a completion is never called
// before its operation's commit, is called exactly once (OK, the commit's failure, or
// SHUTTING_DOWN when the engine goes first), and a refusal known at once is answered at once.

#include <gtest/gtest.h>

#include <atomic>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include "service/core/mutex.h"
#include "service/engine/admission.h"
#include "service/engine/committer.h"
#include "tests/engine/parts_testing.h"
#include "tests/store/forwarding_store.h"

namespace gpop::engine {
namespace {

using gpop::testing::BackupRequest;
using gpop::testing::PartsHarness;
using gpop::testing::ReasonOf;

// A memory store that counts the completions already called when each commit is made, and
// fails its commits while `fail` is set.
class ObservedStore final : public gpop::testing::ForwardingStore {
 public:
  explicit ObservedStore(const std::atomic<int>* calls) : ForwardingStore(&inner_), calls_(calls) {}
  absl::Status Commit(const std::vector<Change>& batch) override {
    {
      core::MutexLock lock(&mu_);
      calls_at_commit_.push_back(calls_->load());
    }
    if (fail) return absl::ResourceExhaustedError("disk full");
    return ForwardingStore::Commit(batch);
  }
  std::atomic<bool> fail{false};
  // The answers already given at each commit. Guarded: the executor's workers lead the batches
  // of later events (RUNNING, progress) while the test's thread reads.
  std::vector<int> CallsAtCommit() {
    core::MutexLock lock(&mu_);
    return calls_at_commit_;
  }

 private:
  core::Mutex mu_;
  std::vector<int> calls_at_commit_ GPOP_GUARDED_BY(mu_);
  store::MemoryStore inner_;
  const std::atomic<int>* const calls_;
};

// Records what a completion was called with, and how often.
struct Answer {
  std::atomic<int> calls{0};
  // Written by whichever thread leads the commit that answers; read by the test only after
  // calls (or Await) says it was written.
  std::optional<absl::StatusOr<OperationRecord>> result;
  Admission::StartDone Done() {
    return [this](absl::StatusOr<OperationRecord> r) {
      core::MutexLock lock(&mu);
      result = std::move(r);
      calls.fetch_add(1);
      cv.SignalAll();
    };
  }
  // Waits until the completion ran: a commit an executor worker leads (the RUNNING event of an
  // operation dispatched meanwhile) can answer a Start while the flusher is stopped.
  void Await() {
    core::MutexLock lock(&mu);
    while (calls.load() == 0) cv.Wait(&mu);
  }
  // A completion may still be inside Done (signalling) when the test has seen calls == 1.
  ~Answer() { core::MutexLock lock(&mu); }
  core::Mutex mu;
  core::CondVar cv;
};

TEST(StartAsyncTest, TheCompletionComesAfterTheCommitAndOnce) {
  Answer answer;
  ObservedStore store(&answer.calls);
  PartsHarness h({}, &store);
  h.parts().admission.StartAsync(BackupRequest(1), answer.Done());
  const std::vector<int> calls_at_commit = store.CallsAtCommit();
  ASSERT_FALSE(calls_at_commit.empty());
  EXPECT_EQ(calls_at_commit.front(), 0);  // not answered before the QUEUED event's commit
  ASSERT_EQ(answer.calls.load(), 1);
  ASSERT_TRUE(answer.result->ok()) << answer.result->status();
  const OperationRecord& rec = **answer.result;
  EXPECT_EQ(rec.state, core::OperationState::kQueued);
  EXPECT_TRUE(store.ReadOperation(rec.id).ok());  // durable when answered
  h.backend().Open(rec.id);
  EXPECT_EQ(h.RunToEnd(rec.id).state, core::OperationState::kSucceeded);
  EXPECT_EQ(answer.calls.load(), 1);  // the operation's later commits answer nothing more
}

TEST(StartAsyncTest, AFailedCommitIsAnsweredOnceWithItsError) {
  Answer answer;
  ObservedStore store(&answer.calls);
  PartsHarness h({}, &store);
  store.fail = true;
  h.parts().admission.StartAsync(BackupRequest(1), answer.Done());
  ASSERT_EQ(answer.calls.load(), 1);
  EXPECT_TRUE(absl::IsUnavailable(answer.result->status())) << answer.result->status();
  {
    core::MutexLock lock(&h.core().s.mu);
    EXPECT_EQ(h.core().s.ops.size(), 0u);  // forgotten: it can neither run nor reappear
  }
  Answer later;  // the store failed: refused at once, not left waiting
  h.parts().admission.StartAsync(BackupRequest(2), later.Done());
  ASSERT_EQ(later.calls.load(), 1);
  EXPECT_TRUE(absl::IsUnavailable(later.result->status()));
  EXPECT_EQ(answer.calls.load(), 1);
}

TEST(StartAsyncTest, RefusalsAreAnsweredBeforeItReturns) {
  EngineOptions o;
  o.executor_threads = 1;
  o.max_queued = 1;
  PartsHarness h(o);
  Answer running, queued;
  h.parts().admission.StartAsync(BackupRequest(1), running.Done());
  h.parts().admission.StartAsync(BackupRequest(2), queued.Done());
  // Accepted Starts are answered by whichever commit carries them, perhaps the one the worker
  // leads for the first operation's RUNNING event: wait for them. Refusals are answered at once.
  running.Await();
  queued.Await();
  ASSERT_EQ(running.calls.load(), 1);
  ASSERT_EQ(queued.calls.load(), 1);
  ASSERT_TRUE(running.result->ok());
  ASSERT_TRUE(queued.result->ok());
  Answer refused;
  h.parts().admission.StartAsync(BackupRequest(3), refused.Done());
  ASSERT_EQ(refused.calls.load(), 1);
  EXPECT_TRUE(absl::IsResourceExhausted(refused.result->status()));
  EXPECT_EQ(ReasonOf(refused.result->status()), core::reason::kQueueFull);
  h.backend().Open((*running.result)->id);
  h.backend().Open((*queued.result)->id);
  h.RunToEnd((*running.result)->id);
  h.RunToEnd((*queued.result)->id);
}

TEST(StartAsyncTest, ARetryWaitingForTheFirstCommitIsAnsweredWithTheSameOperation) {
  PartsHarness h;
  StartRequest r = BackupRequest(1);
  r.request_id = "req-1";
  r.fingerprint = "f1";
  Answer first;
  h.parts().admission.StartAsync(r, first.Done());
  Answer again;
  h.parts().admission.StartAsync(r, again.Done());
  first.Await();
  again.Await();
  ASSERT_EQ(first.calls.load(), 1);
  ASSERT_EQ(again.calls.load(), 1);
  ASSERT_TRUE(again.result->ok());
  EXPECT_EQ((*again.result)->id, (*first.result)->id);
  h.backend().Open((*first.result)->id);
  h.RunToEnd((*first.result)->id);
}

// A store whose commits block (as SQLite's fsync does) and are held on a gate meanwhile.
class HeldStore final : public gpop::testing::ForwardingStore {
 public:
  HeldStore() : ForwardingStore(&inner_) {}
  bool CommitBlocks() const override { return true; }
  absl::Status Commit(const std::vector<Change>& batch) override {
    {
      core::MutexLock lock(&mu_);
      ++commits_;
      cv_.SignalAll();
      while (held_) cv_.Wait(&mu_);
    }
    return ForwardingStore::Commit(batch);
  }
  void Release() {
    core::MutexLock lock(&mu_);
    held_ = false;
    cv_.SignalAll();
  }
  void AwaitCommit() {
    core::MutexLock lock(&mu_);
    while (commits_ == 0) cv_.Wait(&mu_);
  }

 private:
  store::MemoryStore inner_;
  core::Mutex mu_;
  core::CondVar cv_;
  bool held_ GPOP_GUARDED_BY(mu_) = true;
  int commits_ GPOP_GUARDED_BY(mu_) = 0;
};

// With a store whose commits block, StartAsync's caller never leads the commit: it returns
// while the commit is held, and the flusher's batch answers it (and every Start queued while
// that commit ran, in its next batch).
TEST(StartAsyncTest, WithABlockingStoreTheCallerDoesNotWaitForTheCommit) {
  HeldStore store;
  PartsHarness h({}, &store);
  Answer first, second;
  h.parts().admission.StartAsync(BackupRequest(1), first.Done());  // returns: commit held
  store.AwaitCommit();  // the flusher thread is in the commit
  h.parts().admission.StartAsync(BackupRequest(2), second.Done());
  EXPECT_EQ(first.calls.load(), 0);
  EXPECT_EQ(second.calls.load(), 0);
  store.Release();
  h.parts().committer.StopFlusher();  // runs the flushes asked for
  first.Await();
  second.Await();
  ASSERT_EQ(first.calls.load(), 1);
  ASSERT_EQ(second.calls.load(), 1);
  ASSERT_TRUE(first.result->ok()) << first.result->status();
  ASSERT_TRUE(second.result->ok()) << second.result->status();
  EXPECT_TRUE(store.ReadOperation((*second.result)->id).ok());  // durable when answered
  for (const Answer* a : {&first, &second}) {
    h.backend().Open((*a->result)->id);
    h.RunToEnd((*a->result)->id);
  }
}

// A store whose commits block (SQLite's), that records the threads that made them, and that
// holds its first commit at a gate until Release.
class ThreadRecordingStore final : public gpop::testing::ForwardingStore {
 public:
  explicit ThreadRecordingStore(bool hold_first) : ForwardingStore(&inner_), held_(hold_first) {}
  bool CommitBlocks() const override { return true; }
  absl::Status Commit(const std::vector<Change>& batch) override {
    {
      core::MutexLock lock(&mu_);
      threads_.insert(std::this_thread::get_id());
      ++commits_;
      cv_.SignalAll();
      while (held_) cv_.Wait(&mu_);
    }
    return ForwardingStore::Commit(batch);
  }
  std::set<std::thread::id> Threads() {
    core::MutexLock lock(&mu_);
    return threads_;
  }
  void AwaitCommit() {
    core::MutexLock lock(&mu_);
    while (commits_ == 0) cv_.Wait(&mu_);
  }
  void Release() {
    core::MutexLock lock(&mu_);
    held_ = false;
    cv_.SignalAll();
  }

 private:
  store::MemoryStore inner_;
  core::Mutex mu_;
  core::CondVar cv_;
  std::set<std::thread::id> threads_ GPOP_GUARDED_BY(mu_);
  int commits_ GPOP_GUARDED_BY(mu_) = 0;
  bool held_ GPOP_GUARDED_BY(mu_);
};

// A StartAsync whose answer records the thread that sent it.
struct ThreadAnswer {
  Answer answer;
  std::atomic<std::thread::id> answered_on{};
  Admission::StartDone Done() {
    auto done = answer.Done();
    return [this, done](absl::StatusOr<OperationRecord> r) {
      answered_on = std::this_thread::get_id();
      done(std::move(r));
    };
  }
};

// With a store whose commits block, a batch's answers are sent by the committer's completer
// thread, not by the thread that commits, while another commit is due: the flusher goes on to
// it (the RUNNING events that runs wait for) instead of sending every answer of the last batch
// first.
TEST(StartAsyncTest, WithABlockingStoreAnswersAreNotSentByTheCommittingThreadWhenMoreIsDue) {
  ThreadRecordingStore store(/*hold_first=*/true);
  PartsHarness h({}, &store);
  ThreadAnswer first, second;
  h.parts().admission.StartAsync(BackupRequest(1), first.Done());
  store.AwaitCommit();  // the flusher is in the first commit
  h.parts().admission.StartAsync(BackupRequest(2), second.Done());  // due next
  store.Release();
  first.answer.Await();
  second.answer.Await();
  ASSERT_TRUE(first.answer.result->ok()) << first.answer.result->status();
  ASSERT_TRUE(second.answer.result->ok()) << second.answer.result->status();
  std::set<std::thread::id> committers = store.Threads();
  ASSERT_FALSE(committers.empty());
  EXPECT_EQ(committers.count(first.answered_on.load()), 0u);
  EXPECT_NE(first.answered_on.load(), std::this_thread::get_id());
  for (ThreadAnswer* a : {&first, &second}) {
    h.backend().Open((*a->answer.result)->id);
    h.RunToEnd((*a->answer.result)->id);
  }
}

// With nothing more to commit (a Start at a time), the thread that committed the batch, the
// flusher, sends its answers itself: one thread hop fewer before the client has it.
TEST(StartAsyncTest, WithNothingMoreToCommitTheFlusherAnswersItself) {
  ThreadRecordingStore store(/*hold_first=*/false);
  PartsHarness h({}, &store);
  ThreadAnswer only;
  h.parts().admission.StartAsync(BackupRequest(1), only.Done());
  only.answer.Await();
  ASSERT_TRUE(only.answer.result->ok()) << only.answer.result->status();
  std::set<std::thread::id> committers = store.Threads();
  ASSERT_EQ(committers.size(), 1u);
  EXPECT_EQ(*committers.begin(), only.answered_on.load());
  EXPECT_NE(only.answered_on.load(), std::this_thread::get_id());
  h.backend().Open((*only.answer.result)->id);
  h.RunToEnd((*only.answer.result)->id);
}

// A completion still pending when the engine goes is answered SHUTTING_DOWN, once.
TEST(StartAsyncTest, PendingCompletionsAreAnsweredWhenTheEngineStops) {
  PartsHarness h;
  {
    // A QUEUED event appended but not flushed: its completion waits.
    core::MutexLock lock(&h.core().s.mu);
    auto owned = std::make_unique<Op>();
    owned->rec.id = "op-1";
    owned->rec.principal = "alice";
    owned->rec.spec = gpop::testing::BackupSpec(1);
    owned->rec.kind = core::KindOf(owned->rec.spec);
    Op* op = h.core().s.ops.Add(std::move(owned));
    h.core().s.log.Append(op, Event{}, h.clock().Now());
  }
  std::atomic<int> calls{0};
  absl::Status answered;
  h.parts().committer.WhenDurable(1, [&](absl::Status s) {
    answered = s;
    calls.fetch_add(1);
  });
  EXPECT_EQ(calls.load(), 0);
  h.Stop();
  ASSERT_EQ(calls.load(), 1);
  EXPECT_TRUE(absl::IsUnavailable(answered));
  EXPECT_EQ(ReasonOf(answered), core::reason::kShuttingDown);
}

// Shutdown refuses new starts through the completion as well.
TEST(StartAsyncTest, StartsDuringShutdownAreRefusedAtOnce) {
  PartsHarness h;
  {
    core::MutexLock lock(&h.core().s.mu);
    h.core().shutting_down = true;
  }
  Answer refused;
  h.parts().admission.StartAsync(BackupRequest(1), refused.Done());
  ASSERT_EQ(refused.calls.load(), 1);
  EXPECT_EQ(ReasonOf(refused.result->status()), core::reason::kShuttingDown);
}

}  // namespace
}  // namespace gpop::engine
