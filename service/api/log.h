// A tiny structured logger for gpopd: one line per record on stderr, tagged with the operation
// id, request id and principal it concerns. (Debian's Abseil 20220623 has no absl/log.)

#ifndef GPOP_SERVICE_API_LOG_H_
#define GPOP_SERVICE_API_LOG_H_

#include <string>
#include <string_view>

namespace gpop::api {

// LogTags
//
// What a log line is about; empty tags are left out.
struct LogTags {
  std::string operation_id;
  std::string request_id;
  std::string principal;
};

enum class LogLevel { kInfo, kWarning, kError };

// Log
//
// Writes "<UTC time> <I|W|E> [op=<id>] [req=<id>] [principal=<name>] <message>" to stderr as one
// write, so that lines from different threads do not interleave. Thread-safe.
void Log(LogLevel level, const LogTags& tags, std::string_view message);

}  // namespace gpop::api

#endif  // GPOP_SERVICE_API_LOG_H_
