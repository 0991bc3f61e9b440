#include "service/test_kill_at.h"

#ifndef _WIN32
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <memory>

namespace gpop {

std::optional<TestKillAt> ReadTestKillAt(const std::function<bool(const std::string&)>& mine) {
  const char* at = std::getenv("GPOP_TEST_KILL_AT");
  if (at == nullptr || *at == '\0' || !mine(at)) return std::nullopt;
  TestKillAt out;
  out.spec = at;
  const size_t colon = out.spec.find(':');
  out.nth = colon == std::string::npos ? 0 : std::atoi(out.spec.c_str() + colon + 1);
  if (colon == std::string::npos || out.nth < 1) {
    std::fprintf(stderr, "gpopd: GPOP_TEST_KILL_AT=%s: expected POINT:N, ignored\n", at);
    return std::nullopt;
  }
  out.point = out.spec.substr(0, colon);
  const char* marker = std::getenv("GPOP_TEST_KILL_MARKER");
  out.marker = marker == nullptr ? "" : marker;
  return out;
}

std::function<bool()> KillAtNthHit(const TestKillAt& at) {
  auto hits = std::make_shared<std::atomic<int>>(0);
  return [at, hits] {
    if (hits->fetch_add(1) + 1 != at.nth) return false;
    if (!at.marker.empty()) {
      int fd = ::open(at.marker.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      if (fd >= 0) {
        (void)!::write(fd, at.spec.data(), at.spec.size());
        ::fsync(fd);
        ::close(fd);
      }
    }
    ::raise(SIGKILL);
    return true;
  };
}

void TestKillAtIgnored(const TestKillAt& at) {
  std::fprintf(stderr, "gpopd: GPOP_TEST_KILL_AT=%s: expected POINT:N, ignored\n", at.spec.c_str());
}

void TestKillArmed(const TestKillAt& at) {
  std::fprintf(stderr, "gpopd: test hook armed: SIGKILL at %s\n", at.spec.c_str());
}

}  // namespace gpop
#endif
