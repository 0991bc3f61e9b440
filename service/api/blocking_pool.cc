#include "service/api/blocking_pool.h"

#include <utility>

namespace gpop::api {

BlockingPool::BlockingPool(int threads) {
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { Loop(); });
}

BlockingPool::~BlockingPool() {
  {
    core::MutexLock lock(&mu_);
    stop_ = true;
  }
  cv_.SignalAll();
  for (std::thread& t : threads_) t.join();
}

void BlockingPool::Post(std::function<void()> task) {
  {
    core::MutexLock lock(&mu_);
    tasks_.push_back(std::move(task));
  }
  cv_.Signal();
}

void BlockingPool::Loop() {
  for (;;) {
    std::function<void()> task;
    {
      core::MutexLock lock(&mu_);
      while (tasks_.empty() && !stop_) cv_.Wait(&mu_);
      if (tasks_.empty()) return;
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    task();
  }
}

}  // namespace gpop::api
