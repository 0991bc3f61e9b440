// Time formatting: UTC calendar time from the system clock (gmtime_r on POSIX, gmtime_s on
// Windows), and the RFC 3339 form gpopd's logs use.

#ifndef GPOP_SERVICE_PLATFORM_TIME_H_
#define GPOP_SERVICE_PLATFORM_TIME_H_

#include <chrono>
#include <ctime>
#include <string>

namespace gpop::platform {

// UtcCalendar
//
// `seconds` since the epoch as UTC calendar fields. Thread-safe (no shared static buffer).
std::tm UtcCalendar(std::time_t seconds);

// FormatUtcMillis
//
// "2026-12-01T21:56:35.123Z". Thread-safe.
std::string FormatUtcMillis(std::chrono::system_clock::time_point when);

}  // namespace gpop::platform

#endif  // GPOP_SERVICE_PLATFORM_TIME_H_
