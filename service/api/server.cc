// gpopd's gRPC server assembly (see server.h).

#include "service/api/server.h"

#include <cstring>
#include <memory>
#include <utility>
#include <vector>

#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/generic/async_generic_service.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/impl/server_builder_option.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "service/api/log.h"
#include "service/api/reflection_v1.h"
#include "service/platform/address.h"

namespace gpop::api {

constexpr int kMaxMessageBytes = 64 << 20;
namespace {

bool StartsWith(const std::string& s, const char* prefix) {
  return s.compare(0, std::strlen(prefix), prefix) == 0;
}

bool IsUnixAddress(const std::string& listen) {
  return StartsWith(listen, "unix:") || StartsWith(listen, "unix-abstract:");
}

// Splits "host:port" or "[v6]:port"; false when there is no numeric port.
bool SplitHostPort(const std::string& listen, std::string* host, std::string* port) {
  size_t colon;
  if (!listen.empty() && listen[0] == '[') {
    size_t close = listen.find(']');
    if (close == std::string::npos || close + 1 >= listen.size() || listen[close + 1] != ':') {
      return false;
    }
    *host = listen.substr(1, close - 1);
    colon = close + 1;
  } else {
    colon = listen.rfind(':');
    if (colon == std::string::npos) return false;
    *host = listen.substr(0, colon);
    if (host->find(':') != std::string::npos) return false;  // bare IPv6 needs brackets
  }
  *port = listen.substr(colon + 1);
  if (port->empty() || port->size() > 5) return false;
  for (char c : *port) {
    if (c < '0' || c > '9') return false;
  }
  return std::stoi(*port) <= 65535;
}

// Drops the builder's plugins (reflection, registered process-wide), so that the health
// listener serves grpc.health.v1 and nothing else.
class WithoutPlugins : public grpc::ServerBuilderOption {
 public:
  void UpdateArguments(grpc::ChannelArguments*) override {}
  void UpdatePlugins(std::vector<std::unique_ptr<grpc::ServerBuilderPlugin>>* plugins) override {
    plugins->clear();
  }
};

// The plaintext health-only server on `listen`; null (and *port 0) when it cannot bind.
// `unimplemented` (grpc's default generic service, answering UNIMPLEMENTED) takes every method
// but the default health service's (enabled in Server::Start), and must outlive the server.
std::unique_ptr<grpc::Server> StartHealthServer(const std::string& listen,
                                                grpc::CallbackGenericService* unimplemented,
                                                int* port) {
  grpc::ServerBuilder builder;
  builder.SetOption(std::make_unique<WithoutPlugins>());
  builder.AddListeningPort(listen, grpc::InsecureServerCredentials(), port);
  builder.RegisterCallbackGenericService(unimplemented);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server != nullptr && *port == 0) server.reset();
  return server;
}

// The health services of the running servers (the health listener's may be absent).
std::vector<grpc::HealthCheckServiceInterface*> HealthServices(grpc::Server* main,
                                                               grpc::Server* health_only) {
  std::vector<grpc::HealthCheckServiceInterface*> services = {main->GetHealthCheckService()};
  if (health_only != nullptr) services.push_back(health_only->GetHealthCheckService());
  return services;
}

}  // namespace

bool IsLoopbackAddress(const std::string& listen) {
  if (IsUnixAddress(listen)) return true;
  std::string host, port;
  if (!SplitHostPort(listen, &host, &port)) return false;
  if (host == "localhost") return true;
  return platform::IsLoopbackIp(host);
}

Server::Server(const ServerOptions& options, engine::Engine* engine, core::Backend* backend,
               engine::Clock* clock)
    : options_(options),
      engine_(engine),
      local_authenticator_(options.insecure),
      call_auth_{options.authenticator != nullptr ? options.authenticator : &local_authenticator_,
                 &unix_peers_},
      api_(engine, backend, options.service),
      operations_(&api_, call_auth_),
      lro_(&api_, call_auth_, clock),
      audit_api_(options.service.audit_log, options.service.page_token_key),
      audit_(&audit_api_, call_auth_) {}

