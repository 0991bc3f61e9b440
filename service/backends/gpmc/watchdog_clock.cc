// The adapter's watchdog clock (see watchdog_clock.h).

#include "service/backends/gpmc/watchdog_clock.h"

#include <utility>

namespace gpop::gpmc {

SteadyWatchdogClock::~SteadyWatchdogClock() {
  std::thread thread;
  {
    core::MutexLock lock(&mu_);
    stop_ = true;
    cv_.SignalAll();
    thread = std::move(thread_);
  }
  if (thread.joinable()) thread.join();
}

WatchdogClock::TimePoint SteadyWatchdogClock::Now() { return std::chrono::steady_clock::now(); }

WatchdogClock::TimerId SteadyWatchdogClock::Schedule(TimePoint when, std::function<void()> fn) {
  core::MutexLock lock(&mu_);
  const TimerId id = next_id_++;
  timers_.emplace(when, std::make_pair(id, std::move(fn)));
  if (!thread_.joinable()) thread_ = std::thread([this] { Loop(); });
  cv_.SignalAll();
  return id;
}

void SteadyWatchdogClock::Cancel(TimerId id) {
  core::MutexLock lock(&mu_);
  for (auto it = timers_.begin(); it != timers_.end(); ++it) {
    if (it->second.first == id) {
      timers_.erase(it);
      return;
    }
  }
  // Not pending: it may be running; wait for it unless this is its own callback.
  while (running_ == id && std::this_thread::get_id() != loop_id_) cv_.Wait(&mu_);
}

void SteadyWatchdogClock::Loop() {
  core::MutexLock lock(&mu_);
  loop_id_ = std::this_thread::get_id();
  while (!stop_) {
    if (timers_.empty()) {
      cv_.Wait(&mu_);
      continue;
    }
    const TimePoint due = timers_.begin()->first;
    if (std::chrono::steady_clock::now() < due) {
      cv_.WaitUntil(&mu_, due);
      continue;
    }
    auto timer = std::move(timers_.begin()->second);
    timers_.erase(timers_.begin());
    running_ = timer.first;
    mu_.Unlock();
    timer.second();
    mu_.Lock();
    running_ = 0;
    cv_.SignalAll();
  }
}

}  // namespace gpop::gpmc
