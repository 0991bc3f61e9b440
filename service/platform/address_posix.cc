// IP literal parsing on POSIX: inet_pton.

#include <arpa/inet.h>

#include <cstring>

#include "service/platform/address.h"

namespace gpop::platform {

std::optional<IpAddress> ParseIpAddress(const std::string& text) {
  IpAddress ip;
  in_addr v4{};
  if (inet_pton(AF_INET, text.c_str(), &v4) == 1) {
    std::memcpy(ip.bytes.data(), &v4, 4);
    return ip;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, text.c_str(), &v6) == 1) {
    ip.v6 = true;
    std::memcpy(ip.bytes.data(), &v6, 16);
    return ip;
  }
  return std::nullopt;
}

}  // namespace gpop::platform
