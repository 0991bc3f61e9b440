// The time source of the adapter's watchdogs, injected as the engine injects its clock
// (service/engine/clock.h), so that tests drive the watchdog by hand instead of waiting.
//
// The engine's Clock cannot be used here: the adapter builds without Abseil (mingw-w64), and
// backends know nothing of the engine (DESIGN.md).

#ifndef GPOP_SERVICE_BACKENDS_GPMC_WATCHDOG_CLOCK_H_
#define GPOP_SERVICE_BACKENDS_GPMC_WATCHDOG_CLOCK_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <thread>

#include "service/core/mutex.h"

namespace gpop::gpmc {

// WatchdogClock
//
// Monotonic time and one-shot timers. Thread-safe. Timer callbacks run on a thread of the
// clock's (SteadyWatchdogClock) or on the thread that advances a test clock; they must not
// block.
class WatchdogClock {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  using TimerId = uint64_t;

  virtual ~WatchdogClock() = default;
  virtual TimePoint Now() = 0;
  // Runs `fn` once at or after `when`. Returns an id for Cancel (never 0).
  virtual TimerId Schedule(TimePoint when, std::function<void()> fn) = 0;
  // When it returns, the timer's callback is not running and will not run (unless called from
  // that very callback).
  virtual void Cancel(TimerId id) = 0;
};

// SteadyWatchdogClock
//
// std::chrono::steady_clock, with one timer thread started on the first Schedule.
class SteadyWatchdogClock final : public WatchdogClock {
 public:
  SteadyWatchdogClock() = default;
  ~SteadyWatchdogClock() override;
  SteadyWatchdogClock(const SteadyWatchdogClock&) = delete;
  SteadyWatchdogClock& operator=(const SteadyWatchdogClock&) = delete;

  TimePoint Now() override;
  TimerId Schedule(TimePoint when, std::function<void()> fn) override;
  void Cancel(TimerId id) override;

 private:
  void Loop();

  core::Mutex mu_;
  core::CondVar cv_;
  bool stop_ GPOP_GUARDED_BY(mu_) = false;
  TimerId next_id_ GPOP_GUARDED_BY(mu_) = 1;
  TimerId running_ GPOP_GUARDED_BY(mu_) = 0;  // the timer whose callback runs now
  std::multimap<TimePoint, std::pair<TimerId, std::function<void()>>> timers_ GPOP_GUARDED_BY(mu_);
  std::thread thread_ GPOP_GUARDED_BY(mu_);
  std::thread::id loop_id_ GPOP_GUARDED_BY(mu_);
};

}  // namespace gpop::gpmc

#endif  // GPOP_SERVICE_BACKENDS_GPMC_WATCHDOG_CLOCK_H_
