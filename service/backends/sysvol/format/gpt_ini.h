// GPT.INI: the file at the root of every GPT ("[General]", "Version=<uint32>", sometimes
// "displayName=..."). Windows writes it in the ANSI code page with CRLF; Samba with LF. The
// reader accepts both (and a UTF-8 BOM), keeps every other line in order, and the writer emits
// CRLF.

#ifndef GPOP_SERVICE_BACKENDS_SYSVOL_FORMAT_GPT_INI_H_
#define GPOP_SERVICE_BACKENDS_SYSVOL_FORMAT_GPT_INI_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "service/core/error.h"

namespace gpop::sysvol {

// GptIni
//
// The parsed file. `version` is [General] Version= (0 when absent); `display_name` is
// [General] displayName= when present. Every other line is kept, without its line ending, so
// that a rewrite loses nothing: `leading_lines` holds the lines before [General],
// `general_extra` the other lines of [General], `other_lines` everything after [General]'s
// section (other sections with their headers), each in order.
struct GptIni {
  uint32_t version = 0;
  std::optional<std::string> display_name;
  std::vector<std::string> leading_lines;
  std::vector<std::string> general_extra;
  std::vector<std::string> other_lines;
  // Whether the last line ended with a line break (Windows writes one, Samba does not).
  bool final_newline = true;

  bool operator==(const GptIni& other) const {
    return version == other.version && display_name == other.display_name &&
           leading_lines == other.leading_lines && general_extra == other.general_extra &&
           other_lines == other.other_lines;
  }
};

// ParseGptIni
//
// Errors (CORRUPT_FILE naming `display_path`): no [General] section, a Version= that is not a
// decimal uint32, NUL bytes, a file over 64 KiB.
core::Result<GptIni> ParseGptIni(std::string_view bytes, std::string_view display_path);

// WriteGptIni
//
// `leading_lines`, "[General]\r\nVersion=<n>\r\n", "displayName=<name>\r\n" when set,
// `general_extra`, then `other_lines`, each line ending in CRLF.
std::string WriteGptIni(const GptIni& ini);

}  // namespace gpop::sysvol

#endif  // GPOP_SERVICE_BACKENDS_SYSVOL_FORMAT_GPT_INI_H_
