// A test-only crash point for gpopd's uploads: SIGKILL at a chosen step of publishing an
// upload into its backup location, so that the SIGKILL test of uploads
// (tests/e2e/upload_publish_kill_test.py) knows where it stopped the publish.
//
// Built only with the CMake option GPOP_TEST_HOOKS (as service/test_kill_hook.h; off in Release
// builds). Environment, read once at start (the same variables as the backend's hook, with
// points of their own):
//   GPOP_TEST_KILL_AT=POINT:N   POINT is upload-staged (every backup folder staged, no publish
//                               journal yet), upload-journal (the journal durable, nothing
//                               renamed), upload-rename (the Nth backup folder of the upload
//                               renamed into the location) or upload-manifest (all renamed and
//                               manifest.xml rewritten, the journal not yet marked done); N
//                               counts that point's hits from 1 (upload-rename: the renames).
//   GPOP_TEST_KILL_MARKER=FILE  written (with POINT:N) and fsynced just before the SIGKILL.

#ifndef GPOP_SERVICE_TEST_UPLOAD_KILL_HOOK_H_
#define GPOP_SERVICE_TEST_UPLOAD_KILL_HOOK_H_

#include "service/transfer/upload_store.h"

namespace gpop {

// Sets `options->crash_hook` when the build has GPOP_TEST_HOOKS and GPOP_TEST_KILL_AT names an
// upload point; prints a line to stderr saying so. Does nothing otherwise.
void MaybeInstallUploadKillHook(transfer::UploadOptions* options);

}  // namespace gpop

#endif  // GPOP_SERVICE_TEST_UPLOAD_KILL_HOOK_H_
