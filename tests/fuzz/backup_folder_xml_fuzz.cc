// libFuzzer target: the backup folder readers (bkupInfo.xml, manifest.xml, Backup.xml); what parses
// must write and parse back to the same model. Built only with -DGPOP_FUZZ=ON (see CMakeLists.txt
// here); seeds in corpus/backup_folder_xml/.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "service/backends/sysvol/format/backup_inst.h"
#include "service/backends/sysvol/format/backup_xml.h"
#include "service/backends/sysvol/format/manifest.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  if (auto inst = gpop::sysvol::ParseBkupInfo(bytes, "bkupInfo.xml"); inst.ok()) {
    auto again = gpop::sysvol::ParseBkupInfo(gpop::sysvol::WriteBkupInfo(*inst), "bkupInfo.xml");
    if (!again.ok()) std::abort();
  }
  if (auto manifest = gpop::sysvol::ParseManifest(bytes, "manifest.xml"); manifest.ok()) {
    auto again =
        gpop::sysvol::ParseManifest(gpop::sysvol::WriteManifest(*manifest), "manifest.xml");
    if (!again.ok() || again->backups.size() != manifest->backups.size()) std::abort();
  }
  if (auto backup = gpop::sysvol::ParseBackupXml(bytes, "Backup.xml"); backup.ok()) {
    auto again = gpop::sysvol::ParseBackupXml(gpop::sysvol::WriteBackupXml(*backup), "Backup.xml");
    if (!again.ok()) std::abort();
  }
  return 0;
}
