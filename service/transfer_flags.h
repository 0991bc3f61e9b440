// The transfer service's parts, configured by flags: the upload store over the backup
// locations (--backup_locations, as the backend) under <state_dir>/uploads, with its quotas
// (--upload_quota_per_principal, --upload_quota_total, --upload_expiry). main.cc's seam for
// gpop.v1.BackupTransfer.
#ifndef GPOP_SERVICE_TRANSFER_FLAGS_H_
#define GPOP_SERVICE_TRANSFER_FLAGS_H_

#include <filesystem>
#include <memory>

#include "absl/status/statusor.h"
#include "service/core/backend.h"
#include "service/transfer/upload_store.h"

namespace gpop {

// OpenUploadsFromFlags
//
// The upload store, with what a stopped gpopd left behind taken up or removed. When `backend`
// is the sysvol backend, publishes into a location take that location's lock in it.
absl::StatusOr<std::unique_ptr<transfer::UploadStore>> OpenUploadsFromFlags(
    core::Backend* backend);

// DownloadScratchFromFlags
//
// Where prepared downloads are kept while they stream: <state_dir>/downloads.
std::filesystem::path DownloadScratchFromFlags();

}  // namespace gpop

#endif  // GPOP_SERVICE_TRANSFER_FLAGS_H_
