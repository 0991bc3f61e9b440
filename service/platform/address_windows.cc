// IP literal parsing on Windows: InetPtonA (ws2_32; needs no WSAStartup).

// clang-format off
#include <winsock2.h>
#include <ws2tcpip.h>
// clang-format on

#include <cstring>

#include "service/platform/address.h"

namespace gpop::platform {

std::optional<IpAddress> ParseIpAddress(const std::string& text) {
  IpAddress ip;
  IN_ADDR v4{};
  if (InetPtonA(AF_INET, text.c_str(), &v4) == 1) {
    std::memcpy(ip.bytes.data(), &v4, 4);
    return ip;
  }
  IN6_ADDR v6{};
  if (InetPtonA(AF_INET6, text.c_str(), &v6) == 1) {
    ip.v6 = true;
    std::memcpy(ip.bytes.data(), &v6, 16);
    return ip;
  }
  return std::nullopt;
}

}  // namespace gpop::platform
