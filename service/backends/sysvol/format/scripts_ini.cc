// scripts.ini / psscripts.ini reader (see scripts_ini.h).

#include "service/backends/sysvol/format/scripts_ini.h"

#include <map>
#include <utility>

#include "service/backends/sysvol/format/format_error.h"
#include "service/backends/sysvol/format/inf_file.h"
#include "service/backends/sysvol/format/text_util.h"
#include "service/backends/sysvol/format/windows_text.h"

namespace gpop::sysvol {

namespace {

constexpr const char* kTypes[] = {"Startup", "Shutdown", "Logon", "Logoff"};
constexpr int kMaxIndex = 99999;

std::optional<bool> Flag(const InfSection* config, std::string_view key) {
  if (config == nullptr) return std::nullopt;
  const InfLine* line = config->Find(key);
  if (line == nullptr || !line->HasValue()) return std::nullopt;
  std::string_view v = internal::Trim(line->value);
  if (internal::EqualsNoCase(v, "true")) return true;
  if (internal::EqualsNoCase(v, "false")) return false;
  return std::nullopt;
}

}  // namespace

core::Result<ScriptsIni> ParseScriptsIni(std::string_view bytes, std::string_view path) {
  auto text = DecodeWindowsText(bytes, path, kMaxScriptsIniBytes);
  if (!text.ok()) return text.error();
  auto inf = ParseInfText(*text, path);
  if (!inf.ok()) return inf.error();
  ScriptsIni out;
  for (const char* type : kTypes) {
    // Every section of this name (a hand-edited file may repeat one), in file order.
    std::map<int, std::pair<std::optional<std::string>, std::string>> by_index;
    for (const InfSection& section : inf->sections) {
      if (!internal::EqualsNoCase(internal::Trim(section.name), type)) continue;
      for (const InfLine& line : section.lines) {
        if (!line.HasValue()) continue;
        std::string_view key = internal::Trim(line.key);
        size_t digits = 0;
        while (digits < key.size() && key[digits] >= '0' && key[digits] <= '9') ++digits;
        if (digits == 0) continue;
        std::string_view what = key.substr(digits);
        bool is_command = internal::EqualsNoCase(what, "CmdLine");
        if (!is_command && !internal::EqualsNoCase(what, "Parameters")) continue;
        auto index = internal::ParseUint32(key.substr(0, digits));
        if (!index || *index > static_cast<uint32_t>(kMaxIndex)) {
          return CorruptFile(path, "script number \"" + std::string(key.substr(0, digits)) +
                                       "\" in [" + type + "] is out of range");
        }
        auto& slot = by_index[static_cast<int>(*index)];
        if (is_command) {
          if (!slot.first) slot.first = line.value;
        } else {
          slot.second = line.value;
        }
      }
    }
    for (const auto& [index, slot] : by_index) {
      if (!slot.first) continue;
      out.scripts.push_back(ScriptEntry{type, index, *slot.first, slot.second});
    }
  }
  const InfSection* config = inf->FindSection("ScriptsConfig");
  out.start_powershell_first = Flag(config, "StartExecutePSFirst");
  out.end_powershell_first = Flag(config, "EndExecutePSFirst");
  return out;
}

}  // namespace gpop::sysvol
