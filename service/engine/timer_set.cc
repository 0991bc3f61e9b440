#include "service/engine/timer_set.h"

#include <memory>
#include <vector>

namespace gpop::engine {

Clock::TimerId TimerSet::Schedule(Time when, std::function<void()> fn) {
  core::MutexLock lock(&mu_);
  if (closed_) return 0;
  auto id_holder = std::make_shared<Clock::TimerId>(0);
  Clock::TimerId id = clock_->Schedule(when, [this, id_holder, fn = std::move(fn)] {
    fn();
    core::MutexLock lock(&mu_);
    timers_.erase(*id_holder);  // after fn: Close waits for callbacks still in timers_
  });
  *id_holder = id;
  timers_.insert(id);
  return id;
}

void TimerSet::Cancel(Clock::TimerId id) {
  clock_->Cancel(id);
  core::MutexLock lock(&mu_);
  timers_.erase(id);
}

void TimerSet::Close() {
  // RealClock::Cancel waits for a callback that is running, and a running callback cannot
  // schedule new timers once closed_ is set.
  for (;;) {
    std::vector<Clock::TimerId> timers;
    {
      core::MutexLock lock(&mu_);
      closed_ = true;
      timers.assign(timers_.begin(), timers_.end());
    }
    if (timers.empty()) return;
    for (Clock::TimerId t : timers) Cancel(t);
  }
}

size_t TimerSet::pending() {
  core::MutexLock lock(&mu_);
  return timers_.size();
}

}  // namespace gpop::engine
