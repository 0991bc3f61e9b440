// A test-only crash point for gpopd's sysvol backend: SIGKILL right past a commit point, so that
// the SIGKILL crash loop (tests/backends/sysvol/gpo_write_crash_loop.sh) knows it hit the
// roll-forward case instead of hoping a random kill lands there.
//
// Built only with the CMake option GPOP_TEST_HOOKS (ON except in Release builds; the image and
// the Release benchmarks have no such hook). Environment, read once at start:
//   GPOP_TEST_KILL_AT=POINT:N   POINT is commit-record (the intent just marked COMMITTING,
//                               nothing published), gpt-rename (the new GPT or backup folder
//                               published, metadata or manifest not yet) or metadata-write (all
//                               published, intent not yet DONE); N counts that point's hits
//                               from 1 (a restore or import that takes a safety backup passes
//                               each point once for the backup, then once for the GPO write).
//   GPOP_TEST_KILL_MARKER=FILE  written (with POINT:N) and fsynced just before the SIGKILL.
// POINTs beginning with "upload-" are the upload store's (service/test_upload_kill_hook.h).

#ifndef GPOP_SERVICE_TEST_KILL_HOOK_H_
#define GPOP_SERVICE_TEST_KILL_HOOK_H_

#ifndef _WIN32
#include "service/backends/sysvol/sysvol_backend.h"

namespace gpop {

// Installs the hook when the build has GPOP_TEST_HOOKS and GPOP_TEST_KILL_AT is set; prints a
// line to stderr saying so. Does nothing otherwise.
void MaybeInstallTestKillHook(sysvol::SysvolBackend& backend);

}  // namespace gpop
#endif

#endif  // GPOP_SERVICE_TEST_KILL_HOOK_H_
