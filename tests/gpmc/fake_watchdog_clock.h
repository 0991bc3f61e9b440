// A WatchdogClock for tests: time moves only when the test says, and timers fire on the test's
// thread, so the adapter's watchdogs are exercised without waiting for real time.

#ifndef GPOP_TESTS_GPMC_FAKE_WATCHDOG_CLOCK_H_
#define GPOP_TESTS_GPMC_FAKE_WATCHDOG_CLOCK_H_

#include <functional>
#include <map>
#include <optional>
#include <utility>

#include "service/backends/gpmc/watchdog_clock.h"
#include "service/core/mutex.h"

namespace gpop::gpmc::testing {

// FakeWatchdogClock
//
// Thread-safe. `Advance` runs every timer that falls due, in time order, on the calling thread.
// `WaitForTimerDueBy` is the tests' synchronisation point: it blocks until the code under test
// has armed a timer due at or before a given time (a latch, not a sleep).
class FakeWatchdogClock final : public WatchdogClock {
 public:
  TimePoint Now() override {
    core::MutexLock lock(&mu_);
    return now_;
  }

  TimerId Schedule(TimePoint when, std::function<void()> fn) override {
    core::MutexLock lock(&mu_);
    const TimerId id = next_id_++;
    timers_.emplace(when, std::make_pair(id, std::move(fn)));
    cv_.SignalAll();
    return id;
  }

  void Cancel(TimerId id) override {
    core::MutexLock lock(&mu_);
    for (auto it = timers_.begin(); it != timers_.end(); ++it) {
      if (it->second.first == id) {
        timers_.erase(it);
        return;
      }
    }
    while (running_ == id) cv_.Wait(&mu_);
  }

  void Advance(std::chrono::nanoseconds d) {
    core::MutexLock lock(&mu_);
    const TimePoint target =
        now_ + std::chrono::duration_cast<std::chrono::steady_clock::duration>(d);
    while (!timers_.empty() && timers_.begin()->first <= target) {
      now_ = std::max(now_, timers_.begin()->first);
      auto timer = std::move(timers_.begin()->second);
      timers_.erase(timers_.begin());
      running_ = timer.first;
      mu_.Unlock();
      timer.second();
      mu_.Lock();
      running_ = 0;
      cv_.SignalAll();
    }
    now_ = target;
  }

  // Blocks until a timer is pending that falls due at or before `when`.
  void WaitForTimerDueBy(TimePoint when) {
    core::MutexLock lock(&mu_);
    while (timers_.empty() || timers_.begin()->first > when) cv_.Wait(&mu_);
  }

  // When the earliest pending timer falls due, if any.
  std::optional<TimePoint> NextDue() {
    core::MutexLock lock(&mu_);
    if (timers_.empty()) return std::nullopt;
    return timers_.begin()->first;
  }

 private:
  core::Mutex mu_;
  core::CondVar cv_;
  TimePoint now_ GPOP_GUARDED_BY(mu_) = TimePoint() + std::chrono::hours(1);
  TimerId next_id_ GPOP_GUARDED_BY(mu_) = 1;
  TimerId running_ GPOP_GUARDED_BY(mu_) = 0;
  std::multimap<TimePoint, std::pair<TimerId, std::function<void()>>> timers_ GPOP_GUARDED_BY(mu_);
};

}  // namespace gpop::gpmc::testing

#endif  // GPOP_TESTS_GPMC_FAKE_WATCHDOG_CLOCK_H_
