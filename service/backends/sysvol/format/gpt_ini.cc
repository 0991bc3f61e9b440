// GPT.INI reader and writer (see gpt_ini.h).

#include "service/backends/sysvol/format/gpt_ini.h"

#include "service/backends/sysvol/format/format_error.h"
#include "service/backends/sysvol/format/text_util.h"
#include "service/backends/sysvol/format/utf16.h"

namespace gpop::sysvol {

namespace {
constexpr size_t kMaxGptIniBytes = 64 * 1024;
}  // namespace

core::Result<GptIni> ParseGptIni(std::string_view bytes, std::string_view path) {
  using internal::EqualsNoCase;
  using internal::Trim;
  if (bytes.size() > kMaxGptIniBytes) {
    return CorruptFile(path, "GPT.INI is larger than 64 KiB");
  }
  if (size_t nul = bytes.find('\0'); nul != std::string_view::npos) {
    return CorruptFile(path, "NUL byte in GPT.INI (UTF-16 is not expected here)", nul);
  }
  if (bytes.substr(0, 3) == kUtf8Bom) bytes.remove_prefix(3);
  bool final_newline = false;
  GptIni ini;
  bool seen_general = false;
  bool in_general = false;
  bool seen_version = false;
  for (std::string_view line : internal::SplitLines(bytes, &final_newline)) {
    std::string_view t = Trim(line);
    if (!t.empty() && t.front() == '[') {
      size_t close = t.find(']');
      std::string_view name =
          close == std::string_view::npos ? t.substr(1) : t.substr(1, close - 1);
      in_general = EqualsNoCase(Trim(name), "General") && !seen_general;
      if (in_general) {
        seen_general = true;
        continue;
      }
      (seen_general ? ini.other_lines : ini.leading_lines).emplace_back(line);
      continue;
    }
    if (!in_general) {
      (seen_general ? ini.other_lines : ini.leading_lines).emplace_back(line);
      continue;
    }
    size_t eq = t.find('=');
    std::string_view key = eq == std::string_view::npos ? t : Trim(t.substr(0, eq));
    std::string_view value = eq == std::string_view::npos ? "" : Trim(t.substr(eq + 1));
    if (eq != std::string_view::npos && EqualsNoCase(key, "Version") && !seen_version) {
      auto v = internal::ParseUint32(value);
      if (!v) {
        return CorruptFile(path, "Version=" + std::string(value) + " is not a 32-bit number");
      }
      ini.version = *v;
      seen_version = true;
    } else if (eq != std::string_view::npos && EqualsNoCase(key, "displayName") &&
               !ini.display_name) {
      ini.display_name = std::string(value);
    } else {
      ini.general_extra.emplace_back(line);
    }
  }
  if (!seen_general) return CorruptFile(path, "no [General] section");
  ini.final_newline = final_newline || bytes.empty();
  return ini;
}

std::string WriteGptIni(const GptIni& ini) {
  std::string out;
  for (const auto& line : ini.leading_lines) out += line + "\r\n";
  out += "[General]\r\nVersion=" + std::to_string(ini.version) + "\r\n";
  if (ini.display_name) out += "displayName=" + *ini.display_name + "\r\n";
  for (const auto& line : ini.general_extra) out += line + "\r\n";
  for (const auto& line : ini.other_lines) out += line + "\r\n";
  if (!ini.final_newline) out.resize(out.size() - 2);
  return out;
}

}  // namespace gpop::sysvol
