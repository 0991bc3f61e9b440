// The durable record of an upload's publish (`<uploads>/<id>/publish`): which backup folders
// the upload puts into which location, written and fsynced before the first of them is renamed
// in (the commit point of the publish), and marked done once all are in and the location's
// manifest.xml lists them. After a crash, an open journal says exactly what to finish or undo
// (upload_publish.h); a done one is the published upload's record across restarts.
#ifndef GPOP_SERVICE_TRANSFER_PUBLISH_JOURNAL_H_
#define GPOP_SERVICE_TRANSFER_PUBLISH_JOURNAL_H_

#include <optional>
#include <string>
#include <vector>

#include "service/backends/sysvol/safe_fs.h"
#include "service/core/error.h"
#include "service/core/operation.h"
#include "service/transfer/tar_extract.h"

namespace gpop::transfer {

// PublishedBackup
//
// One backup an upload published, with its files (paths relative to its folder).
struct PublishedBackup {
  core::BackupInfo info;
  std::vector<ExtractedFile> files;
};

// PublishJournal
//
// What one publish moves: `backups` (each `info.backup_id` a folder of the staging folder
// `staging`, inside the staging area of the location named `location`), in rename order.
struct PublishJournal {
  // False from the commit point until every folder is in and the manifest lists them.
  bool done = false;
  std::string location;  // the configured name
  std::string staging;   // the staging folder's name in <location>/.gpop-staging
  bool backup_set = false;
  std::vector<PublishedBackup> backups;
};

// The journal's file name in an upload's folder.
inline constexpr char kPublishJournalFile[] = "publish";

// EncodeJournal / DecodeJournal
//
// The journal as text (one field a line, every value escaped) and back. DecodeJournal: nullopt
// for anything that is not a whole journal.
std::string EncodeJournal(const PublishJournal& journal);
std::optional<PublishJournal> DecodeJournal(const std::string& text);

// WriteJournal
//
// Replaces the journal of the upload folder `folder` atomically and durably (a temporary file
// fsynced, renamed over it, the folder fsynced).
core::Status WriteJournal(const sysvol::Dir& folder, const PublishJournal& journal);

// ReadJournal
//
// The journal of `folder`: nullopt when there is none; DATA_LOSS, CORRUPT_FILE when it cannot
// be read as one (never written by a crash: see WriteJournal).
core::Result<std::optional<PublishJournal>> ReadJournal(const sysvol::Dir& folder);

// RemoveJournal
//
// Removes the journal of `folder` (missing is fine) and fsyncs the folder.
core::Status RemoveJournal(const sysvol::Dir& folder);

}  // namespace gpop::transfer

#endif  // GPOP_SERVICE_TRANSFER_PUBLISH_JOURNAL_H_
