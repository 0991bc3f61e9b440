// Who is calling, over gRPC: the one place where a gRPC call's credentials (the "authorization"
// metadata, the verified client certificate of a TLS connection, the peer address and, on the
// Unix socket, the peer's uid) become transport-neutral Credentials (auth/authenticator.h) and
// then the caller's Principal. Every gRPC handler obtains its principal through CallerPrincipal.

#ifndef GPOP_SERVICE_API_PRINCIPAL_H_
#define GPOP_SERVICE_API_PRINCIPAL_H_

#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/server_context.h"
#include "service/api/auth/authenticator.h"
#include "service/api/auth/principal.h"

namespace gpop::api {

class UnixPeers;

// IsLocalPeer
//
// True for a gRPC peer string of this host: "ipv4:127.x.x.x:port", "ipv6:[::1]:port",
// "ipv6:[::ffff:127.x.x.x]:port", "unix:..." and the "fd:N" of connections accepted on gpopd's
// own Unix socket.
bool IsLocalPeer(const std::string& peer);

// CallerCredentials
//
// The credentials of the call behind `context`. `unix_peers` (may be null) knows the uids of
// connections accepted on the Unix socket. Thread-safe.
Credentials CallerCredentials(const grpc::ServerContextBase* context, const UnixPeers* unix_peers);

// CallerPrincipal
//
// The principal of the call behind `context`, or UNAUTHENTICATED. Thread-safe.
absl::StatusOr<Principal> CallerPrincipal(const grpc::ServerContextBase* context,
                                          const Authenticator& authenticator,
                                          const UnixPeers* unix_peers);

// CallAuthentication
//
// How the gRPC services authenticate each call: both must outlive the services; `unix_peers`
// may be null (no Unix socket). Thread-safe.
struct CallAuthentication {
  const Authenticator* authenticator = nullptr;
  const UnixPeers* unix_peers = nullptr;

  // CallerPrincipal with these.
  absl::StatusOr<Principal> Authenticate(const grpc::ServerContextBase* context) const {
    return CallerPrincipal(context, *authenticator, unix_peers);
  }
};

}  // namespace gpop::api

#endif  // GPOP_SERVICE_API_PRINCIPAL_H_
