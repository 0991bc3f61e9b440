// UTC calendar time on Windows: gmtime_s (the CRT's argument order: result first).

#include "service/platform/time.h"

namespace gpop::platform {

std::tm UtcCalendar(std::time_t seconds) {
  std::tm utc{};
  gmtime_s(&utc, &seconds);
  return utc;
}

}  // namespace gpop::platform
