#include "service/engine/work_queue.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace gpop::engine {
namespace {

TEST(WorkQueueTest, OneThreadRunsTasksInOrderOffTheCaller) {
  WorkQueue queue(1);
  core::Mutex mu;
  std::vector<int> order;
  std::thread::id caller = std::this_thread::get_id();
  bool on_caller = false;
  for (int i = 0; i < 100; ++i) {
    queue.Post([&, i] {
      core::MutexLock lock(&mu);
      order.push_back(i);
      if (std::this_thread::get_id() == caller) on_caller = true;
    });
  }
  queue.Drain();
  core::MutexLock lock(&mu);
  ASSERT_EQ(order.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(order[i], i);
  EXPECT_FALSE(on_caller);
}

TEST(WorkQueueTest, StopRunsWhatIsQueuedThenDropsLaterPosts) {
  core::Mutex mu;
  int ran = 0;
  WorkQueue queue(2);
  for (int i = 0; i < 50; ++i) {
    queue.Post([&] {
      core::MutexLock lock(&mu);
      ++ran;
    });
  }
  queue.Stop();
  queue.Post([&] {
    core::MutexLock lock(&mu);
    ++ran;
  });
  queue.Stop();  // idempotent
  core::MutexLock lock(&mu);
  EXPECT_EQ(ran, 50);
}

}  // namespace
}  // namespace gpop::engine
