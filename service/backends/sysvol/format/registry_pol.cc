// Registry.pol (PReg) reader and writer (see registry_pol.h).

#include "service/backends/sysvol/format/registry_pol.h"

#include <cctype>
#include <cstring>

#include "service/backends/sysvol/format/format_error.h"
#include "service/backends/sysvol/format/utf16.h"

namespace gpop::sysvol {

namespace {

constexpr size_t kHeaderSize = 8;

uint32_t ReadU32(std::string_view bytes, size_t pos) {
  return static_cast<uint32_t>(static_cast<uint8_t>(bytes[pos])) |
         (static_cast<uint32_t>(static_cast<uint8_t>(bytes[pos + 1])) << 8) |
         (static_cast<uint32_t>(static_cast<uint8_t>(bytes[pos + 2])) << 16) |
         (static_cast<uint32_t>(static_cast<uint8_t>(bytes[pos + 3])) << 24);
}

void AppendU32(uint32_t v, std::string* out) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

// A cursor over the body that reports every failure with the file name and offset.
class Reader {
 public:
  Reader(std::string_view bytes, std::string_view path) : bytes_(bytes), path_(path) {}

  size_t pos() const { return pos_; }
  bool AtEnd() const { return pos_ >= bytes_.size(); }
  void set_pos(size_t pos) { pos_ = pos; }

  // Expects the UTF-16LE code unit `ch` (an ASCII delimiter).
  core::Status Expect(char ch, const char* what) {
    if (bytes_.size() - pos_ >= 2 && bytes_[pos_] == ch && bytes_[pos_ + 1] == '\0') {
      pos_ += 2;
      return {};
    }
    return Unexpected(what);
  }

  // Reads a NUL-terminated UTF-16LE string into `*out` (the NUL is consumed, not returned).
  // Decoded through one buffer kept for every string of the file, then copied at its size:
  // one allocation for a key (none for a short name) instead of one of three times the size.
  core::Status String(const char* what, std::string* out) {
    size_t start = pos_;
    size_t i = pos_;
    while (true) {
      // Four units at a time while none of them is NUL.
      while (bytes_.size() - i >= 8) {
        uint64_t w;
        std::memcpy(&w, bytes_.data() + i, 8);
        constexpr uint64_t kOnes16 = 0x0001000100010001ull;
        constexpr uint64_t kHigh16 = 0x8000800080008000ull;
        if (((w - kOnes16) & ~w & kHigh16) != 0) break;  // a NUL unit among them (a hint)
        i += 8;
      }
      if (bytes_.size() - i < 2) {
        return CorruptFile(path_, std::string("truncated entry: unterminated ") + what, start);
      }
      if (bytes_[i] == '\0' && bytes_[i + 1] == '\0') break;
      i += 2;
    }
    core::Result<std::string_view> text =
        Utf16LeToUtf8Into(bytes_.substr(start, i - start), &scratch_, path_, start);
    if (!text.ok()) return text.error();
    out->assign(*text);
    pos_ = i + 2;
    return core::Status();
  }

  // Expect's error (out of line: Expect runs five times an entry).
  [[gnu::noinline]] core::Status Unexpected(const char* what) const {
    if (bytes_.size() - pos_ < 2) {
      return CorruptFile(path_, std::string("truncated entry: expected ") + what, pos_);
    }
    return CorruptFile(path_, std::string("expected ") + what, pos_);
  }

  core::Result<uint32_t> U32(const char* what) {
    if (bytes_.size() - pos_ < 4) {
      return CorruptFile(path_, std::string("truncated entry: missing ") + what, pos_);
    }
    uint32_t v = ReadU32(bytes_, pos_);
    pos_ += 4;
    return v;
  }

