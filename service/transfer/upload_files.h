// The files of one upload's folder (<uploads>/<id>/), and the small steps on them that the
// upload store's sessions (upload_store.cc) and its publish (upload_store_publish.cc) share.
// Internal to service/transfer.
#ifndef GPOP_SERVICE_TRANSFER_UPLOAD_FILES_H_
#define GPOP_SERVICE_TRANSFER_UPLOAD_FILES_H_

#include <filesystem>
#include <string>
#include <system_error>

#include "service/core/error.h"
#include "service/transfer/publish_journal.h"
#include "service/transfer/upload_store.h"

namespace gpop::transfer::upload_files {

inline constexpr char kDataFile[] = "data.tar";
inline constexpr char kMetaFile[] = "upload.meta";
// The bytes of data.tar known to be on disk (fsynced), as decimal text.
inline constexpr char kReceivedFile[] = "received";

inline core::Error NotFound(const std::string& id) {
  return core::MakeError(core::Code::kNotFound, kUploadNotFound,
                         "no upload " + id + " of this principal (finished, cancelled or expired)",
                         {{"upload_id", id}});
}

// The record of an upload `journal` says is published. The bytes are no longer needed.
inline void TakePublished(const PublishJournal& journal, UploadRecord* record) {
  record->published = true;
  record->backup_set = journal.backup_set;
  record->backups = journal.backups;
  record->received_bytes = record->total_bytes;
}

inline void DropBytes(const std::filesystem::path& folder) {
  std::error_code ec;
  std::filesystem::remove(folder / kDataFile, ec);
  std::filesystem::remove(folder / kReceivedFile, ec);
}

}  // namespace gpop::transfer::upload_files

#endif  // GPOP_SERVICE_TRANSFER_UPLOAD_FILES_H_
