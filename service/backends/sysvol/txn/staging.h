// Staging folders: where a writing operation prepares everything before its commit point.

#ifndef GPOP_SERVICE_BACKENDS_SYSVOL_TXN_STAGING_H_
#define GPOP_SERVICE_BACKENDS_SYSVOL_TXN_STAGING_H_

#include <string>
#include <string_view>

#include "service/backends/sysvol/metadata_store.h"
#include "service/backends/sysvol/safe_fs.h"
#include "service/core/error.h"

namespace gpop::sysvol {

// The staging folders of uploads ("upload-<upload id>", service/transfer/upload_store.h): their
// publish journal is kept with the upload, and the upload store rolls them forward or back and
// removes them when it opens. The backend's start-up sweep leaves them alone.
inline constexpr char kUploadStagingPrefix[] = "upload-";

// NewStagingName
//
// "op-<guid without braces>": the staging folder of one operation.
std::string NewStagingName();

// StagingDirs
//
// An operation's staging folder and the staging area (`root`/.gpop-staging) holding it.
struct StagingDirs {
  Dir area;
  Dir folder;
};

// MakeStagingFolder
//
// Creates `root`/.gpop-staging/`staging` (and the area when missing) and opens both. An area
// that a concurrent RemoveStaging removes between the two steps (it was empty) is created
// again.
core::Result<StagingDirs> MakeStagingFolder(const Dir& root, const std::string& staging);

// RemoveStaging
//
// Removes `root`/.gpop-staging/`staging` (missing is fine), then the staging area itself when
// no other operation's folder is left in it, so that an operation that publishes nothing (a
// dry run, a cancel, a failure) leaves the tree as it found it; fsyncs what changed unless
// `sync` is false (the staging folder of a finished operation: garbage, which the start-up
// sweep removes if a crash brings it back).
core::Status RemoveStaging(const Dir& root, const std::string& staging, bool sync = true);

// RemoveAllStaging
//
// Removes every staging folder of `root` and the staging area (at start-up, when no open intent
// owns one), except those whose name begins with `keep_prefix` when it is not empty.
core::Status RemoveAllStaging(const Dir& root, std::string_view keep_prefix = {});

}  // namespace gpop::sysvol

#endif  // GPOP_SERVICE_BACKENDS_SYSVOL_TXN_STAGING_H_
