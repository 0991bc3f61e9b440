#include "service/engine/timer_set.h"

#include <gtest/gtest.h>

namespace gpop::engine {
namespace {

TEST(TimerSetTest, RunsDueTimersAndForgetsThem) {
  FakeClock clock;
  TimerSet timers(&clock);
  int fired = 0;
  ASSERT_NE(timers.Schedule(clock.Now() + std::chrono::seconds(5), [&] { ++fired; }), 0u);
  EXPECT_EQ(timers.pending(), 1u);
  clock.Advance(std::chrono::seconds(4));
  EXPECT_EQ(fired, 0);
  clock.Advance(std::chrono::seconds(1));
  EXPECT_EQ(fired, 1);
  EXPECT_EQ(timers.pending(), 0u);
}

TEST(TimerSetTest, CancelAndCloseStopTimers) {
  FakeClock clock;
  TimerSet timers(&clock);
  int fired = 0;
  Clock::TimerId t = timers.Schedule(clock.Now() + std::chrono::seconds(1), [&] { ++fired; });
  timers.Schedule(clock.Now() + std::chrono::seconds(2), [&] { ++fired; });
  timers.Cancel(t);
  EXPECT_EQ(timers.pending(), 1u);
  timers.Close();
  EXPECT_EQ(timers.pending(), 0u);
  EXPECT_EQ(clock.pending_timers(), 0u);
  EXPECT_EQ(timers.Schedule(clock.Now(), [&] { ++fired; }), 0u);  // closed: nothing scheduled
  clock.Advance(std::chrono::seconds(5));
  EXPECT_EQ(fired, 0);
}

}  // namespace
}  // namespace gpop::engine
