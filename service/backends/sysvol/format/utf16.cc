// Strict UTF-16LE <-> UTF-8 conversion (see utf16.h).

#include "service/backends/sysvol/format/utf16.h"

#include <cstdint>
#include <cstring>

#include "service/backends/sysvol/format/format_error.h"

namespace gpop::sysvol {

namespace {

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

core::Result<std::string_view> Utf16LeToUtf8Into(std::string_view bytes, std::string* buffer,
                                                 std::string_view display_path,
                                                 size_t base_offset) {
  if (bytes.size() % 2 != 0) {
    return CorruptFile(display_path, "UTF-16LE text has an odd number of bytes",
                       base_offset + bytes.size() - 1);
  }
  // At most 3 UTF-8 bytes per 2-byte unit (a surrogate pair: 4 for 4).
  std::string& out = *buffer;
  if (out.size() < bytes.size() / 2 * 3) out.resize(bytes.size() / 2 * 3);
  char* o = out.data();
  const auto* in = reinterpret_cast<const unsigned char*>(bytes.data());
  const auto unit = [in](size_t i) {
    return static_cast<uint32_t>(in[i]) | (static_cast<uint32_t>(in[i + 1]) << 8);
  };
  const auto put = [&o](uint32_t cp) {
    if (cp < 0x80) {
      *o++ = static_cast<char>(cp);
    } else if (cp < 0x800) {
      *o++ = static_cast<char>(0xC0 | (cp >> 6));
      *o++ = static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      *o++ = static_cast<char>(0xE0 | (cp >> 12));
      *o++ = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      *o++ = static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      *o++ = static_cast<char>(0xF0 | (cp >> 18));
      *o++ = static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      *o++ = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      *o++ = static_cast<char>(0x80 | (cp & 0x3F));
    }
  };
  for (size_t i = 0; i < bytes.size(); i += 2) {
    // Runs of ASCII (almost all of a Registry.pol's keys and names) four units at a time.
    while (i + 8 <= bytes.size()) {
      uint64_t word;
      std::memcpy(&word, in + i, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
      constexpr uint64_t kNotAscii = 0xFF80FF80FF80FF80ull;  // of each unit read little-endian
#else
      constexpr uint64_t kNotAscii = 0x80FF80FF80FF80FFull;
#endif
      if ((word & kNotAscii) != 0) break;
      o[0] = static_cast<char>(in[i]);
      o[1] = static_cast<char>(in[i + 2]);
      o[2] = static_cast<char>(in[i + 4]);
      o[3] = static_cast<char>(in[i + 6]);
      o += 4;
      i += 8;
    }
    if (i >= bytes.size()) break;
    // ASCII (the common case) without the checks below.
    if (in[i + 1] == 0 && in[i] < 0x80) {
      *o++ = static_cast<char>(in[i]);
      continue;
    }
    uint32_t u = unit(i);
    if (u >= 0xD800 && u <= 0xDBFF) {
      if (i + 2 >= bytes.size()) {
        return CorruptFile(display_path, "unpaired UTF-16 high surrogate", base_offset + i);
      }
      uint32_t low = unit(i + 2);
      if (low < 0xDC00 || low > 0xDFFF) {
        return CorruptFile(display_path, "unpaired UTF-16 high surrogate", base_offset + i);
      }
      put(0x10000 + ((u - 0xD800) << 10) + (low - 0xDC00));
      i += 2;
    } else if (u >= 0xDC00 && u <= 0xDFFF) {
      return CorruptFile(display_path, "unpaired UTF-16 low surrogate", base_offset + i);
    } else {
      put(u);
    }
  }
  return std::string_view(out.data(), static_cast<size_t>(o - out.data()));
}

core::Result<std::string> Utf16LeToUtf8(std::string_view bytes, std::string_view display_path,
                                        size_t base_offset) {
  std::string out;
  core::Result<std::string_view> text = Utf16LeToUtf8Into(bytes, &out, display_path, base_offset);
  if (!text.ok()) return text.error();
  out.resize(text->size());
  return out;
}

bool IsValidUtf16Le(std::string_view bytes) {
  if (bytes.size() % 2 != 0) return false;
  const auto* in = reinterpret_cast<const unsigned char*>(bytes.data());
  const size_t n = bytes.size();
  for (size_t i = 0; i < n; i += 2) {
    // Four units at a time while none has its top bit set (no surrogate can be among them).
    while (i + 8 <= n) {
      uint64_t word;
      std::memcpy(&word, in + i, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
      constexpr uint64_t kTopBits = 0x8000800080008000ull;
#else
      constexpr uint64_t kTopBits = 0x0080008000800080ull;
#endif
      if ((word & kTopBits) != 0) break;
      i += 8;
    }
    if (i >= n) break;
    const uint32_t u = static_cast<uint32_t>(in[i]) | (static_cast<uint32_t>(in[i + 1]) << 8);
    if (u >= 0xDC00 && u <= 0xDFFF) return false;
    if (u >= 0xD800 && u <= 0xDBFF) {
      if (i + 2 >= n) return false;
      const uint32_t low =
          static_cast<uint32_t>(in[i + 2]) | (static_cast<uint32_t>(in[i + 3]) << 8);
      if (low < 0xDC00 || low > 0xDFFF) return false;
      i += 2;
    }
  }
  return true;
}

namespace {

// The length of the UTF-8 sequence that starts with `b0` (0: not a valid first byte).
size_t SequenceLength(uint8_t b0) {
  if (b0 < 0x80) return 1;
  if ((b0 & 0xE0) == 0xC0) return 2;
  if ((b0 & 0xF0) == 0xE0) return 3;
  if ((b0 & 0xF8) == 0xF0) return 4;
  return 0;
}

// Encodes `utf8` (whole sequences only) into `out`, which has room for 2 bytes per input byte
// (the most UTF-16LE can need: 1 -> 2, 2 -> 2, 3 -> 2, 4 -> 4). Returns the bytes written, or
// sets `*bad` to the offset of the first invalid sequence. ASCII runs go 8 bytes at a time:
// report text is almost all ASCII.
size_t EncodeInto(std::string_view utf8, char* out, size_t* bad) {
  const auto* in = reinterpret_cast<const unsigned char*>(utf8.data());
  const size_t n = utf8.size();
  char* const begin = out;
  size_t pos = 0;
  while (pos < n) {
    while (pos + 8 <= n) {
      uint64_t word;
      std::memcpy(&word, in + pos, 8);
      if ((word & 0x8080808080808080ull) != 0) break;
        // Each byte widened to a little-endian 16-bit unit, four at a time, in registers.
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
      {
        const auto widen = [](uint64_t four) {
          four = (four | (four << 16)) & 0x0000FFFF0000FFFFull;
          return (four | (four << 8)) & 0x00FF00FF00FF00FFull;
        };
        const uint64_t lo = widen(word & 0xFFFFFFFFull);
        const uint64_t hi = widen(word >> 32);
        std::memcpy(out, &lo, 8);
        std::memcpy(out + 8, &hi, 8);
      }
#else
      for (int i = 0; i < 8; ++i) {
        out[2 * i] = static_cast<char>(in[pos + i]);
        out[2 * i + 1] = 0;
      }
#endif
      out += 16;
      pos += 8;
    }
    if (pos >= n) break;
    if (in[pos] < 0x80) {
      *out++ = static_cast<char>(in[pos++]);
      *out++ = 0;
      continue;
    }
    const size_t start = pos;
    uint32_t cp = 0;
    if (!NextCodePoint(utf8, &pos, &cp)) {
      *bad = start;
      return static_cast<size_t>(out - begin);
    }
    const auto unit = [&out](uint32_t u) {
      *out++ = static_cast<char>(u & 0xFF);
      *out++ = static_cast<char>((u >> 8) & 0xFF);
    };
    if (cp >= 0x10000) {
      cp -= 0x10000;
      unit(0xD800 + (cp >> 10));
      unit(0xDC00 + (cp & 0x3FF));
    } else {
      unit(cp);
    }
  }
  return static_cast<size_t>(out - begin);
}

constexpr size_t kNoError = static_cast<size_t>(-1);

}  // namespace

core::Result<std::string> Utf8ToUtf16Le(std::string_view utf8, std::string_view display_path) {
  std::string out;
  out.resize(utf8.size() * 2);
  size_t bad = kNoError;
  out.resize(EncodeInto(utf8, out.data(), &bad));
  if (bad != kNoError) return CorruptFile(display_path, "invalid UTF-8", bad);
  return out;
}

size_t Utf8ToUtf16LeInto(std::string_view utf8, char* out, bool* valid) {
  size_t bad = kNoError;
  const size_t n = EncodeInto(utf8, out, &bad);
  *valid = bad == kNoError;
  return n;
}

void Utf16LeEncoder::Append(std::string_view utf8) {
  if (!ok_ || utf8.empty()) return;
  if (pending_size_ > 0) {
    // Complete the sequence the last piece split.
    const size_t want = SequenceLength(static_cast<uint8_t>(pending_[0]));
    while (pending_size_ < want && !utf8.empty()) {
      pending_[pending_size_++] = utf8.front();
      utf8.remove_prefix(1);
    }
    if (pending_size_ < want) return;
    std::string_view seq(pending_, pending_size_);
    pending_size_ = 0;
    size_t at = out_->size();
    out_->resize(at + 4);
    size_t bad = kNoError;
    out_->resize(at + EncodeInto(seq, out_->data() + at, &bad));
    if (bad != kNoError) {
      ok_ = false;
      return;
    }
  }
  // Hold back a sequence that the end of this piece cuts.
  size_t whole = utf8.size();
  for (size_t back = 1; back <= 3 && back <= utf8.size(); ++back) {
    const auto b = static_cast<uint8_t>(utf8[utf8.size() - back]);
    if ((b & 0xC0) == 0x80) continue;  // a continuation byte: look further back
    const size_t len = SequenceLength(b);
    if (len > back) whole = utf8.size() - back;
    break;
  }
  size_t at = out_->size();
  out_->resize(at + 2 * whole);
  size_t bad = kNoError;
  out_->resize(at + EncodeInto(utf8.substr(0, whole), out_->data() + at, &bad));
  if (bad != kNoError) {
    ok_ = false;
    return;
  }
  for (size_t i = whole; i < utf8.size(); ++i) pending_[pending_size_++] = utf8[i];
}

bool Utf16LeEncoder::Finish() {
  if (pending_size_ > 0) ok_ = false;
  return ok_;
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

std::string PrintableName(std::string_view text) {
  const bool bad_utf8 = !IsValidUtf8(text);
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (c < 0x20 || c == 0x7F || (bad_utf8 && c >= 0x80)) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

}  // namespace gpop::sysvol
