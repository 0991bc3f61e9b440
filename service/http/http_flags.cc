// gpopd's HTTP flags (see http_flags.h).

#include "service/http/http_flags.h"

#include <cstdio>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/reflection.h"
#include "absl/time/time.h"
#include "service/api/log.h"
#include "service/platform/files.h"

ABSL_FLAG(std::string, http_listen, "127.0.0.1:8080",
          "HTTP/JSON, Server-Sent Events and the dashboard: host:port or [ipv6]:port (port 0: "
          "any free port); empty: no HTTP listener. HTTPS with --tls_cert/--tls_key (and "
          "--tls_client_ca), as the gRPC port; loopback only without TLS unless --insecure.");
ABSL_FLAG(std::string, http_port_file, "",
          "If set, the bound HTTP port is written to this file (atomically) once listening.");
ABSL_FLAG(int, http_threads, 2,
          "libmicrohttpd event-loop threads (every HTTP connection and SSE stream is served by "
          "one of them; idle streams hold none).");
ABSL_FLAG(absl::Duration, http_session_ttl, absl::Hours(8),
          "How long a dashboard sign-in (POST /v1/session: a bearer token for a session cookie) "
          "lasts; the token itself is checked again on every request.");
ABSL_FLAG(int, http_max_connections, 4096, "Open HTTP connections (streams included) at most.");

namespace gpop::http {

absl::StatusOr<std::unique_ptr<HttpServer>> StartHttpFromFlags(
    engine::Engine* engine, core::Backend* backend, const api::ServiceOptions& service,
    bool insecure, const api::Authenticator* authenticator, metrics::Metrics* metrics,
    const api::TlsOptions& tls) {
  HttpOptions options;
  options.listen = absl::GetFlag(FLAGS_http_listen);
  if (options.listen.empty()) return std::unique_ptr<HttpServer>();
  options.insecure = insecure;
  options.tls = tls;
  options.authenticator = authenticator;
  options.metrics = metrics;
  options.io_threads = absl::GetFlag(FLAGS_http_threads);
  // Session cookies stay valid across restarts when the page-token key is kept in --state_dir.
  options.session_secret = service.page_token_key;
  options.clock = service.clock;
  absl::Duration ttl = absl::GetFlag(FLAGS_http_session_ttl);
  if (ttl < absl::Minutes(1)) return absl::InvalidArgumentError("--http_session_ttl must be >= 1m");
  options.session_ttl = absl::ToChronoSeconds(ttl);
  int max_connections = absl::GetFlag(FLAGS_http_max_connections);
  if (max_connections < 1) return absl::InvalidArgumentError("--http_max_connections must be >= 1");
  options.max_connections = static_cast<unsigned>(max_connections);
  absl::StatusOr<std::unique_ptr<HttpServer>> server =
      HttpServer::Start(options, std::make_unique<api::OperationsApi>(engine, backend, service));
  if (!server.ok()) {
    // The default address being taken (another gpopd, a test) does not stop gpopd; any other
    // address, the operator's choice, does.
    const absl::CommandLineFlag* flag = absl::FindCommandLineFlag("http_listen");
    bool explicit_address = flag == nullptr || flag->CurrentValue() != flag->DefaultValue();
    if (explicit_address || server.status().code() != absl::StatusCode::kUnavailable) {
      return server.status();
    }
    api::Log(api::LogLevel::kWarning, {},
             std::string(server.status().message()) +
                 "; running without the HTTP listener (set --http_listen to choose another "
                 "address, or --http_listen= to turn it off)");
    return std::unique_ptr<HttpServer>();
  }
  std::string port_file = absl::GetFlag(FLAGS_http_port_file);
  if (!port_file.empty()) {
    core::Status written =
        platform::WriteFileAtomically(port_file, std::to_string((*server)->port()) + "\n");
    if (!written.ok()) {
      return absl::UnavailableError("cannot write --http_port_file " + port_file + ": " +
                                    written.error().message);
    }
  }
  return server;
}

}  // namespace gpop::http
