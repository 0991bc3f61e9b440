// Which IP literals are loopback (see address.h); the parsing is in address_{posix,windows}.cc.

#include "service/platform/address.h"

namespace gpop::platform {

bool IsLoopbackIp(const std::string& text) {
  std::optional<IpAddress> ip = ParseIpAddress(text);
  if (!ip) return false;
  const auto& b = ip->bytes;
  if (!ip->v6) return b[0] == 127;
  bool zeros_before_last = true;
  for (int i = 0; i < 15; ++i) zeros_before_last = zeros_before_last && b[i] == 0;
  if (zeros_before_last && b[15] == 1) return true;  // ::1
  bool mapped = b[10] == 0xFF && b[11] == 0xFF;      // ::ffff:a.b.c.d
  for (int i = 0; i < 10; ++i) mapped = mapped && b[i] == 0;
  return mapped && b[12] == 127;
}

}  // namespace gpop::platform
