// What an extracted upload is: one GPMC backup folder, or a backup set (manifest.xml and
// {GUID} backup folders), checked completely before anything of it is published: the layout,
// every XML file well formed through the hardened loader, each backup's Backup.xml and
// bkupInfo.xml readable and its folder named by its backup ID.
#ifndef GPOP_SERVICE_TRANSFER_UPLOAD_LAYOUT_H_
#define GPOP_SERVICE_TRANSFER_UPLOAD_LAYOUT_H_

#include <filesystem>
#include <string>
#include <vector>

#include "service/backends/sysvol/format/backup_inst.h"
#include "service/core/error.h"
#include "service/transfer/tar_extract.h"

namespace gpop::transfer {

// LaidOutBackup
//
// One backup of an upload: its ID (braced upper case), its folder relative to the staging
// folder ('/'-separated; empty when the upload's root is the backup itself), its bkupInfo.xml
// record and its files (paths relative to its folder).
struct LaidOutBackup {
  std::string backup_id;
  std::string folder;
  sysvol::BackupInst inst;
  std::vector<ExtractedFile> files;
};

// UploadLayout
//
// The backups of an upload, by backup ID, and whether it came as a backup set.
struct UploadLayout {
  bool backup_set = false;
  std::vector<LaidOutBackup> backups;
};

// CheckLayout
//
// Reads the upload extracted under `staging` (whose regular files are `files`). The root may be
// wrapped in one folder (a tar of "MyBaseline/..."). A root with Backup.xml is one backup (its
// ID from bkupInfo.xml); otherwise the root must hold only manifest.xml and {GUID} folders, each
// a backup whose bkupInfo.xml names the folder's ID, and every backup manifest.xml lists must
// be there. GPMC's own XML files (Backup.xml, bkupInfo.xml, gpreport.xml, manifest.xml and
// every *.xml under DomainSysvol) must be well formed (UTF-8 or UTF-16LE, no DOCTYPE, bounded);
// other files a publisher left in a backup folder are tolerated, as GPMC does.
// Errors: INVALID_ARGUMENT, reason UPLOAD_REJECTED, saying what is wrong where.
core::Result<UploadLayout> CheckLayout(const std::filesystem::path& staging,
                                       const std::vector<ExtractedFile>& files);

}  // namespace gpop::transfer

#endif  // GPOP_SERVICE_TRANSFER_UPLOAD_LAYOUT_H_
