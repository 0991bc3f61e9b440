// The gpopd logger (see log.h).

#include "service/api/log.h"

#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <utility>

#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "service/core/mutex.h"
#include "service/platform/time.h"

namespace gpop::api {
namespace {

// The process's log settings: one per process, like stderr itself.
struct LogState {
  core::Mutex mu;
  LogFormat format GPOP_GUARDED_BY(mu) = LogFormat::kText;
  std::function<void(std::string_view)> capture GPOP_GUARDED_BY(mu);
  // Lines waiting for the thread that is writing to stderr (`writing`), in order.
  std::string pending GPOP_GUARDED_BY(mu);
  bool writing GPOP_GUARDED_BY(mu) = false;
  core::CondVar written;  // signalled after each write: room in `pending`
};

// Past this, a caller waits for the writer (stderr is slow or blocked) instead of queueing more.
constexpr size_t kMaxPendingBytes = 1 << 20;

LogState& State() {
  static LogState* state = new LogState();  // never destroyed: threads may log during exit
  return *state;
}

bool StartsWithNoCase(std::string_view text, size_t at, std::string_view word) {
  if (text.size() - at < word.size()) return false;
  for (size_t i = 0; i < word.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[at + i])) != word[i]) return false;
  }
  return true;
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

const char* LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kInfo:
      return "INFO";
    case LogLevel::kWarning:
      return "WARNING";
    case LogLevel::kError:
      return "ERROR";
  }
  return "INFO";
}

std::string TextLine(const std::string& time, LogLevel level, const LogTags& tags,
                     const std::string& message) {
  std::string line = time;
  line += level == LogLevel::kInfo ? " I " : level == LogLevel::kWarning ? " W " : " E ";
  AppendTag(&line, "op", tags.operation_id);
  AppendTag(&line, "req", tags.request_id);
  AppendTag(&line, "principal", tags.principal);
  for (char c : message) line.push_back(c == '\n' || c == '\r' ? ' ' : c);
  return line;
}

std::string JsonLine(const std::string& time, LogLevel level, const LogTags& tags,
                     const std::string& message) {
  google::protobuf::Struct record;
  auto& fields = *record.mutable_fields();
  fields["time"].set_string_value(time);
  fields["level"].set_string_value(LevelName(level));
  if (!tags.operation_id.empty()) fields["operation_id"].set_string_value(tags.operation_id);
  if (!tags.request_id.empty()) fields["request_id"].set_string_value(tags.request_id);
  if (!tags.principal.empty()) fields["principal"].set_string_value(tags.principal);
  fields["message"].set_string_value(message);
  std::string line;
  if (!google::protobuf::util::MessageToJsonString(record, &line).ok()) {
    // Only invalid UTF-8 makes the printer fail: say so rather than lose the line.
    line = "{\"time\":\"" + time + "\",\"level\":\"" + LevelName(level) +
           "\",\"message\":\"(log record not valid UTF-8)\"}";
  }
  return line;  // the printer escapes newlines: one record, one line
}

// platform::FormatUtcMillis, its calendar part (up to the seconds) reused within one second by
// each thread: the C library's calendar and snprintf were a tenth of a line's cost.
std::string LogTime(std::chrono::system_clock::time_point now) {
  thread_local int64_t cached_second = std::numeric_limits<int64_t>::min();
  thread_local std::string seconds_text;  // "YYYY-MM-DDTHH:MM:SS"
  const int64_t ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  int64_t second = ms / 1000;
  if (ms % 1000 < 0) --second;
  const int millis = static_cast<int>(ms - second * 1000);
  if (second != cached_second) {
    std::string full = platform::FormatUtcMillis(now);  // "...SS.mmmZ"
    seconds_text = full.substr(0, full.size() - 5);
    cached_second = second;
  }
  std::string out = seconds_text;
  out += '.';
  out += static_cast<char>('0' + millis / 100);
  out += static_cast<char>('0' + millis / 10 % 10);
  out += static_cast<char>('0' + millis % 10);
  out += 'Z';
  return out;
}

}  // namespace

std::string RedactSecrets(std::string_view text) {
  // Both forms need a separator after their word ("bearer " a space, "authorization" a ':' or
  // '='): text without any (an operation id, most request ids) has nothing to redact.
  if (text.find_first_of(" :=") == std::string_view::npos) return std::string(text);
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    size_t secret_from = std::string_view::npos;
    if (StartsWithNoCase(text, i, "bearer ")) {
      secret_from = i + 7;
    } else if (StartsWithNoCase(text, i, "authorization")) {
      size_t j = i + 13;
      while (j < text.size() && (text[j] == ' ' || text[j] == '"')) ++j;
      if (j < text.size() && (text[j] == ':' || text[j] == '=')) secret_from = j + 1;
    }
    if (secret_from == std::string_view::npos) {
      // Up to the next place either word could begin, in one append.
      size_t next = i + 1;
      while (next < text.size() && text[next] != 'b' && text[next] != 'B' && text[next] != 'a' &&
             text[next] != 'A') {
        ++next;
      }
      out.append(text.substr(i, next - i));
      i = next;
      continue;
    }
    size_t j = secret_from;
    while (j < text.size() && text[j] == ' ') ++j;
    // "authorization: Bearer X": let the next round redact X after "Bearer ".
    if (!StartsWithNoCase(text, j, "bearer ")) {
      out.append(text.substr(i, j - i));
      while (j < text.size() && text[j] != ' ' && text[j] != '"' && text[j] != ',' &&
             text[j] != '\n') {
        ++j;
      }
      out.append("[REDACTED]");
    } else {
      out.append(text.substr(i, j - i));
    }
    i = j;
  }
  return out;
}

std::optional<LogFormat> ParseLogFormat(std::string_view name) {
  if (name == "text") return LogFormat::kText;
  if (name == "json") return LogFormat::kJson;
  return std::nullopt;
}

void SetLogFormat(LogFormat format) {
  LogState& state = State();
  core::MutexLock lock(&state.mu);
  state.format = format;
}

void Log(LogLevel level, const LogTags& tags, std::string_view message) {
  const std::string time = LogTime(std::chrono::system_clock::now());
  LogTags safe{RedactSecrets(tags.operation_id), RedactSecrets(tags.request_id),
               RedactSecrets(tags.principal)};
  const std::string text = RedactSecrets(message);
  LogState& state = State();
  core::MutexLock lock(&state.mu);
  std::string line = state.format == LogFormat::kJson ? JsonLine(time, level, safe, text)
                                                      : TextLine(time, level, safe, text);
  if (state.capture) {
    state.capture(line);
    return;
  }
  line.push_back('\n');
  // One thread writes at a time, outside the lock, everything queued while it wrote: under load
  // many lines go out in one write(2), each whole and in order, and no caller waits for
  // another's write.
  while (state.writing && state.pending.size() >= kMaxPendingBytes) state.written.Wait(&state.mu);
  state.pending += line;
  if (state.writing) return;
  state.writing = true;
  while (!state.pending.empty()) {
    std::string batch;
    batch.swap(state.pending);
    state.mu.Unlock();
    std::fwrite(batch.data(), 1, batch.size(), stderr);
    state.mu.Lock();
    state.written.SignalAll();
  }
  state.writing = false;
}

LogCapture::LogCapture(std::function<void(std::string_view line)> write) {
  LogState& state = State();
  core::MutexLock lock(&state.mu);
  state.capture = std::move(write);
}

LogCapture::~LogCapture() {
  LogState& state = State();
  core::MutexLock lock(&state.mu);
  state.capture = nullptr;
}

}  // namespace gpop::api
