#include "service/engine/status_convert.h"

#include <cstdio>
#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/str_split.h"

namespace gpop::engine {
namespace {

// Payload encoding: lines "reason\n", then "key=value\n" per metadata entry, with '\n' and '\\'
// escaped in values. HRESULT travels as metadata "hresult" = 0x%08X.
std::string Escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string Unescape(absl::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) {
      out += s[i + 1] == 'n' ? '\n' : s[i + 1];
      ++i;
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace

absl::Status ToStatus(const core::Error& error) {
  if (error.code == core::Code::kOk) return absl::OkStatus();
  absl::Status status(static_cast<absl::StatusCode>(error.code), error.message);
  std::string payload = Escape(error.reason) + "\n";
  for (const auto& [k, v] : error.metadata) payload += Escape(k) + "=" + Escape(v) + "\n";
  if (error.hresult) {
    char buf[16];
    std::snprintf(buf, sizeof(buf), "0x%08X", *error.hresult);
    payload += std::string("hresult=") + buf + "\n";
  }
  status.SetPayload(kErrorInfoUrl, absl::Cord(payload));
  return status;
}

absl::Status ToStatus(const core::Status& status) {
  return status.ok() ? absl::OkStatus() : ToStatus(status.error());
}

core::Error ToError(const absl::Status& status) {
  core::Error error;
  error.code = static_cast<core::Code>(status.code());
  error.message = std::string(status.message());
  auto payload = status.GetPayload(kErrorInfoUrl);
  if (!payload) {
    error.reason = (status.code() == absl::StatusCode::kInternal ||
                    status.code() == absl::StatusCode::kUnknown)
                       ? core::reason::kInternal
                       : core::CodeName(error.code);
    return error;
  }
  std::string text(*payload);
  bool first = true;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    if (first) {
      error.reason = Unescape(line);
      first = false;
      continue;
    }
    size_t eq = line.find('=');
    if (eq == absl::string_view::npos) continue;
    std::string key = Unescape(line.substr(0, eq));
    std::string value = Unescape(line.substr(eq + 1));
    if (key == "hresult") {
      error.hresult = static_cast<uint32_t>(std::strtoul(value.c_str(), nullptr, 16));
    } else {
      error.metadata[key] = value;
    }
  }
  return error;
}

absl::Status MakeStatus(core::Code code, const std::string& reason, const std::string& message,
                        std::map<std::string, std::string> metadata) {
  return ToStatus(core::MakeError(code, reason, message, std::move(metadata)));
}

}  // namespace gpop::engine
