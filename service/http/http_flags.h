// gpopd's flags for the HTTP listener (--http_listen, --http_port_file, --http_threads) and the
// one call main.cc makes to start it.

#ifndef GPOP_SERVICE_HTTP_HTTP_FLAGS_H_
#define GPOP_SERVICE_HTTP_HTTP_FLAGS_H_

#include <memory>

#include "absl/status/statusor.h"
#include "service/api/auth/authenticator.h"
#include "service/api/operations_api.h"
#include "service/core/backend.h"
#include "service/engine/engine.h"
#include "service/http/http_server.h"

namespace gpop::http {

// StartHttpFromFlags
//
// Starts the HTTP listener the flags describe over its own OperationsApi on `engine` and
// `backend` (the same calls, limits and validation as the gRPC services), or returns null when
// --http_listen is empty. Writes --http_port_file once listening. The engine and backend must
// outlive the server, and so must `metrics` (served at GET /metrics; null: not served). `tls`
// is the gRPC port's (--tls_*): with a certificate, the HTTP listener serves HTTPS with it.
absl::StatusOr<std::unique_ptr<HttpServer>> StartHttpFromFlags(
    engine::Engine* engine, core::Backend* backend, const api::ServiceOptions& service,
    bool insecure, const api::Authenticator* authenticator, metrics::Metrics* metrics = nullptr,
    const api::TlsOptions& tls = {});

}  // namespace gpop::http

#endif  // GPOP_SERVICE_HTTP_HTTP_FLAGS_H_