  core::Status Bytes(uint32_t size, std::string* out) {
    // The declared size is checked against what the file holds before anything is allocated.
    if (size > bytes_.size() - pos_) {
      return CorruptFile(path_,
                         "declared data size " + std::to_string(size) + " exceeds the remaining " +
                             std::to_string(bytes_.size() - pos_) + " bytes",
                         pos_);
    }
    out->assign(bytes_.data() + pos_, size);
    pos_ += size;
    return core::Status();
  }

 private:
  std::string_view bytes_;
  std::string_view path_;
  size_t pos_ = kHeaderSize;
  std::string scratch_;  // String's decoding buffer
};

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) !=
        std::tolower(static_cast<unsigned char>(prefix[i]))) {
      return false;
    }
  }
  return true;
}

core::Error EntryError(const std::string& problem) { return CorruptFile("", problem); }

core::Result<std::string> EncodeName(const std::string& utf8) {
  auto encoded = Utf8ToUtf16Le(utf8, "Registry.pol entry name");
  if (!encoded.ok()) return encoded.error();
  encoded->append(2, '\0');
  return encoded;
}

std::string Utf16OrEmpty(std::string_view utf8) {
  auto r = Utf8ToUtf16Le(utf8);
  return r.ok() ? *r : std::string();
}

}  // namespace

std::string RegTypeName(uint32_t type) {
  switch (type) {
    case reg_type::kNone:
      return "REG_NONE";
    case reg_type::kSz:
      return "REG_SZ";
    case reg_type::kExpandSz:
      return "REG_EXPAND_SZ";
    case reg_type::kBinary:
      return "REG_BINARY";
    case reg_type::kDword:
      return "REG_DWORD";
    case reg_type::kDwordBigEndian:
      return "REG_DWORD_BIG_ENDIAN";
    case reg_type::kLink:
      return "REG_LINK";
    case reg_type::kMultiSz:
      return "REG_MULTI_SZ";
    case reg_type::kResourceList:
      return "REG_RESOURCE_LIST";
    case reg_type::kFullResourceDescriptor:
      return "REG_FULL_RESOURCE_DESCRIPTOR";
    case reg_type::kResourceRequirementsList:
      return "REG_RESOURCE_REQUIREMENTS_LIST";
    case reg_type::kQword:
      return "REG_QWORD";
    default:
      return "REG_" + std::to_string(type);
  }
}

const char* SpecialNameText(SpecialName special) {
  switch (special) {
    case SpecialName::kNone:
      return "";
    case SpecialName::kDeleteValue:
      return "del.";
    case SpecialName::kDeleteAllValues:
      return "delvals.";
    case SpecialName::kDeleteValues:
      return "DeleteValues";
    case SpecialName::kDeleteKeys:
      return "DeleteKeys";
    case SpecialName::kSecureKey:
      return "SecureKey";
    case SpecialName::kSoftValue:
      return "soft.";
    case SpecialName::kUnknown:
      return "unknown";
  }
  return "";
}

SpecialName ClassifyValueName(std::string_view name) {
  if (name.substr(0, 2) != "**") return SpecialName::kNone;
  std::string_view rest = name.substr(2);
  // "**delvals." cannot match "del." (the dot must follow "del"), so the order is free.
  if (StartsWithNoCase(rest, "delvals.")) return SpecialName::kDeleteAllValues;
  if (StartsWithNoCase(rest, "del.")) return SpecialName::kDeleteValue;
  if (StartsWithNoCase(rest, "DeleteValues")) return SpecialName::kDeleteValues;
  if (StartsWithNoCase(rest, "DeleteKeys")) return SpecialName::kDeleteKeys;
  if (StartsWithNoCase(rest, "SecureKey")) return SpecialName::kSecureKey;
  if (StartsWithNoCase(rest, "soft.")) return SpecialName::kSoftValue;
  return SpecialName::kUnknown;
}

SpecialName PolEntry::Special() const { return ClassifyValueName(value_name); }

std::string PolEntry::SpecialTarget() const {
  switch (Special()) {
    case SpecialName::kDeleteValue:
      return value_name.substr(6);  // "**del."
    case SpecialName::kSoftValue:
      return value_name.substr(7);  // "**soft."
    default:
      return {};
  }
}

