// Registry.pol (PReg): the registry settings of a GPO's Administrative Templates.
//
// Format ([MS-GPREG] 2.2.1, checked against the fixtures' bytes): "PReg", uint32 LE version 1,
// then entries back to back, each `[key NUL ; name NUL ; type ; size ; data ]` in UTF-16LE code
// units. The parser keeps every entry's type, size and data bytes exactly as read, so that
// WriteRegistryPol(ParseRegistryPol(bytes)) == bytes for every well-formed file (Windows is
// inconsistent about string terminators; a rewrite must not "fix" them).
//
// Hostile input (bad signature, other version, truncation, missing delimiters, declared sizes
// beyond the end of the file, odd byte counts, invalid UTF-16 in names) is a CORRUPT_FILE error
// naming the file and the byte offset; the parser never allocates more than the input holds.

#ifndef GPOP_SERVICE_BACKENDS_SYSVOL_FORMAT_REGISTRY_POL_H_
#define GPOP_SERVICE_BACKENDS_SYSVOL_FORMAT_REGISTRY_POL_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "service/core/error.h"

namespace gpop::sysvol {

// RegType
//
// Registry value types as Registry.pol stores them (winnt.h REG_* values). Files may hold other
// numbers; entries keep the raw uint32 and these are named constants for it.
namespace reg_type {
inline constexpr uint32_t kNone = 0;
inline constexpr uint32_t kSz = 1;
inline constexpr uint32_t kExpandSz = 2;
inline constexpr uint32_t kBinary = 3;
inline constexpr uint32_t kDword = 4;
inline constexpr uint32_t kDwordBigEndian = 5;
inline constexpr uint32_t kLink = 6;
inline constexpr uint32_t kMultiSz = 7;
inline constexpr uint32_t kResourceList = 8;
inline constexpr uint32_t kFullResourceDescriptor = 9;
inline constexpr uint32_t kResourceRequirementsList = 10;
inline constexpr uint32_t kQword = 11;
}  // namespace reg_type

// RegTypeName
//
// "REG_SZ", "REG_DWORD", ... for the known types; "REG_<n>" (decimal) for others.
std::string RegTypeName(uint32_t type);

// SpecialName
//
// What a value name beginning with "**" asks for ([MS-GPREG] 2.2.1.1 / 2.2.1.2), matched
// case-insensitively by prefix. kNone: an ordinary value (the name does not start with "**").
enum class SpecialName {
  kNone,
  kDeleteValue,      // "**del.<name>": delete value <name>
  kDeleteAllValues,  // "**delvals.": delete every value of the key
  kDeleteValues,     // "**DeleteValues": data is a ";"-separated list of values to delete
  kDeleteKeys,       // "**DeleteKeys": data is a ";"-separated list of subkeys to delete
  kSecureKey,        // "**SecureKey": data 0 or 1 (apply the default ACL)
  kSoftValue,        // "**soft.<name>": set <name> only if it is absent
  kUnknown,          // any other "**" code: skipped by clients, kept by gpop
};

// SpecialNameText
//
// "del.", "delvals.", "DeleteValues", ... for reports; "" for kNone.
const char* SpecialNameText(SpecialName special);

// ClassifyValueName
//
// The special meaning of a value name (see SpecialName).
SpecialName ClassifyValueName(std::string_view value_name);

// PolEntry
//
// One Registry.pol entry. `key` and `value_name` are UTF-8 (converted losslessly from UTF-16LE,
// without their NUL terminators); `data` holds the raw data bytes exactly as read, so its size
// is the entry's declared size. Typed accessors decode `data` and fail with a CORRUPT_FILE error
// (no file name: the entry does not know it) when the type or size does not fit.
struct PolEntry {
  std::string key;         // e.g. "Software\\Policies\\Microsoft\\Windows\\System"
  std::string value_name;  // may be empty ("create key" entries) or a "**" special name
  uint32_t type = reg_type::kNone;
  std::string data;  // raw bytes

  // Special
  //
  // ClassifyValueName(value_name).
  SpecialName Special() const;

  // SpecialTarget
  //
  // For "**del.<name>" and "**soft.<name>": <name> (case kept). Empty otherwise.
  std::string SpecialTarget() const;

  // AsString
  //
  // REG_SZ / REG_EXPAND_SZ (and REG_LINK): the UTF-16LE data as UTF-8, ending at the first NUL
  // (or at the end when there is none). An odd byte count is an error.
  core::Result<std::string> AsString() const;

  // AsMultiString
  //
  // REG_MULTI_SZ: the NUL-separated strings, up to the empty string that ends the list.
  core::Result<std::vector<std::string>> AsMultiString() const;

  // AsDword
  //
  // REG_DWORD (little-endian) or REG_DWORD_BIG_ENDIAN: exactly 4 data bytes.
  core::Result<uint32_t> AsDword() const;

  // AsQword
  //
  // REG_QWORD: exactly 8 data bytes, little-endian.
  core::Result<uint64_t> AsQword() const;

  // AsBinary
  //
  // The raw data bytes (any type).
  const std::string& AsBinary() const { return data; }

  bool operator==(const PolEntry& other) const;
  bool operator!=(const PolEntry& other) const { return !(*this == other); }
};

// RegistryPol
//
// A whole Registry.pol file: its entries in file order (duplicates and order kept).
struct RegistryPol {
  std::vector<PolEntry> entries;

  bool operator==(const RegistryPol& other) const { return entries == other.entries; }
};

// kRegistryPolSignature
//
// The first four bytes of every Registry.pol file.
inline constexpr std::string_view kRegistryPolSignature = "PReg";

// ParseRegistryPol
//
// Parses a whole file. `display_path` names the file in error messages. An 8-byte file (header
// only) is valid and empty; an empty (0-byte) file is an error (callers that treat a missing or
// empty file as "no settings" decide that themselves).
core::Result<RegistryPol> ParseRegistryPol(std::string_view bytes, std::string_view display_path);

// WriteRegistryPol
//
// The file's bytes: header, then every entry with its data bytes as stored. Fails only when a
// key or value name is not valid UTF-8 (then nothing could be written faithfully).
core::Result<std::string> WriteRegistryPol(const RegistryPol& pol);

// Entry makers, for writers (demo store, tests). Strings get one terminating NUL, as Windows'
// editor writes them; MULTI_SZ gets the extra final NUL.
PolEntry MakeDwordEntry(std::string key, std::string value_name, uint32_t value);
PolEntry MakeQwordEntry(std::string key, std::string value_name, uint64_t value);
PolEntry MakeStringEntry(std::string key, std::string value_name, std::string_view utf8,
                         uint32_t type = reg_type::kSz);
PolEntry MakeMultiStringEntry(std::string key, std::string value_name,
                              const std::vector<std::string>& strings);
PolEntry MakeBinaryEntry(std::string key, std::string value_name, std::string bytes);
// "**del.<value_name>" as REG_SZ " " (4 bytes: a space and a NUL), as Windows writes it.
PolEntry MakeDeleteValueEntry(std::string key, std::string_view value_name);
// "**delvals." as REG_SZ " ", as Windows writes it.
PolEntry MakeDeleteAllValuesEntry(std::string key);

}  // namespace gpop::sysvol

#endif  // GPOP_SERVICE_BACKENDS_SYSVOL_FORMAT_REGISTRY_POL_H_
