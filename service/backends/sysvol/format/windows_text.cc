// Decoding Windows' small GPT text files (see windows_text.h).

#include "service/backends/sysvol/format/windows_text.h"

#include "service/backends/sysvol/format/format_error.h"
#include "service/backends/sysvol/format/utf16.h"

namespace gpop::sysvol {

core::Result<std::string> DecodeWindowsText(std::string_view bytes, std::string_view path,
                                            size_t max_bytes) {
  if (bytes.size() > max_bytes) {
    return CorruptFile(path, "file is larger than " + std::to_string(max_bytes) + " bytes");
  }
  std::string text;
  if (HasUtf16LeBom(bytes)) {
    auto decoded = Utf16LeToUtf8(bytes.substr(2), path, 2);
    if (!decoded.ok()) return decoded.error();
    text = std::move(decoded).value();
  } else if (bytes.substr(0, kUtf8Bom.size()) == kUtf8Bom) {
    text = std::string(bytes.substr(kUtf8Bom.size()));
    if (!IsValidUtf8(text)) return CorruptFile(path, "invalid UTF-8 after a UTF-8 byte order mark");
  } else if (bytes.size() >= 2 && bytes.size() % 2 == 0 && bytes[0] != '\0' && bytes[1] == '\0') {
    auto decoded = Utf16LeToUtf8(bytes, path);
    if (!decoded.ok()) return decoded.error();
    text = std::move(decoded).value();
  } else {
    text = std::string(bytes);
    if (!IsValidUtf8(text)) return CorruptFile(path, "is neither UTF-16LE nor valid UTF-8");
  }
  if (size_t nul = text.find('\0'); nul != std::string::npos) {
    return CorruptFile(path, "holds a NUL character");
  }
  return text;
}

}  // namespace gpop::sysvol
