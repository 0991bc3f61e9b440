// Resolving a backup location by name (see transfer_locations.h).

#include "service/transfer/transfer_locations.h"

#include "service/backends/sysvol/format/text_util.h"

namespace gpop::transfer {
core::Result<std::pair<std::string, std::filesystem::path>> ResolveLocation(
    const TransferLocations& locations, const std::string& name) {
  const std::string want = name.empty() ? locations.default_name : name;
  if (auto it = locations.folders.find(want); it != locations.folders.end()) {
    return std::make_pair(it->first, it->second);
  }
  for (const auto& [known, folder] : locations.folders) {
    if (sysvol::internal::EqualsNoCase(known, want)) return std::make_pair(known, folder);
  }
  return core::MakeError(core::Code::kNotFound, core::reason::kLocationNotFound,
                         "no backup location named \"" + want + "\"",
                         {{"location", want}, {"field", "location"}});
}

}  // namespace gpop::transfer
