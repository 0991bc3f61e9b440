// Moving a checked upload's backup folders into their location, all or nothing across a crash,
// as a backup's publish is (service/backends/sysvol/txn/): every folder waits under its final
// name in the upload's staging folder, the publish journal (publish_journal.h) listing them all
// is made durable (the commit point), then each folder is renamed in and the location's
// manifest.xml rewritten, and only then is the journal marked done. An open journal found later
// (gpopd killed in between) is rolled forward when every folder it lists is staged or already in
// the location, else rolled back, before the location is served.
#ifndef GPOP_SERVICE_TRANSFER_UPLOAD_PUBLISH_H_
#define GPOP_SERVICE_TRANSFER_UPLOAD_PUBLISH_H_

#include <cstddef>
#include <functional>
#include <string>

#include "service/backends/sysvol/safe_fs.h"
#include "service/core/error.h"
#include "service/transfer/publish_journal.h"

namespace gpop::sysvol {
class LocationIndex;  // backup_index.h (only pointed to here)
}  // namespace gpop::sysvol

namespace gpop::transfer {

// PublishPoint
//
// The steps of a publish where tests simulate a crash.
enum class PublishPoint {
  kStaged,    // every backup folder staged under its ID and fsynced; no journal yet
  kJournal,   // the journal durable (the commit point); nothing renamed
  kRename,    // one more backup folder renamed into the location (`renamed` says how many now)
  kManifest,  // every folder in, manifest.xml rewritten; the journal not yet marked done
};

// PublishCrashHook
//
// Test only: asked at each PublishPoint of a publish (never by recovery); true stops the
// publish right there as a crash would: nothing undone, the journal left as it is.
using PublishCrashHook = std::function<bool(PublishPoint point, size_t renamed)>;

// RecoveryPoint
//
// The steps of RecoverPublish where tests simulate a crash.
enum class RecoveryPoint {
  kMovedIn,         // rolling forward: every folder in, manifest.xml rewritten; journal open
  kMarkedDone,      // rolling forward: the journal marked done; the staging folder not removed
  kMovedOut,        // rolling back: every folder back in staging; the journal still open
  kJournalRemoved,  // rolling back: the journal removed; the staging folder not yet removed
};

// RecoveryCrashHook
//
// Test only: asked at each RecoveryPoint; true stops the recovery there as a crash would
// (RecoverPublish then answers INTERNAL, nothing undone).
using RecoveryCrashHook = std::function<bool(RecoveryPoint point)>;

// PublishTarget
//
// The location a publish moves into, open, with its configured name and the index through
// which its manifest.xml is rewritten.
struct PublishTarget {
  const sysvol::Dir* location = nullptr;
  std::string name;
  sysvol::LocationIndex* index = nullptr;
};

// MoveIn (roll forward)
//
// Renames each backup folder of `journal` still in its staging folder into the location (never
// replacing one there), in order, skipping those already in; then fsyncs the location and
// brings its manifest.xml in step. Refuses (DATA_LOSS, nothing moved) when a folder is neither
// staged nor in the location, or when a staged folder does not hold every file the journal
// lists for it with its size (a staging folder partly removed). `hook` (may be empty) is asked
// after each rename and after the manifest; `*crashed` tells that it stopped the move. The caller
// holds the location's lock.
core::Status MoveIn(const PublishTarget& target, const PublishJournal& journal,
                    const PublishCrashHook& hook, bool* crashed);

// MoveOut (roll back)
//
// Renames each backup folder of `journal` that is in the location back into its staging folder
// (made again when missing) and fsyncs both; an error only when a folder could not be moved.
// Then brings manifest.xml in step when it can (else it is logged, and the location's next
// writer, listing or start-up repairs it, as any stale manifest). The caller holds the
// location's lock.
core::Status MoveOut(const PublishTarget& target, const PublishJournal& journal);

// RecoverPublish
//
// Resolves the open `journal` of the upload folder `upload`: rolled forward (MoveIn) when every
// folder is in the location or wholly staged, the journal then marked done and the staging
// folder removed: kPublished. Otherwise rolled back (MoveOut), then the journal removed, and
// only then the staging folder (without a journal it is garbage, removed by the next Open if a
// crash stops its removal): kRolledBack. Never rolled back once every folder is in the
// location (the publish may have been answered): the error is returned instead. On any error
// the journal stays open, to be resolved again; recovering again after a crash at any step
// gives the same all-or-nothing result. `hook` (may be empty) is asked at each RecoveryPoint.
// The caller holds the location's lock.
enum class Recovered { kPublished, kRolledBack };
core::Result<Recovered> RecoverPublish(const PublishTarget& target, const sysvol::Dir& upload,
                                       PublishJournal journal,
                                       const RecoveryCrashHook& hook = RecoveryCrashHook());

}  // namespace gpop::transfer

#endif  // GPOP_SERVICE_TRANSFER_UPLOAD_PUBLISH_H_
