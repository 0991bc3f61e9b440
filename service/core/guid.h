// GUID text helpers shared by every backend.

#ifndef GPOP_SERVICE_CORE_GUID_H_
#define GPOP_SERVICE_CORE_GUID_H_

#include <optional>
#include <string>

namespace gpop::core {

// NormalizeGuid
//
// Accepts "{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}" with or without braces, any case, and returns
// the braced upper-case form GPMC writes; nullopt for anything else.
std::optional<std::string> NormalizeGuid(const std::string& text);

// NewGuid
//
// A random (version 4) GUID in the braced upper-case form.
std::string NewGuid();

}  // namespace gpop::core

#endif  // GPOP_SERVICE_CORE_GUID_H_
