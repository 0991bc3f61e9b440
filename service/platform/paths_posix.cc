// Default paths on POSIX (see paths.h).

#include "service/platform/paths.h"

namespace gpop::platform {

std::string DefaultStateDir() { return "/var/lib/gpop"; }

}  // namespace gpop::platform
