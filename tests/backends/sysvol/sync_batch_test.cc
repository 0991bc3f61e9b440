// SyncBatch: writers that want a flush at the same time share one, a flush that began before a
// writer's call never counts for it, and a failed flush fails every member joined at the time.

#include "service/backends/sysvol/sync_batch.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "tests/backends/sysvol/sysvol_test_fixture.h"

namespace gpop::sysvol::testing {
namespace {

// A flush function the test holds: each flush waits until the test lets that many through,
// then fails when the test asked for it.
class HeldFlush {
 public:
  SyncBatch::FlushFn Fn() {
    return [this](int fd, const std::string&) {
      core::MutexLock lock(&mu_);
      const int n = ++started_;
      fds_.push_back(fd);
      cv_.SignalAll();
      while (released_ < n) cv_.Wait(&mu_);
      if (n == fail_) {
        return core::Status(core::MakeError(core::Code::kInternal, core::reason::kIoError, "EIO"));
      }
      return core::Status();
    };
  }
  void Release(int n) {
    core::MutexLock lock(&mu_);
    released_ = n;
    cv_.SignalAll();
  }
  void FailNumber(int n) {
    core::MutexLock lock(&mu_);
    fail_ = n;
  }
  void WaitStarted(int n) {
    core::MutexLock lock(&mu_);
    while (started_ < n) cv_.Wait(&mu_);
  }
  std::vector<int> fds() {
    core::MutexLock lock(&mu_);
    return fds_;
  }

 private:
  core::Mutex mu_;
  core::CondVar cv_;
  int started_ GPOP_GUARDED_BY(mu_) = 0;
  int released_ GPOP_GUARDED_BY(mu_) = 0;
  int fail_ GPOP_GUARDED_BY(mu_) = 0;
  std::vector<int> fds_ GPOP_GUARDED_BY(mu_);
};

// Spins (yielding) until `batch` has `n` members waiting: the waiting count is the batch's own
// state, so no timing is assumed.
void WaitWaiting(const SyncBatch& batch, size_t n) {
  while (batch.waiting() < n) std::this_thread::yield();
}

Dir OpenTemp(const fs::path& path) {
  fs::create_directories(path);
  core::Result<Dir> d = Dir::OpenRoot(path, path.filename().string());
  EXPECT_TRUE(d.ok());
  return std::move(*d);
}

TEST(SyncBatchTest, WritersArrivingDuringAFlushShareTheNextOne) {
  const fs::path tmp = gpop::testing::TempDir("gpop-sync-batch");
  Dir dir = OpenTemp(tmp / "loc");
  HeldFlush held;
  SyncBatch batch(SyncBatch::Scope::kFileSystem, held.Fn());
  std::vector<SyncBatch::Member> members;
  for (int i = 0; i < 4; ++i) {
    core::Result<SyncBatch::Member> m = batch.Join(dir);
    ASSERT_TRUE(m.ok());
    members.push_back(std::move(*m));
  }
  std::vector<core::Status> results(4);
  std::vector<std::thread> threads;
  threads.emplace_back([&] { results[0] = members[0].Flush(); });
  held.WaitStarted(1);  // the first flush runs (held)
  for (int i = 1; i < 4; ++i) threads.emplace_back([&, i] { results[i] = members[i].Flush(); });
  WaitWaiting(batch, 3);  // the three arrived while it ran: it does not cover their writes
  held.Release(1);
  held.WaitStarted(2);  // one flush for the three
  EXPECT_EQ(batch.flushes(), 2u);
  held.Release(2);
  for (auto& t : threads) t.join();
  for (const core::Status& s : results) EXPECT_TRUE(s.ok());
  EXPECT_EQ(batch.flushes(), 2u);  // not 4
  // Every flush ran through the batch's one descriptor, not a member's.
  std::vector<int> fds = held.fds();
  ASSERT_EQ(fds.size(), 2u);
  EXPECT_EQ(fds[0], fds[1]);
  EXPECT_NE(fds[0], dir.fd());
}

TEST(SyncBatchTest, AFailedFlushFailsEveryMemberJoinedThenAndOnlyThose) {
  const fs::path tmp = gpop::testing::TempDir("gpop-sync-batch");
  Dir dir = OpenTemp(tmp / "loc");
  HeldFlush held;
  held.Release(100);
  held.FailNumber(1);
  SyncBatch batch(SyncBatch::Scope::kFileSystem, held.Fn());
  core::Result<SyncBatch::Member> flushing = batch.Join(dir);
  core::Result<SyncBatch::Member> writing = batch.Join(dir);  // joined, not flushing yet
  ASSERT_TRUE(flushing.ok() && writing.ok());
  EXPECT_FALSE(flushing->Flush().ok());
  // Its pages may be the ones whose write-back failed: the next flush (OK) does not clear it.
  EXPECT_FALSE(writing->Flush().ok());
  EXPECT_EQ(batch.flushes(), 2u);
  EXPECT_FALSE(writing->Flush().ok());
  core::Result<SyncBatch::Member> later = batch.Join(dir);  // joined after the failure
  ASSERT_TRUE(later.ok());
  EXPECT_TRUE(later->Flush().ok());
}

TEST(SyncBatchTest, AnotherFolderFlushesAloneUntilTheBatchIsEmpty) {
  const fs::path tmp = gpop::testing::TempDir("gpop-sync-batch");
  Dir first = OpenTemp(tmp / "a");
  Dir other = OpenTemp(tmp / "b");
  HeldFlush held;
  held.Release(100);
  SyncBatch batch(SyncBatch::Scope::kFolder, held.Fn());
  {
    core::Result<SyncBatch::Member> a = batch.Join(first);
    core::Result<SyncBatch::Member> b = batch.Join(other);
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_TRUE(a->Flush().ok());
    EXPECT_TRUE(b->Flush().ok());
    EXPECT_EQ(batch.flushes(), 1u);  // b's ran alone, through its own descriptor
    std::vector<int> fds = held.fds();
    ASSERT_EQ(fds.size(), 2u);
    EXPECT_NE(fds[0], fds[1]);
  }
  // No member left: the next folder becomes the batch's.
  core::Result<SyncBatch::Member> b = batch.Join(other);
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE(b->Flush().ok());
  EXPECT_EQ(batch.flushes(), 2u);
}

TEST(SyncBatchTest, RealSyncfsAndFsync) {
  const fs::path tmp = gpop::testing::TempDir("gpop-sync-batch");
  Dir dir = OpenTemp(tmp / "loc");
  for (SyncBatch::Scope scope : {SyncBatch::Scope::kFileSystem, SyncBatch::Scope::kFolder}) {
    SyncBatch batch(scope);
    core::Result<SyncBatch::Member> m = batch.Join(dir);
    ASSERT_TRUE(m.ok());
    ASSERT_TRUE(dir.WriteFile("f", "x", FileSync::kLater).ok());
    EXPECT_TRUE(m->Flush().ok());
    EXPECT_EQ(batch.flushes(), 1u);
  }
}

}  // namespace
}  // namespace gpop::sysvol::testing
