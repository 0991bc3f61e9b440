// RenameOver on Windows: MoveFileExW, since the CRT's rename() refuses an existing target
// (see files.h).

#include <windows.h>

#include <filesystem>
#include <system_error>

#include "service/platform/files.h"

namespace gpop::platform {

core::Status RenameOver(const std::string& from, const std::string& to) {
  const std::wstring wide_from = std::filesystem::u8path(from).wstring();
  const std::wstring wide_to = std::filesystem::u8path(to).wstring();
  if (!MoveFileExW(wide_from.c_str(), wide_to.c_str(),
                   MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH)) {
    const DWORD code = GetLastError();
    return core::MakeError(core::Code::kInternal, core::reason::kIoError,
                           "cannot move " + from + " over " + to + ": " +
                               std::system_category().message(static_cast<int>(code)) +
                               " (Windows error " + std::to_string(code) + ")");
  }
  return {};
}

}  // namespace gpop::platform
