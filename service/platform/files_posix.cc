// RenameOver on POSIX: rename(2) replaces the target atomically (see files.h).

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "service/platform/files.h"

namespace gpop::platform {

core::Status RenameOver(const std::string& from, const std::string& to) {
  if (std::rename(from.c_str(), to.c_str()) != 0) {
    return core::MakeError(core::Code::kInternal, core::reason::kIoError,
                           "cannot move " + from + " over " + to + ": " + std::strerror(errno));
  }
  return {};
}

}  // namespace gpop::platform
