// The client library's version.

#ifndef GPOP_CLIENT_VERSION_H_
#define GPOP_CLIENT_VERSION_H_

namespace gpop::client {

// kClientVersion
//
// The version of gpop this client was built from (CMake's project version).
#ifdef GPOP_VERSION
inline constexpr char kClientVersion[] = GPOP_VERSION;
#else
inline constexpr char kClientVersion[] = "0.0.0-dev";
#endif

}  // namespace gpop::client

#endif  // GPOP_CLIENT_VERSION_H_
