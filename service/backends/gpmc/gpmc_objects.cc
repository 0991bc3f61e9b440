// GPMC's COM objects read into gpop's types (see gpmc_objects.h).

#include "service/backends/gpmc/gpmc_objects.h"

#include <cstring>
#include <filesystem>
#include <system_error>

#include "service/core/guid.h"

namespace gpop::gpmc {

std::chrono::system_clock::time_point FromDate(DATE date) {
  if (date == 0) return {};
  const double unix_seconds = (date - 25569.0) * 86400.0;
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::duration<double>(unix_seconds)));
}

core::GpoInfo ReadGpo(IGPMGPO* gpo) {
  core::GpoInfo info;
  info.guid = ReadString([&](BSTR* s) { return gpo->get_ID(s); });
  if (auto normal = core::NormalizeGuid(info.guid)) info.guid = *normal;
  info.display_name = ReadString([&](BSTR* s) { return gpo->get_DisplayName(s); });
  info.domain = ReadString([&](BSTR* s) { return gpo->get_DomainName(s); });
  LONG user = 0, computer = 0;
  if (SUCCEEDED(gpo->get_UserDSVersionNumber(&user)) &&
      SUCCEEDED(gpo->get_ComputerDSVersionNumber(&computer))) {
    info.version = (static_cast<uint32_t>(user) << 16) | (static_cast<uint32_t>(computer) & 0xFFFF);
  }
  VARIANT_BOOL user_enabled = VARIANT_TRUE, computer_enabled = VARIANT_TRUE;
  gpo->IsUserEnabled(&user_enabled);
  gpo->IsComputerEnabled(&computer_enabled);
  info.flags = (user_enabled ? 0u : 1u) | (computer_enabled ? 0u : 2u);
  DATE date = 0;
  if (SUCCEEDED(gpo->get_CreationTime(&date))) info.created = FromDate(date);
  date = 0;
  if (SUCCEEDED(gpo->get_ModificationTime(&date))) info.modified = FromDate(date);
  return info;
}

std::string GpoResource(IGPMGPO* gpo) {
  const std::string id = ReadString([&](BSTR* s) { return gpo->get_ID(s); });
  return "gpo:" + core::NormalizeGuid(id).value_or(id);
}

core::BackupInfo ReadBackup(IGPMBackup* backup, const std::string& location) {
  core::BackupInfo info;
  info.location = location;
  info.backup_id = ReadString([&](BSTR* s) { return backup->get_ID(s); });
  if (auto normal = core::NormalizeGuid(info.backup_id)) info.backup_id = *normal;
  info.gpo_guid = ReadString([&](BSTR* s) { return backup->get_GPOID(s); });
  if (auto normal = core::NormalizeGuid(info.gpo_guid)) info.gpo_guid = *normal;
  info.gpo_display_name = ReadString([&](BSTR* s) { return backup->get_GPODisplayName(s); });
  info.domain = ReadString([&](BSTR* s) { return backup->get_GPODomain(s); });
  info.comment = ReadString([&](BSTR* s) { return backup->get_Comment(s); });
  DATE date = 0;
  if (SUCCEEDED(backup->get_Timestamp(&date))) info.time = FromDate(date);
  return info;
}

std::optional<uint64_t> BackupFolderBytes(const std::string& dir, const std::string& backup_id) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path folder = fs::u8path(dir) / fs::u8path(backup_id);
  if (backup_id.empty() || !fs::is_directory(folder, ec)) return std::nullopt;
  uint64_t total = 0;
  for (fs::recursive_directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_regular_file(ec)) total += it->file_size(ec);
    if (ec) return std::nullopt;
  }
  if (ec) return std::nullopt;
  return total;
}

std::string MigrationTableFile(const std::string& dir, const std::string& name) {
  std::string file = name;
  const std::string ext = ".migtable";
  if (file.size() < ext.size() ||
      _stricmp(file.c_str() + file.size() - ext.size(), ext.c_str()) != 0) {
    file += ext;
  }
  std::string path = dir;
  if (!path.empty() && path.back() != '\\' && path.back() != '/') path += '\\';
  return path + file;
}

std::string Describe(const core::GpoRef& gpo) {
  return gpo.guid.empty() ? "GPO \"" + gpo.display_name + "\"" : "GPO " + gpo.guid;
}

}  // namespace gpop::gpmc
