// Resolving a backup location by name (see transfer_locations.h).

#include "service/transfer/transfer_locations.h"

#include <cctype>

namespace gpop::transfer {
namespace {

bool EqualsNoCase(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace

core::Result<std::pair<std::string, std::filesystem::path>> ResolveLocation(
    const TransferLocations& locations, const std::string& name) {
  const std::string want = name.empty() ? locations.default_name : name;
  if (auto it = locations.folders.find(want); it != locations.folders.end()) {
    return std::make_pair(it->first, it->second);
  }
  for (const auto& [known, folder] : locations.folders) {
    if (EqualsNoCase(known, want)) return std::make_pair(known, folder);
  }
  return core::MakeError(core::Code::kNotFound, core::reason::kLocationNotFound,
                         "no backup location named \"" + want + "\"", {{"location", want}});
}

}  // namespace gpop::transfer
