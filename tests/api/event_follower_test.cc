// EventFollower: events come in batches that count as handled only once the batch has ended, and
// stopping does not wait for a backlog (gpopd's shutdown waited for the audit recorder to append
// one FINISH entry per event of tens of thousands it had fallen behind); gpopd's followers share
// one thread that hands each event to each of them in order, and one can be removed while the
// others go on.

#include "service/api/event_follower.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "service/core/mutex.h"
#include "service/engine/clock.h"
#include "service/engine/engine.h"
#include "service/store/memory_store.h"
#include "tests/engine/cursor_testing.h"
#include "tests/engine/gate_backend.h"

namespace gpop::api {
namespace {

constexpr char kGpo[] = "{AAAAAAAA-0000-0000-0000-000000000001}";

class EventFollowerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    engine_ =
        std::make_unique<engine::Engine>(engine::EngineOptions{}, &backend_, &store_, &clock_);
    ASSERT_TRUE(engine_->Recover().ok());
  }
  void TearDown() override {
    backend_.set_stop_on_cancel(true);
    engine_->Shutdown(engine::Duration::zero());
  }

  // Runs `n` operations to their end; returns the newest revision.
  uint64_t RunOperations(int n) {
    uint64_t newest = 0;
    for (int i = 0; i < n; ++i) {
      engine::StartRequest r;
      r.principal = "alice";
      core::BackupSpec backup;
      backup.gpo.guid = kGpo;
      r.spec = backup;
      absl::StatusOr<engine::OperationRecord> rec = engine_->Start(r);
      EXPECT_TRUE(rec.ok()) << rec.status();
      if (!rec.ok()) return newest;
      backend_.Open(rec->id);
      auto stream = engine_->OpenStatusStream("alice", rec->id, 0);
      EXPECT_TRUE(stream.ok()) << stream.status();
      for (;;) {
        engine::Cursor::Next next = gpop::testing::NextBlocking(stream->get());
        if (std::holds_alternative<engine::Cursor::End>(next)) break;
        if (auto* ev = std::get_if<engine::Event>(&std::get<engine::StreamItem>(next))) {
          newest = ev->revision;
        }
      }
    }
    return newest;
  }

  engine::FakeClock clock_;
  gpop::testing::GateBackend backend_;
  store::MemoryStore store_;
  std::unique_ptr<engine::Engine> engine_;
};

TEST_F(EventFollowerTest, ABatchCountsAsHandledOnlyOnceItHasEnded) {
  const uint64_t newest = RunOperations(10);
  core::Mutex mu;
  std::vector<uint64_t> seen;        // by on_event
  std::vector<uint64_t> batch_ends;  // the newest revision seen when each batch ended
  EventFollower follower(
      engine_.get(), "observer", "test",
      [&](const engine::Event& ev) {
        core::MutexLock lock(&mu);
        seen.push_back(ev.revision);
      },
      /*after_revision=*/0,
      [&] {
        core::MutexLock lock(&mu);
        batch_ends.push_back(seen.empty() ? 0 : seen.back());
      });
  ASSERT_TRUE(follower.WaitForRevision(newest, std::chrono::steady_clock::time_point::max()));
  core::MutexLock lock(&mu);
  ASSERT_FALSE(batch_ends.empty());
  EXPECT_EQ(batch_ends.back(), newest) << "WaitForRevision returned before the batch ended";
  EXPECT_LT(batch_ends.size(), seen.size()) << "one batch per event";
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
}

TEST_F(EventFollowerTest, StoppingDoesNotWaitForTheBacklog) {
  const uint64_t newest = RunOperations(20);
  core::Mutex mu;
  core::CondVar cv;
  int handled = 0;
  int batch_ends = 0;
  bool in_first = false;
  bool go = false;
  auto follower = std::make_unique<EventFollower>(
      engine_.get(), "observer", "test",
      [&](const engine::Event&) {
        core::MutexLock lock(&mu);
        if (++handled == 1) {
          in_first = true;
          cv.SignalAll();
          while (!go) cv.Wait(&mu);
        }
      },
      /*after_revision=*/0,
      [&] {
        core::MutexLock lock(&mu);
        ++batch_ends;
      });
  {
    core::MutexLock lock(&mu);
    while (!in_first) cv.Wait(&mu);
  }
  follower->Stop();  // while the first of many events is being handled
  {
    core::MutexLock lock(&mu);
    go = true;
    cv.SignalAll();
  }
  follower.reset();
  core::MutexLock lock(&mu);
  EXPECT_GT(newest, 20u);
  EXPECT_EQ(handled, 1) << "the follower went on through the backlog after Stop";
  EXPECT_EQ(batch_ends, 1) << "the batch under way did not end";
}

