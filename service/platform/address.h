// Listen addresses: which IP literals are loopback. The parsing of address literals is the
// platform's (inet_pton on POSIX, InetPtonA on Windows); the rule is gpop's.

#ifndef GPOP_SERVICE_PLATFORM_ADDRESS_H_
#define GPOP_SERVICE_PLATFORM_ADDRESS_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>

namespace gpop::platform {

// IpAddress
//
// A parsed IPv4 (4 bytes used) or IPv6 (16 bytes) literal, in network byte order.
struct IpAddress {
  bool v6 = false;
  std::array<uint8_t, 16> bytes{};
};

// ParseIpAddress
//
// Parses "127.0.0.1" or "::1" (no brackets, no port, no zone); nullopt for anything else,
// host names included.
std::optional<IpAddress> ParseIpAddress(const std::string& text);

// IsLoopbackIp
//
// True for an IP literal in 127.0.0.0/8, for ::1, and for IPv4-mapped 127.0.0.0/8
// (::ffff:127.x.y.z). False for host names and anything unparsable.
bool IsLoopbackIp(const std::string& text);

// ListenAddress
//
// A parsed listen address: an IP literal and a port (0: any free port).
struct ListenAddress {
  IpAddress ip;
  uint16_t port = 0;
};

// ParseListenAddress
//
// Parses "host:port" or "[ipv6]:port" with a numeric host, "localhost" (127.0.0.1) or an empty
// host (":port", every IPv4 address); nullopt for anything else.
std::optional<ListenAddress> ParseListenAddress(const std::string& text);

}  // namespace gpop::platform

#endif  // GPOP_SERVICE_PLATFORM_ADDRESS_H_
