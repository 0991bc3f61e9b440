// UTC calendar time on POSIX: gmtime_r.

#include "service/platform/time.h"

namespace gpop::platform {

std::tm UtcCalendar(std::time_t seconds) {
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  return utc;
}

}  // namespace gpop::platform
