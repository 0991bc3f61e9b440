#include "service/test_kill_hook.h"

#ifndef _WIN32
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
  const char* at = std::getenv("GPOP_TEST_KILL_AT");
  if (at == nullptr || *at == '\0') return;
  const std::string spec = at;
  if (spec.rfind("upload-", 0) == 0) return;  // the upload store's (test_upload_kill_hook.h)
  const size_t colon = spec.find(':');
  sysvol::FaultPoint point;
  const int nth = colon == std::string::npos ? 0 : std::atoi(spec.c_str() + colon + 1);
  if (colon == std::string::npos || nth < 1 || !PointNamed(spec.substr(0, colon), &point)) {
    std::fprintf(stderr, "gpopd: GPOP_TEST_KILL_AT=%s: expected POINT:N, ignored\n", at);
    return;
  }
  const char* m = std::getenv("GPOP_TEST_KILL_MARKER");
  const std::string marker = m == nullptr ? "" : m;
  auto hits = std::make_shared<std::atomic<int>>(0);
  backend.SetFaultHookForTesting([=](sysvol::FaultPoint p) {
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
  });
  std::fprintf(stderr, "gpopd: test hook armed: SIGKILL at %s\n", at);
}
#else
void MaybeInstallTestKillHook(sysvol::SysvolBackend&) {}
#endif

}  // namespace gpop
#endif