absl::StatusOr<std::unique_ptr<Server>> Server::Start(const ServerOptions& options,
                                                      engine::Engine* engine,
                                                      core::Backend* backend,
                                                      engine::Clock* clock) {
  std::string host, port;
  if (!IsUnixAddress(options.listen) && !SplitHostPort(options.listen, &host, &port)) {
    return absl::InvalidArgumentError("--listen " + options.listen +
                                      ": expected host:port, [ipv6]:port or unix:PATH");
  }
  if (!options.health_listen.empty() && !SplitHostPort(options.health_listen, &host, &port)) {
    return absl::InvalidArgumentError("--health_listen " + options.health_listen +
                                      ": expected host:port or [ipv6]:port");
  }
  const bool tls = !options.tls.cert_file.empty();
  if (tls && IsUnixAddress(options.listen)) {
    return absl::InvalidArgumentError("--listen " + options.listen +
                                      ": TLS is for network addresses; a Unix socket identifies "
                                      "its peers by their uid instead");
  }
  if (!tls && !IsLoopbackAddress(options.listen)) {
    if (!options.insecure) {
      return absl::InvalidArgumentError(
          "--listen " + options.listen +
          " is not a loopback address. Without TLS gpopd listens only on loopback (127.0.0.1, "
          "[::1], localhost) or a Unix socket: give --tls_cert and --tls_key, or pass "
          "--insecure to accept unencrypted connections from the network anyway.");
    }
    Log(LogLevel::kWarning, {},
        "INSECURE: listening on " + options.listen +
            " without TLS (--insecure): anyone on the network can read and forge calls");
  }
  std::unique_ptr<Server> server(new Server(options, engine, backend, clock));
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();

  grpc::ServerBuilder builder;
  builder.SetOption(ReflectionV1Option());  // v1alpha comes from the plugin above
  int bound_port = 0;
  const bool unix_socket = StartsWith(options.listen, "unix:");
  if (unix_socket) {
    // gpopd accepts the socket's connections itself, to learn each peer's uid.
    absl::StatusOr<std::unique_ptr<UnixListener>> listener =
        UnixListener::Open(options.listen.substr(5), &server->unix_peers_);
    if (!listener.ok()) return listener.status();
    server->unix_listener_ = *std::move(listener);
  } else {
    std::shared_ptr<grpc::ServerCredentials> credentials = grpc::InsecureServerCredentials();
    if (tls) {
      absl::StatusOr<std::unique_ptr<TlsCredentials>> files = TlsCredentials::Open(options.tls);
      if (!files.ok()) return files.status();
      server->tls_ = *std::move(files);
      credentials = server->tls_->ServerCredentials();
    }
    builder.AddListeningPort(options.listen, credentials, &bound_port);
  }
  builder.RegisterService(&server->operations_);
  builder.RegisterService(&server->lro_);
  builder.RegisterService(&server->audit_);
  for (const ServerOptions::ServiceFactory& make : options.extra_services) {
    server->extra_services_.push_back(make(&server->api_, server->call_auth_));
    builder.RegisterService(server->extra_services_.back().get());
  }
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS,
                             static_cast<int>(options.keepalive_time.count()));
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS,
                             static_cast<int>(options.keepalive_timeout.count()));
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS,
                             static_cast<int>(options.min_client_ping_interval.count()));
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_MS,
                             static_cast<int>(options.max_connection_age.count()));
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_GRACE_MS,
                             static_cast<int>(options.max_connection_age_grace.count()));
  // Reports travel inline in operation results until chunked transfer lands; a report of a
  // large GPO exceeds gRPC's 4 MiB default.
  builder.SetMaxSendMessageSize(kMaxMessageBytes);
  builder.SetMaxReceiveMessageSize(options.max_receive_message_bytes);
  server->grpc_server_ = builder.BuildAndStart();
  if (server->grpc_server_ == nullptr || (bound_port == 0 && !IsUnixAddress(options.listen))) {
    server->unix_listener_.reset();
    server->grpc_server_.reset();
    return absl::UnavailableError("cannot listen on " + options.listen +
                                  " (address in use, or not a local address?)");
  }
  server->port_ = IsUnixAddress(options.listen) ? 0 : bound_port;
  if (!options.health_listen.empty()) {
    server->health_unimplemented_ = std::make_unique<grpc::CallbackGenericService>();
    server->health_server_ = StartHealthServer(
        options.health_listen, server->health_unimplemented_.get(), &server->health_port_);
    if (server->health_server_ == nullptr) {
      server->unix_listener_.reset();
      server->grpc_server_.reset();
      return absl::UnavailableError("cannot listen on --health_listen " + options.health_listen +
                                    " (address in use, or not a local address?)");
    }
  }
  if (server->unix_listener_ != nullptr) server->unix_listener_->Serve(server->grpc_server_.get());

  // Both listeners report the same statuses.
  std::vector<grpc::HealthCheckServiceInterface*> health =
      HealthServices(server->grpc_server_.get(), server->health_server_.get());
  for (grpc::HealthCheckServiceInterface* h : health) {
    h->SetServingStatus(kLivenessService, true);
    h->SetServingStatus(kReadinessService, engine->serving());
  }
  // Readiness follows the engine: NOT_SERVING as soon as it stops accepting work (planned
  // shutdown, or a failed store).
  engine->SetServingObserver([health](bool serving) {
    for (grpc::HealthCheckServiceInterface* h : health) {
      h->SetServingStatus(kReadinessService, serving);
    }
  });
  Log(LogLevel::kInfo, {}, "listening on " + server->target());
  if (server->health_server_ != nullptr) {
    Log(LogLevel::kInfo, {},
        "health (grpc.health.v1 only, plaintext) on " + options.health_listen + ", port " +
            std::to_string(server->health_port_));
  }
  return server;
}

