// Where gpopd keeps its files when no flag says otherwise.

#ifndef GPOP_SERVICE_PLATFORM_PATHS_H_
#define GPOP_SERVICE_PLATFORM_PATHS_H_

#include <string>

namespace gpop::platform {

// DefaultStateDir
//
// gpopd's state folder: "/var/lib/gpop" on POSIX; "%ProgramData%\gpop" on Windows
// ("C:\ProgramData\gpop" when the variable is unset).
std::string DefaultStateDir();

}  // namespace gpop::platform

#endif  // GPOP_SERVICE_PLATFORM_PATHS_H_
