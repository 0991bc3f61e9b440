// Decoding the small text files Windows writes in a GPT without one fixed encoding: scripts.ini
// and psscripts.ini (UTF-16LE with a BOM from the editor, UTF-8 from Samba and scripts) and
// GPO.cmt (UTF-16LE without a BOM).

#ifndef GPOP_SERVICE_BACKENDS_SYSVOL_FORMAT_WINDOWS_TEXT_H_
#define GPOP_SERVICE_BACKENDS_SYSVOL_FORMAT_WINDOWS_TEXT_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "service/core/error.h"

namespace gpop::sysvol {

// DecodeWindowsText
//
// The UTF-8 text of `bytes`: UTF-16LE after an FF FE BOM; UTF-8 after an EF BB BF BOM;
// without a BOM, UTF-16LE when the length is even and the first code unit has a zero high byte
// (an ASCII character, as every such file Windows writes starts), else UTF-8. Errors
// (CORRUPT_FILE naming `display_path`): larger than `max_bytes`, invalid UTF-16 or UTF-8, a NUL
// character in the text.
core::Result<std::string> DecodeWindowsText(std::string_view bytes, std::string_view display_path,
                                            size_t max_bytes);

}  // namespace gpop::sysvol

#endif  // GPOP_SERVICE_BACKENDS_SYSVOL_FORMAT_WINDOWS_TEXT_H_
