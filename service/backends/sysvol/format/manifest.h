// manifest.xml: the index of every backup in a GPMC backup folder.
//
// Shape (fixture manifest-sample.xml): no XML declaration, one line, root
// <Backups xmlns="...Manifest" xmlns:mfst="...Manifest" mfst:version="1.0"> holding one
// BackupInst per backup (see backup_inst.h). The writer returns the whole file's bytes; callers
// replace the file atomically (write a temporary file, fsync, rename).

#ifndef GPOP_SERVICE_BACKENDS_SYSVOL_FORMAT_MANIFEST_H_
#define GPOP_SERVICE_BACKENDS_SYSVOL_FORMAT_MANIFEST_H_

#include <string>
#include <string_view>
#include <vector>

#include "service/backends/sysvol/format/backup_inst.h"
#include "service/core/error.h"

namespace gpop::sysvol {

// Manifest
//
// The backups listed, in file order.
struct Manifest {
  std::vector<BackupInst> backups;

  bool operator==(const Manifest& o) const { return backups == o.backups; }
};

// ParseManifest
//
// Reads every BackupInst. Errors: not XML, root is not "Backups" (CORRUPT_FILE).
core::Result<Manifest> ParseManifest(std::string_view bytes, std::string_view display_path);

// WriteManifest
//
// The bytes of a manifest.xml listing `manifest.backups` in order.
std::string WriteManifest(const Manifest& manifest);

}  // namespace gpop::sysvol

#endif  // GPOP_SERVICE_BACKENDS_SYSVOL_FORMAT_MANIFEST_H_
