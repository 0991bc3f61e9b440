// Who is calling: the authentication seam of service/api. Every handler obtains the caller's
// principal through CallerPrincipal and nothing else, so that bearer tokens, mutual TLS and Unix
// peer credentials plug in here later without touching the handlers.

#ifndef GPOP_SERVICE_API_PRINCIPAL_H_
#define GPOP_SERVICE_API_PRINCIPAL_H_

#include <string>

#include "grpcpp/server_context.h"

namespace gpop::api {

// The implicit admin that callers act as when no credentials are configured (gpopd then listens
// on loopback only, or on an address the operator opened explicitly with --insecure).
inline constexpr char kLocalPrincipal[] = "local";

// Principal
//
// An authenticated caller. `name` keys idempotency, limits and the operation's recorded owner.
struct Principal {
  std::string name;
};

// CallerPrincipal
//
// The principal of the call behind `context`. With no credentials configured (the only mode so
// far) every caller is kLocalPrincipal. Thread-safe.
Principal CallerPrincipal(const grpc::CallbackServerContext* context);

}  // namespace gpop::api

#endif  // GPOP_SERVICE_API_PRINCIPAL_H_
