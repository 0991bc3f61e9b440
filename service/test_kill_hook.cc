#include "service/test_kill_hook.h"

#ifndef _WIN32
#include <functional>
#include <optional>
#include <string>

#include "service/test_kill_at.h"

namespace gpop {

#ifdef GPOP_TEST_HOOKS
namespace {

bool PointNamed(const std::string& name, sysvol::FaultPoint* point) {
  if (name == "commit-record") {
    *point = sysvol::FaultPoint::kAfterCommitRecord;
  } else if (name == "gpt-rename") {
    *point = sysvol::FaultPoint::kAfterBackupRename;
  } else if (name == "metadata-write") {
    *point = sysvol::FaultPoint::kAfterManifestRename;
  } else {
    return false;
  }
  return true;
}

}  // namespace

void MaybeInstallTestKillHook(sysvol::SysvolBackend& backend) {
  // Points beginning with "upload-" are the upload store's (test_upload_kill_hook.h).
  std::optional<TestKillAt> at =
      ReadTestKillAt([](const std::string& spec) { return spec.rfind("upload-", 0) != 0; });
  if (!at) return;
  sysvol::FaultPoint point;
  if (!PointNamed(at->point, &point)) {
    TestKillAtIgnored(*at);
    return;
  }
  std::function<bool()> kill = KillAtNthHit(*at);
  backend.SetFaultHookForTesting(
      [point, kill](sysvol::FaultPoint p) { return p == point && kill(); });
  TestKillArmed(*at);
}
#else
void MaybeInstallTestKillHook(sysvol::SysvolBackend&) {}
#endif

}  // namespace gpop
#endif
