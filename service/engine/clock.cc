#include "service/engine/clock.h"

#include <utility>

namespace gpop::engine {

RealClock::RealClock() : thread_([this] { Loop(); }) {}

RealClock::~RealClock() {
  {
    core::MutexLock lock(&mu_);
    stop_ = true;
  }
  cv_.SignalAll();
  thread_.join();
}

Time RealClock::Now() { return std::chrono::system_clock::now(); }

Clock::TimerId RealClock::Schedule(Time when, std::function<void()> fn) {
  core::MutexLock lock(&mu_);
  TimerId id = next_id_++;
  auto it = timers_.emplace(when, std::make_pair(id, std::move(fn)));
  by_id_[id] = it;
  if (it == timers_.begin()) cv_.SignalAll();
  return id;
}

void RealClock::Cancel(TimerId id) {
  core::MutexLock lock(&mu_);
  if (auto found = by_id_.find(id); found != by_id_.end()) {
    timers_.erase(found->second);
    by_id_.erase(found);
    return;
  }
  // Not pending: wait until it is no longer running (unless we are that callback).
  if (running_ == id && std::this_thread::get_id() != thread_.get_id()) {
    while (running_ == id) cv_.Wait(&mu_);
  }
}

void RealClock::Loop() {
  core::MutexLock lock(&mu_);
  while (!stop_) {
    if (timers_.empty()) {
      cv_.Wait(&mu_);
      continue;
    }
    auto it = timers_.begin();
    if (it->first > std::chrono::system_clock::now()) {
      cv_.WaitUntil(&mu_, it->first);
      continue;
    }
    TimerId id = it->second.first;
    std::function<void()> fn = std::move(it->second.second);
    timers_.erase(it);
    by_id_.erase(id);
    running_ = id;
    mu_.Unlock();
    fn();
    mu_.Lock();
    running_ = 0;
    cv_.SignalAll();
  }
}

FakeClock::FakeClock(Time start) : now_(start) {}

Time FakeClock::Now() {
  core::MutexLock lock(&mu_);
  return now_;
}

Clock::TimerId FakeClock::Schedule(Time when, std::function<void()> fn) {
  core::MutexLock lock(&mu_);
  TimerId id = next_id_++;
  timers_.emplace(when, std::make_pair(id, std::move(fn)));
  return id;
}

void FakeClock::Cancel(TimerId id) {
  core::MutexLock lock(&mu_);
  for (auto it = timers_.begin(); it != timers_.end(); ++it) {
    if (it->second.first == id) {
      timers_.erase(it);
      return;
    }
  }
}

void FakeClock::Advance(Duration d) {
  Time target;
  {
    core::MutexLock lock(&mu_);
    target = now_ + d;
  }
  for (;;) {
    std::function<void()> fn;
    {
      core::MutexLock lock(&mu_);
      auto it = timers_.begin();
      if (it == timers_.end() || it->first > target) {
        now_ = target;
        return;
      }
      if (it->first > now_) now_ = it->first;
      fn = std::move(it->second.second);
      timers_.erase(it);
    }
    fn();
  }
}

size_t FakeClock::pending_timers() {
  core::MutexLock lock(&mu_);
  return timers_.size();
}

}  // namespace gpop::engine
