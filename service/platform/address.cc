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

std::optional<ListenAddress> ParseListenAddress(const std::string& text) {
  std::string host, port;
  if (!text.empty() && text[0] == '[') {
    const size_t close = text.find("]:");
    if (close == std::string::npos) return std::nullopt;
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
    if (host.find(':') == std::string::npos) return std::nullopt;  // brackets are for IPv6
  } else {
    const size_t colon = text.rfind(':');
    if (colon == std::string::npos) return std::nullopt;
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string::npos) return std::nullopt;  // IPv6 needs brackets
  }
  if (port.empty() || port.size() > 5 ||
      port.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  const int number = std::stoi(port);
  if (number > 65535) return std::nullopt;
  if (host.empty()) host = "0.0.0.0";
  if (host == "localhost") host = "127.0.0.1";
  std::optional<IpAddress> ip = ParseIpAddress(host);
  if (!ip) return std::nullopt;
  return ListenAddress{*ip, static_cast<uint16_t>(number)};
}

}  // namespace gpop::platform
