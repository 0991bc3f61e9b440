// The gpopd logger (see log.h).

#include "service/api/log.h"

#include <chrono>
#include <cstdio>

#include "service/platform/time.h"

namespace gpop::api {
namespace {

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
  std::string line = platform::FormatUtcMillis(std::chrono::system_clock::now());
  line += level == LogLevel::kInfo ? " I " : level == LogLevel::kWarning ? " W " : " E ";
  AppendTag(&line, "op", tags.operation_id);
  AppendTag(&line, "req", tags.request_id);
  AppendTag(&line, "principal", tags.principal);
  for (char c : message) line.push_back(c == '\n' ? ' ' : c);
  line.push_back('\n');
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace gpop::api
