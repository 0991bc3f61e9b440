#include "service/test_upload_kill_hook.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

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
  const char* at = std::getenv("GPOP_TEST_KILL_AT");
  if (at == nullptr || std::string(at).rfind("upload-", 0) != 0) return;
  const std::string spec = at;
  const size_t colon = spec.find(':');
  transfer::PublishPoint point;
  const int nth = colon == std::string::npos ? 0 : std::atoi(spec.c_str() + colon + 1);
  if (colon == std::string::npos || nth < 1 || !UploadPointNamed(spec.substr(0, colon), &point)) {
    std::fprintf(stderr, "gpopd: GPOP_TEST_KILL_AT=%s: expected POINT:N, ignored\n", at);
    return;
  }
  const char* m = std::getenv("GPOP_TEST_KILL_MARKER");
  const std::string marker = m == nullptr ? "" : m;
  auto hits = std::make_shared<std::atomic<int>>(0);
  options->crash_hook = [=](transfer::PublishPoint p, size_t) {
    if (p != point || hits->fetch_add(1) + 1 != nth) return false;
    if (!marker.empty()) {
      int fd = ::open(marker.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      if (fd >= 0) {
        (void)!::write(fd, spec.data(), spec.size());
        ::fsync(fd);
        ::close(fd);
      }
    }
    ::raise(SIGKILL);
    return true;
  };
  std::fprintf(stderr, "gpopd: test hook armed: SIGKILL at %s\n", at);
}
#else
void MaybeInstallUploadKillHook(transfer::UploadOptions*) {}
#endif

}  // namespace gpop
