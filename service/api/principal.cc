// gRPC call credentials -> Principal (see principal.h).

#include "service/api/principal.h"

#include <cstring>

#include "grpcpp/security/auth_context.h"
#include "service/api/unix_peers.h"
#include "service/platform/address.h"

namespace gpop::api {
namespace {

bool StartsWith(const std::string& s, const char* prefix) {
  return s.compare(0, std::strlen(prefix), prefix) == 0;
}

}  // namespace

bool IsLocalPeer(const std::string& peer) {
  if (StartsWith(peer, "unix:") || StartsWith(peer, "unix-abstract:") || StartsWith(peer, "fd:")) {
    return true;
  }
  if (StartsWith(peer, "ipv4:")) {
    return platform::IsLoopbackIp(peer.substr(5, peer.rfind(':') - 5));
  }
  if (StartsWith(peer, "ipv6:[")) {
    size_t close = peer.find(']');
    if (close == std::string::npos) return false;
    std::string host = peer.substr(6, close - 6);
    if (size_t zone = host.find('%'); zone != std::string::npos) host.resize(zone);
    return platform::IsLoopbackIp(host);
  }
  return false;
}

Credentials CallerCredentials(const grpc::ServerContextBase* context, const UnixPeers* unix_peers) {
  Credentials credentials;
  credentials.peer = context->peer();
  credentials.peer_is_local = IsLocalPeer(credentials.peer);
  const auto& metadata = context->client_metadata();
  if (auto it = metadata.find("authorization"); it != metadata.end()) {
    std::string value(it->second.data(), it->second.size());
    constexpr char kBearer[] = "Bearer ";
    // A malformed header is a wrong credential, not a missing one.
    credentials.bearer_token =
        StartsWith(value, kBearer) ? value.substr(sizeof(kBearer) - 1) : std::string();
  }
  // gRPC sets these properties only for a peer certificate its TLS layer has verified.
  std::shared_ptr<const grpc::AuthContext> auth = context->auth_context();
  if (auth != nullptr && auth->IsPeerAuthenticated()) {
    for (const char* property : {"x509_common_name", "x509_subject_alternative_name"}) {
      for (const grpc::string_ref& value : auth->FindPropertyValues(property)) {
        credentials.certificate_identities.emplace_back(value.data(), value.size());
      }
    }
  }
  if (unix_peers != nullptr) credentials.peer_uid = unix_peers->UidOf(credentials.peer);
  return credentials;
}

absl::StatusOr<Principal> CallerPrincipal(const grpc::ServerContextBase* context,
                                          const Authenticator& authenticator,
                                          const UnixPeers* unix_peers) {
  return authenticator.Authenticate(CallerCredentials(context, unix_peers));
}

}  // namespace gpop::api
