// Tests of the shutdown trigger: an in-process request, and on POSIX a real SIGTERM.

#include "service/platform/shutdown.h"

#include <gtest/gtest.h>

#ifndef _WIN32
#include <signal.h>
#include <unistd.h>
#endif

namespace gpop::platform {
namespace {

TEST(ShutdownTriggerTest, TheFirstReasonWins) {
  ShutdownTrigger trigger;
  EXPECT_FALSE(trigger.triggered());
  std::thread stopper([&trigger] { trigger.Trigger("service stop"); });
  EXPECT_EQ(trigger.Wait(), "service stop");
  stopper.join();
  trigger.Trigger("Ctrl-C");
  EXPECT_TRUE(trigger.triggered());
  EXPECT_EQ(trigger.Wait(), "service stop");
}

#ifndef _WIN32
TEST(ShutdownTriggerTest, SigtermToTheProcess) {
  ShutdownTrigger trigger;
  // Process-directed: every thread blocks SIGTERM, so only the trigger's sigwait takes it.
  ASSERT_EQ(kill(getpid(), SIGTERM), 0);
  EXPECT_EQ(trigger.Wait(), "SIGTERM");
}
#endif

}  // namespace
}  // namespace gpop::platform
