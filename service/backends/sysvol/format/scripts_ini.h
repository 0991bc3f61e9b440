// scripts.ini and psscripts.ini: the Scripts extension's lists of startup/shutdown (Machine) and
// logon/logoff (User) scripts, in Machine/Scripts/ and User/Scripts/ of a GPT.
//
// An INI file (UTF-16LE with a BOM as the editor writes it; UTF-8 accepted, see
// windows_text.h): sections [Startup], [Shutdown], [Logon], [Logoff] of "<n>CmdLine=" and
// "<n>Parameters=" lines, n counting from 0; psscripts.ini may add [ScriptsConfig] with
// StartExecutePSFirst / EndExecutePSFirst = true|false (whether PowerShell scripts run before
// the others). Names match case-insensitively; other sections and lines are ignored.

#ifndef GPOP_SERVICE_BACKENDS_SYSVOL_FORMAT_SCRIPTS_INI_H_
#define GPOP_SERVICE_BACKENDS_SYSVOL_FORMAT_SCRIPTS_INI_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "service/core/error.h"

namespace gpop::sysvol {

inline constexpr size_t kMaxScriptsIniBytes = 1u << 20;

// ScriptEntry
//
// One script: `type` the section in canonical case ("Startup", "Shutdown", "Logon",
// "Logoff"), `index` its n, the command line and parameters as written.
struct ScriptEntry {
  std::string type;
  int index = 0;
  std::string command;
  std::string parameters;

  bool operator==(const ScriptEntry& o) const {
    return type == o.type && index == o.index && command == o.command && parameters == o.parameters;
  }
};

// ScriptsIni
//
// Every script with a command line, by section (Startup, Shutdown, Logon, Logoff) then index;
// a "<n>Parameters" line without its "<n>CmdLine" is dropped (the editor lists no such script).
// The [ScriptsConfig] flags when present.
struct ScriptsIni {
  std::vector<ScriptEntry> scripts;
  std::optional<bool> start_powershell_first;
  std::optional<bool> end_powershell_first;
};

// ParseScriptsIni
//
// Errors (CORRUPT_FILE naming `display_path`): larger than kMaxScriptsIniBytes, undecodable
// text (see DecodeWindowsText), a script index that is not a number below 100000.
core::Result<ScriptsIni> ParseScriptsIni(std::string_view bytes, std::string_view display_path);

}  // namespace gpop::sysvol

#endif  // GPOP_SERVICE_BACKENDS_SYSVOL_FORMAT_SCRIPTS_INI_H_
