// Strict UTF-16LE <-> UTF-8 conversion (see utf16.h).

#include "service/backends/sysvol/format/utf16.h"

#include <cstdint>

#include "service/backends/sysvol/format/format_error.h"

namespace gpop::sysvol {

namespace {

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

void AppendUtf16(uint32_t unit, std::string* out) {
  out->push_back(static_cast<char>(unit & 0xFF));
  out->push_back(static_cast<char>((unit >> 8) & 0xFF));
}

// Decodes one UTF-8 sequence at `*pos`; returns false on malformed input.
bool NextCodePoint(std::string_view s, size_t* pos, uint32_t* cp) {
  const auto byte = [&](size_t i) { return static_cast<uint8_t>(s[i]); };
  uint8_t b0 = byte(*pos);
  size_t len;
  uint32_t min;
  if (b0 < 0x80) {
    *cp = b0;
    *pos += 1;
    return true;
  } else if ((b0 & 0xE0) == 0xC0) {
    len = 2;
    *cp = b0 & 0x1F;
    min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3;
    *cp = b0 & 0x0F;
    min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4;
    *cp = b0 & 0x07;
    min = 0x10000;
  } else {
    return false;
  }
  if (s.size() - *pos < len) return false;
  for (size_t i = 1; i < len; ++i) {
    uint8_t b = byte(*pos + i);
    if ((b & 0xC0) != 0x80) return false;
    *cp = (*cp << 6) | (b & 0x3F);
  }
  if (*cp < min || *cp > 0x10FFFF || (*cp >= 0xD800 && *cp <= 0xDFFF)) return false;
  *pos += len;
  return true;
}

}  // namespace

bool HasUtf16LeBom(std::string_view bytes) { return bytes.substr(0, 2) == kUtf16LeBom; }

core::Result<std::string> Utf16LeToUtf8(std::string_view bytes, std::string_view display_path,
                                        size_t base_offset) {
  if (bytes.size() % 2 != 0) {
    return CorruptFile(display_path, "UTF-16LE text has an odd number of bytes",
                       base_offset + bytes.size() - 1);
  }
  std::string out;
  out.reserve(bytes.size());
  const auto unit = [&](size_t i) {
    return static_cast<uint32_t>(static_cast<uint8_t>(bytes[i])) |
           (static_cast<uint32_t>(static_cast<uint8_t>(bytes[i + 1])) << 8);
  };
  for (size_t i = 0; i < bytes.size(); i += 2) {
    uint32_t u = unit(i);
    if (u >= 0xD800 && u <= 0xDBFF) {
      if (i + 2 >= bytes.size()) {
        return CorruptFile(display_path, "unpaired UTF-16 high surrogate", base_offset + i);
      }
      uint32_t low = unit(i + 2);
      if (low < 0xDC00 || low > 0xDFFF) {
        return CorruptFile(display_path, "unpaired UTF-16 high surrogate", base_offset + i);
      }
      AppendUtf8(0x10000 + ((u - 0xD800) << 10) + (low - 0xDC00), &out);
      i += 2;
    } else if (u >= 0xDC00 && u <= 0xDFFF) {
      return CorruptFile(display_path, "unpaired UTF-16 low surrogate", base_offset + i);
    } else {
      AppendUtf8(u, &out);
    }
  }
  return out;
}

core::Result<std::string> Utf8ToUtf16Le(std::string_view utf8, std::string_view display_path) {
  std::string out;
  out.reserve(utf8.size() * 2);
  size_t pos = 0;
  while (pos < utf8.size()) {
    size_t start = pos;
    uint32_t cp = 0;
    if (!NextCodePoint(utf8, &pos, &cp)) {
      return CorruptFile(display_path, "invalid UTF-8", start);
    }
    if (cp >= 0x10000) {
      cp -= 0x10000;
      AppendUtf16(0xD800 + (cp >> 10), &out);
      AppendUtf16(0xDC00 + (cp & 0x3FF), &out);
    } else {
      AppendUtf16(cp, &out);
    }
  }
  return out;
}

core::Result<std::string> DecodeUtf16LeWithBom(std::string_view bytes,
                                               std::string_view display_path) {
  if (!HasUtf16LeBom(bytes)) {
    const char* found = "no byte order mark";
    if (bytes.substr(0, 3) == kUtf8Bom) {
      found = "a UTF-8 byte order mark";
    } else if (bytes.substr(0, 2) == "\xFE\xFF") {
      found = "a UTF-16BE byte order mark";
    }
    return CorruptFile(display_path,
                       std::string("expected UTF-16LE with byte order mark FF FE, found ") + found,
                       0);
  }
  return Utf16LeToUtf8(bytes.substr(2), display_path, 2);
}

core::Result<std::string> EncodeUtf16LeWithBom(std::string_view utf8,
                                               std::string_view display_path) {
  auto body = Utf8ToUtf16Le(utf8, display_path);
  if (!body.ok()) return body.error();
  std::string out(kUtf16LeBom);
  out.append(*body);
  return out;
}

bool IsValidUtf8(std::string_view text) {
  size_t pos = 0;
  uint32_t cp = 0;
  while (pos < text.size()) {
    if (!NextCodePoint(text, &pos, &cp)) return false;
  }
  return true;
}

}  // namespace gpop::sysvol
