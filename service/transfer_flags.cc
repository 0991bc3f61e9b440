// The transfer service's flags (see transfer_flags.h).

#include "service/transfer_flags.h"

#include <cstdint>
#include <string>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/time/time.h"
#include "service/backend_flags.h"
#include "service/backends/sysvol/sysvol_backend.h"
#include "service/engine/status_convert.h"
#include "service/test_upload_kill_hook.h"

ABSL_DECLARE_FLAG(std::string, state_dir);
ABSL_FLAG(int64_t, upload_quota_per_principal, int64_t{2} << 30,
          "Bytes of unfinished uploads one principal may have at once (RESOURCE_EXHAUSTED past "
          "it).");
ABSL_FLAG(int64_t, upload_quota_total, int64_t{8} << 30,
          "Bytes of unfinished uploads all principals together may have at once.");
ABSL_FLAG(absl::Duration, upload_expiry, absl::Hours(24),
          "Unfinished uploads untouched this long are discarded.");

namespace gpop {

absl::StatusOr<std::unique_ptr<transfer::UploadStore>> OpenUploadsFromFlags(
    core::Backend* backend) {
  transfer::UploadOptions options;
  if (auto* sysvol = dynamic_cast<sysvol::SysvolBackend*>(backend); sysvol != nullptr) {
    const sysvol::BackupLocations* locations = &sysvol->locations();
    options.location_lock = [locations](const std::string& name) {
      return locations->Mutex(name);
    };
    options.location_index = [locations](const std::string& name) {
      return locations->Index(name);
    };
  }
  if (absl::Status s =
          BackupLocationsFromFlags(&options.locations.folders, &options.locations.default_name);
      !s.ok()) {
    return s;
  }
  options.dir = std::filesystem::path(absl::GetFlag(FLAGS_state_dir)) / "uploads";
  options.quota_per_principal = absl::GetFlag(FLAGS_upload_quota_per_principal);
  options.quota_total = absl::GetFlag(FLAGS_upload_quota_total);
  options.expiry = std::chrono::seconds(absl::ToInt64Seconds(absl::GetFlag(FLAGS_upload_expiry)));
  if (options.quota_per_principal <= 0 || options.quota_total <= 0 ||
      options.expiry <= std::chrono::seconds(0)) {
    return absl::InvalidArgumentError(
        "--upload_quota_per_principal, --upload_quota_total and --upload_expiry must be "
        "positive");
  }
  // Test builds only; asked by new publishes, never by Open's recovery of interrupted ones.
  MaybeInstallUploadKillHook(&options);
  core::Result<std::unique_ptr<transfer::UploadStore>> store =
      transfer::UploadStore::Open(std::move(options));
  if (!store.ok()) return engine::ToStatus(store.error());
  return std::move(*store);
}

std::filesystem::path DownloadScratchFromFlags() {
  return std::filesystem::path(absl::GetFlag(FLAGS_state_dir)) / "downloads";
}

}  // namespace gpop
