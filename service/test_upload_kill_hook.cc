#include "service/test_upload_kill_hook.h"

#include <functional>
#include <optional>
#include <string>

#include "service/test_kill_at.h"

namespace gpop {

#ifdef GPOP_TEST_HOOKS
namespace {

bool UploadPointNamed(const std::string& name, transfer::PublishPoint* point) {
  if (name == "upload-staged") {
    *point = transfer::PublishPoint::kStaged;
  } else if (name == "upload-journal") {
    *point = transfer::PublishPoint::kJournal;
  } else if (name == "upload-rename") {
    *point = transfer::PublishPoint::kRename;
  } else if (name == "upload-manifest") {
    *point = transfer::PublishPoint::kManifest;
  } else {
    return false;
  }
  return true;
}

}  // namespace

void MaybeInstallUploadKillHook(transfer::UploadOptions* options) {
  std::optional<TestKillAt> at =
      ReadTestKillAt([](const std::string& spec) { return spec.rfind("upload-", 0) == 0; });
  if (!at) return;
  transfer::PublishPoint point;
  if (!UploadPointNamed(at->point, &point)) {
    TestKillAtIgnored(*at);
    return;
  }
  std::function<bool()> kill = KillAtNthHit(*at);
  options->crash_hook = [point, kill](transfer::PublishPoint p, size_t) {
    return p == point && kill();
  };
  TestKillArmed(*at);
}
#else
void MaybeInstallUploadKillHook(transfer::UploadOptions*) {}
#endif

}  // namespace gpop
