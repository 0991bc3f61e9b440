// Default paths on Windows (see paths.h).

#include <cstdlib>

#include "service/platform/paths.h"

namespace gpop::platform {

std::string DefaultStateDir() {
  const char* program_data = std::getenv("ProgramData");
  std::string base = program_data && *program_data ? program_data : "C:\\ProgramData";
  if (base.back() != '\\' && base.back() != '/') base += '\\';
  return base + "gpop";
}

}  // namespace gpop::platform
