// GPMC migration tables (.migtable): how principals and UNC paths of a GPO's settings are
// mapped when the settings move to another domain (import, copy). UTF-16LE with BOM or UTF-8,
// read through the hardened XML loader.

#ifndef GPOP_SERVICE_BACKENDS_SYSVOL_FORMAT_MIGRATION_TABLE_H_
#define GPOP_SERVICE_BACKENDS_SYSVOL_FORMAT_MIGRATION_TABLE_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "service/core/error.h"

namespace gpop::sysvol {

inline constexpr char kMigrationTableNamespace[] =
    "http://www.microsoft.com/GroupPolicy/GPOOperations/MigrationTable";

// MigrationEntryType
//
// The Type of a Mapping.
enum class MigrationEntryType {
  kUser,
  kComputer,
  kLocalGroup,
  kGlobalGroup,
  kUniversalGroup,
  kUncPath,
  kUnknown
};

// MigrationDestination
//
// kExplicit: `destination` replaces the source; kSameAsSource: kept as it is (but mapped, so
// "migration table only" accepts it); kNone: the principal is removed from the setting;
// kRelativeName: the same account name in the target domain.
enum class MigrationDestination { kExplicit, kSameAsSource, kNone, kRelativeName };

// MigrationMapping
//
// One Mapping element.
struct MigrationMapping {
  MigrationEntryType type = MigrationEntryType::kUnknown;
  std::string source;
  MigrationDestination kind = MigrationDestination::kExplicit;
  std::string destination;  // kExplicit only

  bool operator==(const MigrationMapping& o) const {
    return type == o.type && source == o.source && kind == o.kind && destination == o.destination;
  }
};

// MigrationTable
//
// The mappings in file order.
struct MigrationTable {
  std::vector<MigrationMapping> mappings;

  // The mapping of a principal (a name "DOMAIN\\name" or "name@dns.domain", or a SID with or
  // without a leading '*'), matched case-insensitively; "DOM\\x" also matches "x@dom.example"
  // and the reverse when DOM is the DNS name's first label. nullptr when none.
  const MigrationMapping* FindPrincipal(std::string_view principal) const;

  // The mapping of a UNC path: the longest UNCPath source that is the path or a parent folder
  // of it (case-insensitive). nullptr when none.
  const MigrationMapping* FindPath(std::string_view path) const;
};

// ParseMigrationTable
//
// Errors (CORRUPT_FILE naming `display_path`): not XML, root not MigrationTable, a Mapping
// without Source, an unknown Type, a Mapping with no or several destinations.
core::Result<MigrationTable> ParseMigrationTable(std::string_view bytes,
                                                 std::string_view display_path);

// WriteMigrationTable
//
// The .migtable text of `table` in GPMC's shape (the fixtures' files: the MigrationTable
// namespace with the xsd/xsi declarations, one Mapping per entry with Type, Source and its
// destination element, two-space indent, CRLF), as UTF-8 with `encoding="utf-8"` (the loader
// reads UTF-8 and UTF-16; GPMC's editor opens both). ParseMigrationTable reads it back to an
// equal table.
std::string WriteMigrationTable(const MigrationTable& table);

// MigrationEntryTypeName
//
// "User", "LocalGroup", "UNCPath", ...
const char* MigrationEntryTypeName(MigrationEntryType type);

// MigrationEntryTypeFromName
//
// The type a Backup.xml SecurityGroup or a Mapping names ("GlobalGroup", any case); kUnknown for
// anything else.
MigrationEntryType MigrationEntryTypeFromName(std::string_view name);

}  // namespace gpop::sysvol

#endif  // GPOP_SERVICE_BACKENDS_SYSVOL_FORMAT_MIGRATION_TABLE_H_
