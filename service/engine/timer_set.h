// The engine's timers (deadlines, retention), tracked so that the engine can cancel every one
// before it is destroyed.

#ifndef GPOP_SERVICE_ENGINE_TIMER_SET_H_
#define GPOP_SERVICE_ENGINE_TIMER_SET_H_

#include <functional>
#include <set>

#include "service/core/mutex.h"
#include "service/engine/clock.h"

namespace gpop::engine {

// TimerSet
//
// Thread-safe. Schedule may be called with the engine's mutex held (it takes only its own);
// Cancel and Close must not be (they wait for a callback in progress, which may take it).
class TimerSet {
 public:
  explicit TimerSet(Clock* clock) : clock_(clock) {}

  // Runs `fn` at or after `when` on the clock's thread. Returns 0, scheduling nothing, once
  // Close began.
  Clock::TimerId Schedule(Time when, std::function<void()> fn);
  // Cancels a timer; when it returns, its callback is not running and will not run.
  void Cancel(Clock::TimerId id);
  // Refuses new timers and cancels every pending one, waiting for callbacks in progress.
  void Close();
  size_t pending();

 private:
  Clock* const clock_;
  core::Mutex mu_;
  std::set<Clock::TimerId> timers_ GPOP_GUARDED_BY(mu_);
  bool closed_ GPOP_GUARDED_BY(mu_) = false;
};

}  // namespace gpop::engine

#endif  // GPOP_SERVICE_ENGINE_TIMER_SET_H_