Server::~Server() { Shutdown(engine::Duration::zero(), engine::Duration::zero()); }

std::string Server::target() const {
  if (IsUnixAddress(options_.listen)) return options_.listen;
  std::string host, port;
  SplitHostPort(options_.listen, &host, &port);
  if (host.empty() || host == "0.0.0.0" || host == "localhost") host = "127.0.0.1";
  if (host == "::") host = "::1";
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return host + ":" + std::to_string(port_);
}

void Server::Shutdown(engine::Duration grace, engine::Duration deadline) {
  core::MutexLock lock(&mu_);
  if (shut_down_ || grpc_server_ == nullptr) return;
  shut_down_ = true;
  Log(LogLevel::kInfo, {}, "shutting down");
  const std::vector<grpc::HealthCheckServiceInterface*> health =
      HealthServices(grpc_server_.get(), health_server_.get());
  for (grpc::HealthCheckServiceInterface* h : health) {
    h->SetServingStatus(kReadinessService, false);
  }
  // Ends running operations within the grace period, then every status and watch stream.
  engine_->Shutdown(grace);
  engine_->SetServingObserver(nullptr);  // the health service goes away with the server
  if (unix_listener_ != nullptr) unix_listener_->Stop();  // no new connections
  // Now the process is about to stop: every health status, liveness included, goes NOT_SERVING.
  // (Open health Watch calls are not ended by this; like any other call still open, the
  // server's shutdown deadline cancels them.)
  for (grpc::HealthCheckServiceInterface* h : health) h->Shutdown();
  const auto until = std::chrono::system_clock::now() + deadline;
  grpc_server_->Shutdown(until);
  if (health_server_ != nullptr) health_server_->Shutdown(until);
  Log(LogLevel::kInfo, {}, "stopped");
}

absl::Status Server::ReloadTls() {
  if (tls_ == nullptr) return absl::OkStatus();
  absl::Status s = tls_->Reload();
  Log(s.ok() ? LogLevel::kInfo : LogLevel::kError, {},
      s.ok() ? "TLS files reloaded" : "TLS reload failed, keeping the old files: " + s.ToString());
  return s;
}

void Server::Wait() {
  if (grpc_server_ != nullptr) grpc_server_->Wait();
  if (health_server_ != nullptr) health_server_->Wait();
}

}  // namespace gpop::api
