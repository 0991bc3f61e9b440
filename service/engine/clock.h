// Time, injected: the engine reads the time and schedules timers (deadlines, heartbeats,
// retention, the shutdown grace period) only through a Clock, so tests drive it by hand.

#ifndef GPOP_SERVICE_ENGINE_CLOCK_H_
#define GPOP_SERVICE_ENGINE_CLOCK_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <thread>

#include "service/core/mutex.h"
#include "service/engine/types.h"

namespace gpop::engine {

// Clock
//
// The current time and one-shot timers. Thread-safe. Timer callbacks run on a thread of the
// clock's (RealClock) or the thread that advances it (FakeClock); they must not block.
class Clock {
 public:
  using TimerId = uint64_t;
  virtual ~Clock() = default;
  virtual Time Now() = 0;
  // Runs `fn` once at or after `when`. Returns an id for Cancel (never 0).
  virtual TimerId Schedule(Time when, std::function<void()> fn) = 0;
  // Cancels a timer; when it returns, the callback is not running and will not run, unless this
  // is called from that callback.
  virtual void Cancel(TimerId id) = 0;
};

// RealClock
//
// The system clock, with one timer thread.
class RealClock final : public Clock {
 public:
  RealClock();
  ~RealClock() override;
  Time Now() override;
  TimerId Schedule(Time when, std::function<void()> fn) override;
  void Cancel(TimerId id) override;

 private:
  void Loop();

  core::Mutex mu_;
  core::CondVar cv_;
  bool stop_ GPOP_GUARDED_BY(mu_) = false;
  TimerId next_id_ GPOP_GUARDED_BY(mu_) = 1;
  TimerId running_ GPOP_GUARDED_BY(mu_) = 0;  // the timer whose callback runs now
  using Timers = std::multimap<Time, std::pair<TimerId, std::function<void()>>>;
  Timers timers_ GPOP_GUARDED_BY(mu_);
  std::map<TimerId, Timers::iterator> by_id_ GPOP_GUARDED_BY(mu_);  // O(log n) Cancel
  std::thread thread_;
};

// FakeClock
//
// A clock that moves only when told. `Advance` runs every timer that falls due, in time order, on
// the calling thread.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(Time start = Time() + std::chrono::hours(24 * 365 * 50));
  Time Now() override;
  TimerId Schedule(Time when, std::function<void()> fn) override;
  void Cancel(TimerId id) override;
  void Advance(Duration d);
  size_t pending_timers();

 private:
  core::Mutex mu_;
  Time now_ GPOP_GUARDED_BY(mu_);
  TimerId next_id_ GPOP_GUARDED_BY(mu_) = 1;
  std::multimap<Time, std::pair<TimerId, std::function<void()>>> timers_ GPOP_GUARDED_BY(mu_);
};

}  // namespace gpop::engine

#endif  // GPOP_SERVICE_ENGINE_CLOCK_H_