TEST_F(EventFollowerTest, OneThreadHandsEachEventToEveryFollowerInTheOrderAdded) {
  const uint64_t before = RunOperations(3);
  struct Call {
    int follower;
    uint64_t revision;
    std::thread::id thread;
  };
  core::Mutex mu;
  std::vector<Call> calls;
  std::vector<int> batch_ends(3, 0);
  EventFollower followers(engine_.get(), "observers");
  std::vector<EventFollower::Subscription> subscriptions;
  for (int i = 0; i < 3; ++i) {
    // The last one starts from the beginning; the others from the revision current now.
    std::optional<uint64_t> after = i == 2 ? std::optional<uint64_t>(0) : std::nullopt;
    subscriptions.push_back(
        followers.Add({"test",
                       [&, i](const engine::Event& ev) {
                         core::MutexLock lock(&mu);
                         calls.push_back({i, ev.revision, std::this_thread::get_id()});
                       },
                       [&, i] {
                         core::MutexLock lock(&mu);
                         ++batch_ends[i];
                       },
                       after}));
  }
  followers.Start();
  const uint64_t newest = RunOperations(5);
  ASSERT_TRUE(followers.WaitForRevision(newest, std::chrono::steady_clock::time_point::max()));
  core::MutexLock lock(&mu);
  ASSERT_FALSE(calls.empty());
  std::vector<std::vector<uint64_t>> seen(3);
  for (size_t k = 0; k < calls.size(); ++k) {
    EXPECT_EQ(calls[k].thread, calls[0].thread) << "call " << k << " on another thread";
    EXPECT_NE(calls[k].thread, std::this_thread::get_id());
    seen[calls[k].follower].push_back(calls[k].revision);
    // Within an event: follower 2 (the only one given the history) alone, or 0, 1, 2 in turn.
    if (calls[k].revision > before && calls[k].follower > 0) {
      ASSERT_GT(k, 0u);
      EXPECT_EQ(calls[k - 1].follower, calls[k].follower - 1)
          << "at revision " << calls[k].revision;
      EXPECT_EQ(calls[k - 1].revision, calls[k].revision);
    }
  }
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(std::is_sorted(seen[i].begin(), seen[i].end())) << "follower " << i;
    EXPECT_EQ(seen[i].back(), newest) << "follower " << i;
    EXPECT_GT(batch_ends[i], 0) << "follower " << i;
  }
  EXPECT_GT(seen[0].front(), before) << "history replayed to a follower that asked from now";
  EXPECT_EQ(seen[0], seen[1]);
  EXPECT_LE(seen[2].front(), before) << "the follower from revision 0 missed the history";
  std::vector<uint64_t> tail(seen[2].end() - seen[0].size(), seen[2].end());
  EXPECT_EQ(tail, seen[0]);
}

TEST_F(EventFollowerTest, ARemovedFollowerIsCalledNoMoreWhileTheOthersGoOn) {
  core::Mutex mu;
  std::vector<uint64_t> kept, removed;
  int removed_batch_ends = 0;
  EventFollower followers(engine_.get(), "observers");
  EventFollower::Subscription keep = followers.Add({"kept",
                                                    [&](const engine::Event& ev) {
                                                      core::MutexLock lock(&mu);
                                                      kept.push_back(ev.revision);
                                                    },
                                                    nullptr, std::nullopt});
  EventFollower::Subscription drop = followers.Add({"removed",
                                                    [&](const engine::Event& ev) {
                                                      core::MutexLock lock(&mu);
                                                      removed.push_back(ev.revision);
                                                    },
                                                    [&] {
                                                      core::MutexLock lock(&mu);
                                                      ++removed_batch_ends;
                                                    },
                                                    std::nullopt});
  followers.Start();
  const uint64_t first = RunOperations(2);
  ASSERT_TRUE(followers.WaitForRevision(first, std::chrono::steady_clock::time_point::max()));
  drop.Reset();
  size_t removed_calls;
  {
    core::MutexLock lock(&mu);
    removed_calls = removed.size();
    EXPECT_GT(removed_calls, 0u);
    EXPECT_GT(removed_batch_ends, 0);
  }
  const uint64_t second = RunOperations(2);
  ASSERT_TRUE(followers.WaitForRevision(second, std::chrono::steady_clock::time_point::max()));
  core::MutexLock lock(&mu);
  EXPECT_EQ(removed.size(), removed_calls) << "called after its subscription was reset";
  ASSERT_FALSE(kept.empty());
  EXPECT_EQ(kept.back(), second);
}

}  // namespace
}  // namespace gpop::api