core::Result<std::string> PolEntry::AsString() const {
  if (type != reg_type::kSz && type != reg_type::kExpandSz && type != reg_type::kLink) {
    return EntryError("value " + value_name + " is " + RegTypeName(type) + ", not a string");
  }
  size_t end = 0;
  while (end + 1 < data.size() && !(data[end] == '\0' && data[end + 1] == '\0')) end += 2;
  if (end + 1 >= data.size()) end = data.size();  // no terminator: the whole data
  if (end % 2 != 0) return EntryError("string value " + value_name + " has an odd byte count");
  return Utf16LeToUtf8(std::string_view(data).substr(0, end), "");
}

core::Result<std::vector<std::string>> PolEntry::AsMultiString() const {
  if (type != reg_type::kMultiSz) {
    return EntryError("value " + value_name + " is " + RegTypeName(type) + ", not REG_MULTI_SZ");
  }
  if (data.size() % 2 != 0) {
    return EntryError("REG_MULTI_SZ value " + value_name + " has an odd byte count");
  }
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t i = 0; i + 1 < data.size(); i += 2) {
    if (data[i] != '\0' || data[i + 1] != '\0') continue;
    if (i == start) return out;  // the empty string that ends the list
    auto s = Utf16LeToUtf8(std::string_view(data).substr(start, i - start), "");
    if (!s.ok()) return s.error();
    out.push_back(std::move(s).value());
    start = i + 2;
  }
  if (start < data.size()) {  // text after the last NUL, without a terminator: keep it
    auto s = Utf16LeToUtf8(std::string_view(data).substr(start), "");
    if (!s.ok()) return s.error();
    out.push_back(std::move(s).value());
  }
  return out;
}

core::Result<uint32_t> PolEntry::AsDword() const {
  if (type != reg_type::kDword && type != reg_type::kDwordBigEndian) {
    return EntryError("value " + value_name + " is " + RegTypeName(type) + ", not a DWORD");
  }
  if (data.size() != 4) {
    return EntryError("DWORD value " + value_name + " has " + std::to_string(data.size()) +
                      " data bytes, not 4");
  }
  uint32_t v = ReadU32(data, 0);
  if (type == reg_type::kDwordBigEndian) {
    v = ((v & 0xFF) << 24) | ((v & 0xFF00) << 8) | ((v >> 8) & 0xFF00) | (v >> 24);
  }
  return v;
}

core::Result<uint64_t> PolEntry::AsQword() const {
  if (type != reg_type::kQword) {
    return EntryError("value " + value_name + " is " + RegTypeName(type) + ", not a QWORD");
  }
  if (data.size() != 8) {
    return EntryError("QWORD value " + value_name + " has " + std::to_string(data.size()) +
                      " data bytes, not 8");
  }
  return static_cast<uint64_t>(ReadU32(data, 0)) | (static_cast<uint64_t>(ReadU32(data, 4)) << 32);
}

bool PolEntry::operator==(const PolEntry& other) const {
  return key == other.key && value_name == other.value_name && type == other.type &&
         data == other.data;
}

