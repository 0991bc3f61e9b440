// libFuzzer target: ParseMigrationTable and the table's lookups; a parsed table's lookups of its
// own sources must find a mapping. Built only with -DGPOP_FUZZ=ON; seeds in
// corpus/migration_table/.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "service/backends/sysvol/format/migration_table.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto table = gpop::sysvol::ParseMigrationTable(bytes, "fuzz/table.migtable");
  if (!table.ok()) return 0;
  for (const gpop::sysvol::MigrationMapping& m : table->mappings) {
    const bool path = m.type == gpop::sysvol::MigrationEntryType::kUncPath;
    const auto* found = path ? table->FindPath(m.source) : table->FindPrincipal(m.source);
    // A UNC source of only backslashes may be trimmed to nothing; any other source finds itself
    // (or an equivalent earlier mapping).
    if (found == nullptr && !path && !m.source.empty() && m.source != "*") std::abort();
  }
  return 0;
}
