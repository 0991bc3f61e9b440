// How gpopctl shows an import set: which backup the overall progress is at, and each backup's
// outcome at the end. Pure functions, so that they can be tested.
#ifndef GPOP_CLIENT_CTL_IMPORT_SET_RENDER_H_
#define GPOP_CLIENT_CTL_IMPORT_SET_RENDER_H_

#include <cstddef>
#include <string>

#include "client/ctl/render.h"
#include "gpop/v1/operations.pb.h"

namespace gpop::ctl {

// ImportSetBackupProgress
//
// "backup 3/9 40%": the backup the overall progress is in and how far into it, each of the
// `backups` taking an equal share of the denominator (ImportSetSpec: "each backup a share of
// it"). Empty while the progress is unknown.
std::string ImportSetBackupProgress(const WatchView& view, size_t backups);

// ImportSetOutcomeText
//
// One line per backup (outcome, backup ID, the GPO written or why not, the display name), then
// a tally: "2 imported, 1 failed, 0 not started (of 3 backups)". A dry run says "predicted".
std::string ImportSetOutcomeText(const v1::ImportSetResult& result);

// ImportSetFailed
//
// Whether any backup did not end IMPORTED or PREDICTED.
bool ImportSetFailed(const v1::ImportSetResult& result);

}  // namespace gpop::ctl

#endif  // GPOP_CLIENT_CTL_IMPORT_SET_RENDER_H_
