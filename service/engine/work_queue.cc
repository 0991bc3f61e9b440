#include "service/engine/work_queue.h"

#include <algorithm>
#include <utility>

namespace gpop::engine {

WorkQueue::WorkQueue(int threads) {
  for (int i = 0; i < std::max(1, threads); ++i) threads_.emplace_back([this] { Loop(); });
}

WorkQueue::~WorkQueue() { Stop(); }

void WorkQueue::Post(std::function<void()> task) {
  core::MutexLock lock(&mu_);
  if (stop_) return;
  tasks_.push_back(std::move(task));
  work_cv_.Signal();
}

void WorkQueue::Drain() {
  core::MutexLock lock(&mu_);
  while (!tasks_.empty() || busy_ > 0) idle_cv_.Wait(&mu_);
}

void WorkQueue::Stop() {
  {
    core::MutexLock lock(&mu_);
    stop_ = true;
    work_cv_.SignalAll();
  }
  for (std::thread& t : threads_) t.join();
  threads_.clear();
}

void WorkQueue::Loop() {
  core::MutexLock lock(&mu_);
  for (;;) {
    while (tasks_.empty() && !stop_) work_cv_.Wait(&mu_);
    if (tasks_.empty()) return;  // stopped and drained
    std::function<void()> task = std::move(tasks_.front());
    tasks_.pop_front();
    ++busy_;
    mu_.Unlock();
    task();
    task = nullptr;
    mu_.Lock();
    --busy_;
    idle_cv_.SignalAll();
  }
}

}  // namespace gpop::engine