core::Result<RegistryPol> ParseRegistryPol(std::string_view bytes, std::string_view path) {
  if (bytes.size() < kHeaderSize) {
    return CorruptFile(path, "file is shorter than the 8-byte PReg header", 0);
  }
  if (bytes.substr(0, 4) != kRegistryPolSignature) {
    return CorruptFile(path, "bad signature (not a PReg file)", 0);
  }
  uint32_t version = ReadU32(bytes, 4);
  if (version != 1) {
    return CorruptFile(path, "unsupported PReg version " + std::to_string(version), 4);
  }
  // No whole-file parity check: a REG_BINARY entry may have an odd size, which puts the next
  // delimiters on odd offsets. A stray odd byte fails at the delimiter that cannot be read.
  RegistryPol pol;
  Reader r(bytes, path);
  while (!r.AtEnd()) {
    PolEntry& e = pol.entries.emplace_back();  // filled in place (an error drops `pol`)
    if (auto s = r.Expect('[', "'[' at the start of an entry"); !s.ok()) return s.error();
    if (auto s = r.String("key", &e.key); !s.ok()) return s.error();
    if (auto s = r.Expect(';', "';' after the key"); !s.ok()) return s.error();
    if (auto s = r.String("value name", &e.value_name); !s.ok()) return s.error();
    if (auto s = r.Expect(';', "';' after the value name"); !s.ok()) return s.error();
    auto type = r.U32("type");
    if (!type.ok()) return type.error();
    e.type = *type;
    if (auto s = r.Expect(';', "';' after the type"); !s.ok()) return s.error();
    auto size = r.U32("size");
    if (!size.ok()) return size.error();
    if (auto s = r.Expect(';', "';' after the size"); !s.ok()) return s.error();
    if (auto s = r.Bytes(*size, &e.data); !s.ok()) return s.error();
    if (auto s = r.Expect(']', "']' at the end of an entry"); !s.ok()) return s.error();
  }
  return pol;
}

core::Result<std::string> WriteRegistryPol(const RegistryPol& pol) {
  std::string out(kRegistryPolSignature);
  AppendU32(1, &out);
  const auto delimiter = [&out](char ch) {
    out.push_back(ch);
    out.push_back('\0');
  };
  for (const PolEntry& e : pol.entries) {
    auto key = EncodeName(e.key);
    if (!key.ok()) return key.error();
    auto name = EncodeName(e.value_name);
    if (!name.ok()) return name.error();
    delimiter('[');
    out.append(*key);
    delimiter(';');
    out.append(*name);
    delimiter(';');
    AppendU32(e.type, &out);
    delimiter(';');
    AppendU32(static_cast<uint32_t>(e.data.size()), &out);
    delimiter(';');
    out.append(e.data);
    delimiter(']');
  }
  return out;
}

namespace {

std::string Utf16WithNul(std::string_view utf8) {
  std::string s = Utf16OrEmpty(utf8);
  s.append(2, '\0');
  return s;
}

}  // namespace

PolEntry MakeDwordEntry(std::string key, std::string value_name, uint32_t value) {
  std::string data;
  AppendU32(value, &data);
  return PolEntry{std::move(key), std::move(value_name), reg_type::kDword, std::move(data)};
}

PolEntry MakeQwordEntry(std::string key, std::string value_name, uint64_t value) {
  std::string data;
  AppendU32(static_cast<uint32_t>(value), &data);
  AppendU32(static_cast<uint32_t>(value >> 32), &data);
  return PolEntry{std::move(key), std::move(value_name), reg_type::kQword, std::move(data)};
}

PolEntry MakeStringEntry(std::string key, std::string value_name, std::string_view utf8,
                         uint32_t type) {
  return PolEntry{std::move(key), std::move(value_name), type, Utf16WithNul(utf8)};
}

PolEntry MakeMultiStringEntry(std::string key, std::string value_name,
                              const std::vector<std::string>& strings) {
  std::string data;
  for (const std::string& s : strings) data.append(Utf16WithNul(s));
  data.append(2, '\0');
  return PolEntry{std::move(key), std::move(value_name), reg_type::kMultiSz, std::move(data)};
}

PolEntry MakeBinaryEntry(std::string key, std::string value_name, std::string bytes) {
  return PolEntry{std::move(key), std::move(value_name), reg_type::kBinary, std::move(bytes)};
}

PolEntry MakeDeleteValueEntry(std::string key, std::string_view value_name) {
  return MakeStringEntry(std::move(key), "**del." + std::string(value_name), " ");
}

PolEntry MakeDeleteAllValuesEntry(std::string key) {
  return MakeStringEntry(std::move(key), "**delvals.", " ");
}

}  // namespace gpop::sysvol
