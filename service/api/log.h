// gpopd's structured logger: one line per event of interest on stderr, tagged with the
// operation id, request id and principal it concerns, as text or as JSON for log collectors.
// (Debian's Abseil 20220623 has no absl/log.)

#ifndef GPOP_SERVICE_API_LOG_H_
#define GPOP_SERVICE_API_LOG_H_

#include <functional>
#include <optional>
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

// LogFormat
//
// kText: "<UTC time> <I|W|E> [op=<id>] [req=<id>] [principal=<name>] <message>", tag values
// with spaces and control characters replaced by '_'.
// kJson: one JSON object per line, {"time", "level" (INFO|WARNING|ERROR), "operation_id",
// "request_id", "principal", "message"}, empty tags left out (protobuf's JSON printer).
enum class LogFormat { kText, kJson };

// ParseLogFormat
//
// "text" or "json"; nullopt for anything else.
std::optional<LogFormat> ParseLogFormat(std::string_view name);

// SetLogFormat
//
// The format of every later line. Thread-safe; meant to be called once, at start-up.
void SetLogFormat(LogFormat format);

// Log
//
// Writes one line, whole, so that lines from different threads never interleave, in the order
// of the calls. While another thread is writing to stderr the line is queued for it, and that
// thread writes every line queued meanwhile in one write before it returns (so under load a
// line may leave shortly after its Log returned; a caller waits only when 1 MiB is queued).
// Credentials never reach the output: "Bearer <token>" (any case) and "authorization: <value>"
// have their secret replaced by "[REDACTED]" in the message and in every tag. Thread-safe.
void Log(LogLevel level, const LogTags& tags, std::string_view message);

// RedactSecrets
//
// The redaction Log applies, exposed for tests and for callers that build text elsewhere.
std::string RedactSecrets(std::string_view text);

// LogCapture
//
// While alive, lines go to `write` (each without its newline) instead of stderr. For tests;
// one at a time. Thread-safe.
class LogCapture {
 public:
  explicit LogCapture(std::function<void(std::string_view line)> write);
  ~LogCapture();
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;
};

}  // namespace gpop::api

#endif  // GPOP_SERVICE_API_LOG_H_
