// Downloads: a backup, several backups as a backup set, or a report, prepared once as a byte
// sequence with its size and SHA-256 (announced in the first message) and then read in chunks
// from any offset. Backup tars are deterministic (tar_write.h): a download resumed by a new
// request is prepared again and gives the same bytes while the backups are unchanged.
#ifndef GPOP_SERVICE_TRANSFER_DOWNLOAD_H_
#define GPOP_SERVICE_TRANSFER_DOWNLOAD_H_

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "service/core/error.h"
#include "service/core/operation.h"
#include "service/transfer/transfer_locations.h"

namespace gpop::transfer {

// The reason of a resumed download whose bytes are no longer those first announced.
inline constexpr char kDownloadChanged[] = "DOWNLOAD_CHANGED";

// Download
//
// Bytes to send: in memory or in a temporary file (removed with the object). Thread-compatible.
class Download {
 public:
  // `bytes` in memory.
  Download(std::string bytes, std::string content_type);
  // The file `path`, which the object owns and removes.
  Download(std::filesystem::path path, int64_t size, std::string sha256, std::string content_type);
  ~Download();
  Download(const Download&) = delete;
  Download& operator=(const Download&) = delete;

  int64_t size() const { return size_; }
  const std::string& sha256() const { return sha256_; }
  const std::string& content_type() const { return content_type_; }

  // Up to `max_bytes` from `offset` (empty at the end).
  core::Result<std::string> Read(int64_t offset, size_t max_bytes) const;

  // CheckResume
  //
  // OUT_OF_RANGE for an offset beyond the size; FAILED_PRECONDITION, DOWNLOAD_CHANGED when
  // `expected_sha256` is set and differs from this download's.
  core::Status CheckResume(int64_t offset, const std::string& expected_sha256) const;

 private:
  std::string bytes_;
  std::filesystem::path path_;
  int64_t size_ = 0;
  std::string sha256_;
  std::string content_type_;
};

// LookUpBackups
//
// The backups `backup_ids` of the location `location` (empty: the default), as listings show
// them (from each backup's bkupInfo.xml). INVALID_ARGUMENT for no or malformed IDs (field
// "backup_ids"), NOT_FOUND (BACKUP_NOT_FOUND, LOCATION_NOT_FOUND).
core::Result<std::vector<core::BackupInfo>> LookUpBackups(const TransferLocations& locations,
                                                          const std::string& location,
                                                          const std::vector<std::string>& ids);

// PrepareBackupDownload
//
// A tar of one backup (entries relative to its folder) or, with several IDs or `as_set`, of a
// backup set: manifest.xml listing them, then one "{ID}/" folder each. Written into a new file
// under `scratch` (created when missing).
core::Result<std::unique_ptr<Download>> PrepareBackupDownload(const TransferLocations& locations,
                                                              const std::filesystem::path& scratch,
                                                              const std::string& location,
                                                              const std::vector<std::string>& ids,
                                                              bool as_set);

}  // namespace gpop::transfer

#endif  // GPOP_SERVICE_TRANSFER_DOWNLOAD_H_
