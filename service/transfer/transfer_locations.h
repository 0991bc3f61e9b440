// The backup locations transfers use: the same named folders the backend serves (clients name
// a location, never a path).
#ifndef GPOP_SERVICE_TRANSFER_TRANSFER_LOCATIONS_H_
#define GPOP_SERVICE_TRANSFER_TRANSFER_LOCATIONS_H_

#include <filesystem>
#include <map>
#include <string>
#include <utility>

#include "service/core/error.h"

namespace gpop::transfer {

// TransferLocations
//
// Configured name -> folder, and the name an empty request means.
struct TransferLocations {
  std::map<std::string, std::filesystem::path> folders;
  std::string default_name;
};

// ResolveLocation
//
// The location `name` names (empty: the default; exact, then ASCII case-insensitive), as its
// configured name and folder. NOT_FOUND, LOCATION_NOT_FOUND when none.
core::Result<std::pair<std::string, std::filesystem::path>> ResolveLocation(
    const TransferLocations& locations, const std::string& name);

}  // namespace gpop::transfer

#endif  // GPOP_SERVICE_TRANSFER_TRANSFER_LOCATIONS_H_
