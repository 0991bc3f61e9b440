// A folder tree as tar entries: what gpopctl uploads and what downloads send. Entries are in
// byte order of their names, folders before their content, links and special files refused.
#ifndef GPOP_SERVICE_TRANSFER_FOLDER_TAR_H_
#define GPOP_SERVICE_TRANSFER_FOLDER_TAR_H_

#include <filesystem>
#include <string>
#include <vector>

#include "service/backends/sysvol/safe_fs.h"
#include "service/core/error.h"
#include "service/transfer/tar_extract.h"
#include "service/transfer/tar_write.h"

namespace gpop::transfer {

// AddTree
//
// Appends everything below `folder` to `tar`, each name prefixed by `prefix` + "/" (no prefix
// when empty), and each file with its size and SHA-256 to `files` (when not null). Symbolic
// links and special files are errors (FAILED_PRECONDITION, PATH_OUTSIDE_ROOT), never followed.
core::Status AddTree(TarWriter& tar, const sysvol::Dir& folder, const std::string& prefix,
                     std::vector<ExtractedFile>* files);

// TarFolder
//
// Writes a new tar file `out` of the tree below `dir` (entries relative to it) and returns its
// files with their digests.
core::Result<std::vector<ExtractedFile>> TarFolder(const std::filesystem::path& dir,
                                                   const std::filesystem::path& out);

}  // namespace gpop::transfer

#endif  // GPOP_SERVICE_TRANSFER_FOLDER_TAR_H_
