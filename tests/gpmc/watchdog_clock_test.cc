// Tests of the adapter's real watchdog clock: timers fire on its thread, cancelled ones never
// do. No test waits for a duration: a due timer is scheduled at Now(), and the far one an hour
// away is only cancelled.

#include "service/backends/gpmc/watchdog_clock.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>

namespace gpop::gpmc {
namespace {

TEST(SteadyWatchdogClockTest, ADueTimerFiresOnTheClocksThread) {
  SteadyWatchdogClock clock;
  std::promise<std::thread::id> fired;
  clock.Schedule(clock.Now(), [&fired] { fired.set_value(std::this_thread::get_id()); });
  EXPECT_NE(fired.get_future().get(), std::this_thread::get_id());
}

TEST(SteadyWatchdogClockTest, ACancelledTimerNeverRuns) {
  std::atomic<int> runs{0};
  {
    SteadyWatchdogClock clock;
    const auto far = clock.Schedule(clock.Now() + std::chrono::hours(1), [&runs] { ++runs; });
    std::promise<void> later;
    // Timers run in time order: once the due one has run, the far one was passed over.
    clock.Schedule(clock.Now(), [&later] { later.set_value(); });
    later.get_future().wait();
    clock.Cancel(far);
  }  // the destructor stops the thread without running what is pending
  EXPECT_EQ(runs.load(), 0);
}

TEST(SteadyWatchdogClockTest, TimeMovesForward) {
  SteadyWatchdogClock clock;
  const auto a = clock.Now();
  EXPECT_LE(a, clock.Now());
}

}  // namespace
}  // namespace gpop::gpmc
