// The gpopd logger (see log.h).

#include "service/api/log.h"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace gpop::api {
namespace {

std::string Timestamp() {
  auto now = std::chrono::system_clock::now();
  std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()) % 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<int>(millis.count()));
  return buf;
}

// Tag values come from requests: keep each on one line and free of spaces.
void AppendTag(std::string* line, std::string_view key, const std::string& value) {
  if (value.empty()) return;
  line->append(key);
  line->push_back('=');
  for (char c : value) {
    unsigned char u = static_cast<unsigned char>(c);
    line->push_back(u <= 0x20 || u == 0x7F ? '_' : c);
  }
  line->push_back(' ');
}

}  // namespace

void Log(LogLevel level, const LogTags& tags, std::string_view message) {
  std::string line = Timestamp();
  line += level == LogLevel::kInfo ? " I " : level == LogLevel::kWarning ? " W " : " E ";
  AppendTag(&line, "op", tags.operation_id);
  AppendTag(&line, "req", tags.request_id);
  AppendTag(&line, "principal", tags.principal);
  for (char c : message) line.push_back(c == '\n' ? ' ' : c);
  line.push_back('\n');
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace gpop::api
