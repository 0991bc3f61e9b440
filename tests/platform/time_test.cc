// Tests of UTC time formatting.

#include "service/platform/time.h"

#include <gtest/gtest.h>

namespace gpop::platform {
namespace {

TEST(TimeTest, FormatsUtcWithMilliseconds) {
  // 2026-12-01T21:56:35.123Z
  const auto when = std::chrono::system_clock::time_point(std::chrono::milliseconds(1796162195123));
  EXPECT_EQ(FormatUtcMillis(when), "2026-12-01T21:56:35.123Z");
  EXPECT_EQ(FormatUtcMillis(std::chrono::system_clock::time_point()), "1970-01-01T00:00:00.000Z");
}

TEST(TimeTest, UtcCalendarFields) {
  const std::tm utc = UtcCalendar(951782400);  // 2000-02-29T00:00:00Z
  EXPECT_EQ(utc.tm_year, 100);
  EXPECT_EQ(utc.tm_mon, 1);
  EXPECT_EQ(utc.tm_mday, 29);
  EXPECT_EQ(utc.tm_hour, 0);
}

}  // namespace
}  // namespace gpop::platform
