// Authentication, transport-neutral: a transport gathers what it knows about the caller into
// Credentials and asks an Authenticator for the Principal.
//
// How a transport uses it (gRPC: service/api/principal.cc; HTTP: service/http):
//   1. Fill Credentials from the request: the bearer token of an "Authorization: Bearer <t>"
//      header (gRPC metadata "authorization"), the identities of a client certificate that the
//      TLS layer has VERIFIED against the configured CA (never an unverified one), the Unix
//      peer uid (SO_PEERCRED) when the call came over the Unix socket, and whether the peer is
//      local (loopback address or Unix socket).
//   2. Call authenticator.Authenticate(credentials). On error answer that status
//      (UNAUTHENTICATED, reason UNAUTHENTICATED) at once, before decoding or looking anything
//      up, so that a stranger learns nothing (not even whether an operation exists).
//   3. Pass the Principal to OperationsApi, which authorizes each call (policy.h) and answers
//      PERMISSION_DENIED (reason PERMISSION_DENIED, metadata "action", "required_role").

#ifndef GPOP_SERVICE_API_AUTH_AUTHENTICATOR_H_
#define GPOP_SERVICE_API_AUTH_AUTHENTICATOR_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "service/api/auth/principal.h"

namespace gpop::api {

// ErrorInfo reasons of authentication and authorization failures.
namespace reason {
inline constexpr char kUnauthenticated[] = "UNAUTHENTICATED";
inline constexpr char kPermissionDenied[] = "PERMISSION_DENIED";
}  // namespace reason

// Credentials
//
// What a transport knows about one caller. Every field is optional.
struct Credentials {
  // The bearer token as sent, without the "Bearer " prefix.
  std::optional<std::string> bearer_token;
  // Identities of a client certificate verified by the TLS layer: its subject common name and
  // its subject alternative names (DNS, URI, e-mail), as written in the certificate.
  std::vector<std::string> certificate_identities;
  // The peer's uid, when the call came over the Unix socket (SO_PEERCRED).
  std::optional<uint32_t> peer_uid;
  // True when the peer is on this host: a loopback address or the Unix socket.
  bool peer_is_local = false;
  // The peer as the transport names it ("ipv4:127.0.0.1:5555", "unix:..."), for logs only.
  std::string peer;
};

// Authenticator
//
// Maps Credentials to a Principal. Implementations are thread-safe.
class Authenticator {
 public:
  virtual ~Authenticator() = default;

  // The caller's principal, or UNAUTHENTICATED (reason UNAUTHENTICATED) for missing, unknown,
  // expired or revoked credentials. The message says what kind of credential was wrong, never
  // anything about operations.
  virtual absl::StatusOr<Principal> Authenticate(const Credentials& credentials) const = 0;
};

}  // namespace gpop::api

#endif  // GPOP_SERVICE_API_AUTH_AUTHENTICATOR_H_
