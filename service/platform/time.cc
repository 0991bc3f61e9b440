// RFC 3339 UTC timestamps (see time.h); UtcCalendar is in time_{posix,windows}.cc.

#include "service/platform/time.h"

#include <cstdio>

namespace gpop::platform {

std::string FormatUtcMillis(std::chrono::system_clock::time_point when) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(when);
  auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(when.time_since_epoch()).count() % 1000;
  if (millis < 0) millis += 1000;
  const std::tm utc = UtcCalendar(seconds);
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<int>(millis));
  return buf;
}

}  // namespace gpop::platform
