// The part gpopd's test-only SIGKILL hooks share (service/test_kill_hook.h for the sysvol
// backend, service/test_upload_kill_hook.h for uploads): reading GPOP_TEST_KILL_AT=POINT:N and
// GPOP_TEST_KILL_MARKER, and the kill itself at the Nth hit. Used only in builds with
// GPOP_TEST_HOOKS.
#ifndef GPOP_SERVICE_TEST_KILL_AT_H_
#define GPOP_SERVICE_TEST_KILL_AT_H_

#ifndef _WIN32
#include <functional>
#include <optional>
#include <string>

namespace gpop {

// TestKillAt
//
// GPOP_TEST_KILL_AT split: `point` (POINT) and `nth` (N, from 1), with the whole `spec` and
// the GPOP_TEST_KILL_MARKER file (empty: none).
struct TestKillAt {
  std::string spec;
  std::string point;
  int nth = 0;
  std::string marker;
};

// ReadTestKillAt
//
// The environment's kill point when GPOP_TEST_KILL_AT is set and `mine(spec)` says it is this
// hook's; nullopt otherwise, and (with a line to stderr) when it is not POINT:N with N >= 1.
std::optional<TestKillAt> ReadTestKillAt(const std::function<bool(const std::string&)>& mine);

// KillAtNthHit
//
// A function to call at each hit of `at.point`: at the `at.nth` it writes the marker (with the
// spec, fsynced) and SIGKILLs the process; before it, returns false. Safe from any thread.
std::function<bool()> KillAtNthHit(const TestKillAt& at);

// TestKillAtIgnored
//
// Tells on stderr that `at.point` names no point of this hook.
void TestKillAtIgnored(const TestKillAt& at);

// TestKillArmed
//
// Tells on stderr that the hook is armed.
void TestKillArmed(const TestKillAt& at);

}  // namespace gpop

#endif
#endif  // GPOP_SERVICE_TEST_KILL_AT_H_
