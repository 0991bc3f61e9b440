// The GPO version number: GPT.INI's Version= and the directory's versionNumber share one layout,
// (user version << 16) | computer version. A change on one side bumps that half; a half that
// wraps to 0 becomes 1 (0 means "never changed" to clients, see gpo-formats.md).

#ifndef GPOP_SERVICE_BACKENDS_SYSVOL_FORMAT_GPO_VERSION_H_
#define GPOP_SERVICE_BACKENDS_SYSVOL_FORMAT_GPO_VERSION_H_

#include <cstdint>

namespace gpop::sysvol {

// UserVersion
//
// The upper 16 bits: the user side's version.
inline uint16_t UserVersion(uint32_t version) { return static_cast<uint16_t>(version >> 16); }

// ComputerVersion
//
// The lower 16 bits: the computer side's version.
inline uint16_t ComputerVersion(uint32_t version) {
  return static_cast<uint16_t>(version & 0xFFFFu);
}

// MakeGpoVersion
//
// (user << 16) | computer.
inline uint32_t MakeGpoVersion(uint16_t user, uint16_t computer) {
  return (static_cast<uint32_t>(user) << 16) | computer;
}

// BumpUserVersion
//
// `version` with the user half incremented; 0xFFFF + 1 wraps to 1, not 0.
uint32_t BumpUserVersion(uint32_t version);

// BumpComputerVersion
//
// `version` with the computer half incremented; 0xFFFF + 1 wraps to 1, not 0.
uint32_t BumpComputerVersion(uint32_t version);

}  // namespace gpop::sysvol

#endif  // GPOP_SERVICE_BACKENDS_SYSVOL_FORMAT_GPO_VERSION_H_
