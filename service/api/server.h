// Server assembly: gpopd's grpc::Server with the gpop.v1 (operations, audit) and
// google.longrunning services, health (liveness and readiness), reflection, keepalive and
// connection-age limits, a loopback-only listener unless the operator opts out, an optional
// plaintext health-only listener for probes, and the planned shutdown sequence.

#ifndef GPOP_SERVICE_API_SERVER_H_
#define GPOP_SERVICE_API_SERVER_H_

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "service/api/audit_service.h"
#include "service/api/auth/local_authenticator.h"
#include "service/api/lro_service.h"
#include "service/api/operations_service.h"
#include "service/api/tls.h"
#include "service/api/unix_peers.h"
#include "service/core/backend.h"
#include "service/core/mutex.h"
#include "service/engine/clock.h"
#include "service/engine/engine.h"

namespace grpc {
class CallbackGenericService;
class Server;
class Service;
}  // namespace grpc

namespace gpop::api {

// The health service names: "" is liveness (SERVING while the process runs), kReadinessService
// is readiness (SERVING only while the engine accepts work).
inline constexpr char kLivenessService[] = "";
inline constexpr char kReadinessService[] = "gpop.v1.GroupPolicyOperations";

// ServerOptions
//
// How gpopd listens. Times are wall-clock durations.
struct ServerOptions {
  // "host:port" ("127.0.0.1:50051", "[::1]:0", "localhost:50051") or "unix:PATH". Port 0 picks
  // a free port (read it back with Server::port()).
  std::string listen = "127.0.0.1:50051";
  // Allow a non-loopback address without TLS. Without it, such an address is refused.
  bool insecure = false;
  // TLS / mutual TLS on `listen` (not on a Unix socket). Empty tls.cert_file: plaintext.
  TlsOptions tls;
  // "host:port" of a second, plaintext listener that serves only grpc.health.v1.Health (the
  // same liveness and readiness statuses), for probes that cannot do TLS or client
  // certificates (kubelet). It exposes no data, so any address is allowed without `insecure`.
  // Empty: no health listener. Port 0 picks a free port (Server::health_port()).
  std::string health_listen;
  // The largest request message accepted (larger: RESOURCE_EXHAUSTED from gRPC).
  int max_receive_message_bytes = 4 << 20;
  // Server-side keepalive: ping an idle connection this often, drop it when a ping is not
  // answered in time. Clients may ping (also without calls) every min_client_ping_interval.
  std::chrono::milliseconds keepalive_time{std::chrono::seconds(30)};
  std::chrono::milliseconds keepalive_timeout{std::chrono::seconds(10)};
  std::chrono::milliseconds min_client_ping_interval{std::chrono::seconds(10)};
  // Connections are closed after this age (plus the grace for calls in flight), so that load
  // spreads over replicas and proxies; streams resume on a new connection.
  std::chrono::milliseconds max_connection_age{std::chrono::minutes(30)};
  std::chrono::milliseconds max_connection_age_grace{std::chrono::minutes(1)};
  // Limits checked by the services before the engine (see ServiceOptions).
  ServiceOptions service;
  // Who callers are (auth/authenticator.h); must outlive the server. Null: no credentials are
  // configured, local callers (and, with `insecure`, every caller) act as the implicit admin.
  const Authenticator* authenticator = nullptr;
  // Further services on the same listeners (gpopd's gpop.v1.BackupTransfer): Start makes each
  // with the server's OperationsApi and call authentication, so that they authenticate and
  // authorize callers as gpop.v1 does; they live as long as the server.
  using ServiceFactory =
      std::function<std::unique_ptr<grpc::Service>(OperationsApi*, CallAuthentication)>;
  std::vector<ServiceFactory> extra_services;
};

// IsLoopbackAddress
//
// True for listen addresses that only local callers can reach: 127.0.0.0/8, ::1, "localhost"
// (with a port) and Unix sockets.
bool IsLoopbackAddress(const std::string& listen);

// Server
//
// A running gpopd gRPC server over an engine. Thread-safe. The engine, backend and clock must
// outlive it.
class Server {
 public:
  // Builds and starts the server. Errors: INVALID_ARGUMENT for a non-loopback `listen` with
  // neither TLS nor `insecure`, a malformed address (`listen` or `health_listen`), TLS on a Unix
  // socket or bad TLS files; UNAVAILABLE when an address cannot be bound.
  static absl::StatusOr<std::unique_ptr<Server>> Start(const ServerOptions& options,
                                                       engine::Engine* engine,
                                                       core::Backend* backend,
                                                       engine::Clock* clock);
  ~Server();  // Shutdown(0, 0) if not done yet.
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // The bound port (the one chosen when listening on port 0); 0 for Unix sockets.
  int port() const { return port_; }
  // The bound port of the health listener; 0 without one.
  int health_port() const { return health_port_; }
  // An address a local client can dial: "127.0.0.1:<port>", or the Unix socket as given.
  std::string target() const;

  // Planned shutdown: readiness NOT_SERVING (on both listeners); engine->Shutdown(grace), which
  // refuses new starts, lets running operations finish within `grace`, cancels the rest and ends
  // every stream; then the gRPC servers stop, cancelling calls still open after `deadline`.
  // Idempotent; blocks until done.
  void Shutdown(engine::Duration grace, engine::Duration deadline) GPOP_EXCLUDES(mu_);

  // Blocks until the gRPC server has stopped (after Shutdown).
  void Wait();

  // SIGHUP: checks and loads the TLS files again (tls.h); new handshakes use them, open
  // connections and streams are kept. OK without TLS. On error the old files stay in use.
  absl::Status ReloadTls();

 private:
  Server(const ServerOptions& options, engine::Engine* engine, core::Backend* backend,
         engine::Clock* clock);

  const ServerOptions options_;
  engine::Engine* const engine_;
  // The services outlive grpc_server_ (declared first, destroyed last).
  LocalAuthenticator local_authenticator_;
  UnixPeers unix_peers_;
  const CallAuthentication call_auth_;  // options_.authenticator, else local_authenticator_
  OperationsApi api_;
  OperationsService operations_;
  LroService lro_;
  AuditApi audit_api_;
  AuditService audit_;
  std::vector<std::unique_ptr<grpc::Service>> extra_services_;  // options_.extra_services
  std::unique_ptr<TlsCredentials> tls_;                         // null without TLS
  std::unique_ptr<grpc::Server> grpc_server_;
  // Serves only grpc.health.v1 on options_.health_listen (every other method meets
  // health_unimplemented_); null without one.
  std::unique_ptr<grpc::CallbackGenericService> health_unimplemented_;
  std::unique_ptr<grpc::Server> health_server_;
  // Accepts the Unix socket's connections itself, to read each peer's uid (unix_peers.h).
  std::unique_ptr<UnixListener> unix_listener_;
  int port_ = 0;
  int health_port_ = 0;
  core::Mutex mu_;
  bool shut_down_ GPOP_GUARDED_BY(mu_) = false;
};

}  // namespace gpop::api

#endif  // GPOP_SERVICE_API_SERVER_H_
