// Writing a file atomically, the same on both platforms (see files.h).

#include "service/platform/files.h"

#include <filesystem>
#include <fstream>
#include <system_error>

namespace gpop::platform {

core::Status WriteFileAtomically(const std::string& path, std::string_view bytes, bool owner_only) {
  const std::string tmp = path + ".tmp";
  const std::filesystem::path tmp_path = std::filesystem::u8path(tmp);
  {
    std::ofstream out(tmp_path, std::ios::binary | std::ios::trunc);
    if (!out)
      return core::MakeError(core::Code::kInternal, core::reason::kIoError, "cannot create " + tmp);
    if (owner_only) {
      std::error_code ec;
      std::filesystem::permissions(
          tmp_path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
          std::filesystem::perm_options::replace, ec);
      if (ec) {
        out.close();
        std::filesystem::remove(tmp_path, ec);
        return core::MakeError(core::Code::kInternal, core::reason::kIoError,
                               "cannot make " + tmp + " owner-only: " + ec.message());
      }
    }
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out.flush()) {
      out.close();
      std::error_code ec;
      std::filesystem::remove(tmp_path, ec);
      return core::MakeError(core::Code::kInternal, core::reason::kIoError, "cannot write " + tmp);
    }
  }
  core::Status replaced = RenameOver(tmp, path);
  if (!replaced.ok()) {
    std::error_code ec;
    std::filesystem::remove(tmp_path, ec);
  }
  return replaced;
}

}  // namespace gpop::platform
