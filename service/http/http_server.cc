// gpopd's HTTP listener over libmicrohttpd (see http_server.h).

#include "service/http/http_server.h"

#ifdef _WIN32
#include <winsock2.h>  // ahead of microhttpd.h, which needs the socket types
#include <ws2tcpip.h>
#else
#include <arpa/inet.h>
#include <netinet/in.h>
#endif
#include <microhttpd.h>

#include <cctype>
#include <cstring>
#include <utility>

#include "service/api/log.h"
#include "service/api/server.h"
#include "service/core/error.h"
#include "service/engine/status_convert.h"

namespace gpop::http {

// One request, from its first header to its completion. The connection owns it (freed in the
// completed callback). `ready` is written by a blocking-pool thread while the connection is
// suspended and read by the connection's thread after it resumed.
struct HttpServer::Exchange {
  Request request;
  size_t body_bytes = 0;
  bool too_large = false;
  bool routed = false;
  absl::Status peer_problem;  // a client certificate that does not verify, or none when required
  core::Mutex mu;
  std::optional<Reply> ready GPOP_GUARDED_BY(mu);
};

namespace {

MHD_Result Collect(void* cls, MHD_ValueKind kind, const char* key, const char* value) {
  auto* out = static_cast<std::map<std::string, std::string>*>(cls);
  std::string name = key;
  if (kind == MHD_HEADER_KIND) {
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  (*out)[name] = value == nullptr ? "" : value;
  return MHD_YES;
}

void AddHeaders(MHD_Response* response, const Reply& reply) {
  for (const auto& [name, value] : reply.headers) {
    MHD_add_response_header(response, name.c_str(), value.c_str());
  }
  for (const auto& [name, value] : Routes::CommonHeaders()) {
    bool replaced = false;
    for (const auto& own : reply.headers) replaced |= own.first == name;
    if (!replaced) MHD_add_response_header(response, name.c_str(), value.c_str());
  }
}

MHD_Result QueueReply(MHD_Connection* connection, const Reply& reply) {
  MHD_Response* response = MHD_create_response_from_buffer(
      reply.body.size(), const_cast<char*>(reply.body.data()), MHD_RESPMEM_MUST_COPY);
  if (response == nullptr) return MHD_NO;
  MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, reply.content_type.c_str());
  AddHeaders(response, reply);
  MHD_Result result = MHD_queue_response(connection, reply.status, response);
  MHD_destroy_response(response);
  return result;
}

ssize_t ReadStream(void* cls, uint64_t /*pos*/, char* buf, size_t max) {
  return static_cast<SseStream*>(cls)->Read(buf, max);
}

void FreeStream(void* cls) { delete static_cast<SseStream*>(cls); }

MHD_Result QueueStream(MHD_Connection* connection, std::unique_ptr<SseStream> stream) {
  SseStream* raw = stream.release();
  raw->Attach(connection);
  MHD_Response* response =
      MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, &ReadStream, raw, &FreeStream);
  if (response == nullptr) {
    delete raw;
    return MHD_NO;
  }
  MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream");
  MHD_add_response_header(response, "X-Accel-Buffering", "no");  // proxies: do not buffer
  AddHeaders(response, Reply{});
  MHD_Result result = MHD_queue_response(connection, MHD_HTTP_OK, response);
  MHD_destroy_response(response);
  return result;
}

MHD_Result RequestTrampoline(void* cls, MHD_Connection* connection, const char* url,
                             const char* method, const char* /*version*/, const char* upload_data,
                             size_t* upload_data_size, void** context) {
  return static_cast<HttpServer*>(cls)->OnRequest(connection, url, method, upload_data,
                                                  upload_data_size, context) == MHD_YES
             ? MHD_YES
             : MHD_NO;
}

void CompletedTrampoline(void* /*cls*/, MHD_Connection* /*connection*/, void** context,
                         MHD_RequestTerminationCode /*code*/) {
  delete static_cast<HttpServer::Exchange*>(*context);
  *context = nullptr;
}

// The certificate for a TLS handshake: libmicrohttpd hands its connection to GnuTLS as the
// session's pointer, and the connection's socket context is the listener's HttpTls
// (NotifyConnection).
int RetrieveCertificate(gnutls_session_t session, const gnutls_cert_retr_st* /*info*/,
                        gnutls_pcert_st** certs, unsigned int* certs_length,
                        gnutls_ocsp_data_st** ocsp, unsigned int* ocsp_length,
                        gnutls_privkey_t* key, unsigned int* flags) {
  *ocsp = nullptr;
  *ocsp_length = 0;
  *flags = 0;
  auto* connection = static_cast<MHD_Connection*>(gnutls_session_get_ptr(session));
  if (connection == nullptr) return -1;
  const MHD_ConnectionInfo* info =
      MHD_get_connection_info(connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
  if (info == nullptr || info->socket_context == nullptr) return -1;
  return static_cast<HttpTls*>(info->socket_context)->Retrieve(certs, certs_length, key);
}

void NotifyConnection(void* cls, MHD_Connection* /*connection*/, void** socket_context,
                      MHD_ConnectionNotificationCode code) {
  if (code == MHD_CONNECTION_NOTIFY_STARTED) *socket_context = cls;
}

// Whether the connection's peer is on this host (a loopback address).
bool PeerIsLocal(MHD_Connection* connection) {
  const MHD_ConnectionInfo* info =
      MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  if (info == nullptr || info->client_addr == nullptr) return false;
  const sockaddr* address = info->client_addr;
  if (address->sa_family == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(address);
    return (ntohl(v4->sin_addr.s_addr) >> 24) == 127;
  }
  if (address->sa_family == AF_INET6) {
    const in6_addr& v6 = reinterpret_cast<const sockaddr_in6*>(address)->sin6_addr;
    if (IN6_IS_ADDR_LOOPBACK(&v6)) return true;
    return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
  }
  return false;
}

// Parses "host:port" / "[v6]:port" (numeric hosts and "localhost") into a socket address.
absl::Status ParseListen(const std::string& listen, sockaddr_storage* out) {
  auto bad = [&] {
    return absl::InvalidArgumentError("--http_listen " + listen +
                                      ": expected host:port or [ipv6]:port with a numeric host "
                                      "(or localhost)");
  };
  std::string host, port;
  if (!listen.empty() && listen[0] == '[') {
    size_t close = listen.find("]:");
    if (close == std::string::npos) return bad();
    host = listen.substr(1, close - 1);
    port = listen.substr(close + 2);
  } else {
    size_t colon = listen.rfind(':');
    if (colon == std::string::npos) return bad();
    host = listen.substr(0, colon);
    port = listen.substr(colon + 1);
  }
  if (port.empty() || port.size() > 5 ||
      port.find_first_not_of("0123456789") != std::string::npos || std::stoi(port) > 65535) {
    return bad();
  }
  if (host == "localhost" || host.empty()) host = host.empty() ? "0.0.0.0" : "127.0.0.1";
  std::memset(out, 0, sizeof(*out));
  auto* v4 = reinterpret_cast<sockaddr_in*>(out);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(out);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(std::stoi(port)));
  } else if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(std::stoi(port)));
  } else {
    return bad();
  }
  return absl::OkStatus();
}

}  // namespace

HttpServer::HttpServer(const HttpOptions& options, std::unique_ptr<api::OperationsApi> api)
    : options_(options),
      api_(std::move(api)),
      local_authenticator_(options.insecure),
      sealer_(options.session_secret),
      // Over TLS a browser checks the certificate's name, so DNS rebinding cannot reach gpopd
      // and the Host need not be a loopback name.
      routes_(api_.get(), &streams_,
              options.authenticator != nullptr ? options.authenticator : &local_authenticator_,
              SessionConfig{&sealer_, options.clock, options.session_ttl,
                            /*secure=*/!options.tls.cert_file.empty()},
              /*loopback_host_only=*/!options.insecure && options.tls.cert_file.empty(),
              options.metrics) {
  core::MutexLock lock(&mu_);
  pool_ = std::make_unique<api::BlockingPool>(options.blocking_threads);
}

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(
    const HttpOptions& options, std::unique_ptr<api::OperationsApi> api) {
  sockaddr_storage address;
  if (absl::Status s = ParseListen(options.listen, &address); !s.ok()) return s;
  const bool tls = !options.tls.cert_file.empty();
  if (!tls && !options.insecure && !api::IsLoopbackAddress(options.listen)) {
    return absl::InvalidArgumentError(
        "--http_listen " + options.listen +
        " is not a loopback address. Without TLS gpopd listens only on loopback (127.0.0.1, "
        "[::1], localhost): give --tls_cert and --tls_key (the gRPC port's, used by both), or "
        "pass --insecure to accept unencrypted, unauthenticated connections from the network "
        "anyway.");
  }
  if (options.io_threads < 1 || options.blocking_threads < 1) {
    return absl::InvalidArgumentError("the HTTP listener needs at least one thread of each kind");
  }
  std::unique_ptr<HttpServer> server(new HttpServer(options, std::move(api)));
  // No MHD_USE_ERROR_LOG: a viewer that went away is normal, not worth a log line.
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME;
  if (address.ss_family == AF_INET6) flags |= MHD_USE_IPv6;
  std::vector<MHD_OptionItem> items = {
      {MHD_OPTION_SOCK_ADDR, 0, &address},
      {MHD_OPTION_THREAD_POOL_SIZE, options.io_threads, nullptr},
      {MHD_OPTION_CONNECTION_LIMIT, static_cast<intptr_t>(options.max_connections), nullptr},
      {MHD_OPTION_CONNECTION_TIMEOUT, options.idle_timeout_seconds, nullptr},
      {MHD_OPTION_CONNECTION_MEMORY_LIMIT, 16 * 1024, nullptr},
      {MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024, nullptr},
      {MHD_OPTION_NOTIFY_COMPLETED, reinterpret_cast<intptr_t>(&CompletedTrampoline), nullptr},
  };
  if (tls) {
    if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
      return absl::FailedPreconditionError(
          "this libmicrohttpd is built without TLS; the HTTP listener cannot serve --tls_cert");
    }
    absl::StatusOr<std::unique_ptr<HttpTls>> files = HttpTls::Open(options.tls);
    if (!files.ok()) return files.status();
    server->tls_ = *std::move(files);
    flags |= MHD_USE_TLS;
    items.push_back({MHD_OPTION_NOTIFY_CONNECTION, reinterpret_cast<intptr_t>(&NotifyConnection),
                     server->tls_.get()});
    items.push_back(
        {MHD_OPTION_HTTPS_CERT_CALLBACK2, 0, reinterpret_cast<void*>(&RetrieveCertificate)});
    // TLS 1.2 and 1.3 only, as gRPC.
    items.push_back({MHD_OPTION_HTTPS_PRIORITIES, 0,
                     const_cast<char*>("NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2")});
    if (server->tls_->wants_client_certs()) {
      // Asks clients for a certificate; HttpTls verifies it against the current CA.
      items.push_back({MHD_OPTION_HTTPS_MEM_TRUST, 0,
                       const_cast<char*>(server->tls_->initial_client_ca().c_str())});
    }
  }
  items.push_back({MHD_OPTION_END, 0, nullptr});
  server->daemon_ = MHD_start_daemon(flags, 0, nullptr, nullptr, &RequestTrampoline, server.get(),
                                     MHD_OPTION_ARRAY, items.data(), MHD_OPTION_END);
  if (server->daemon_ == nullptr) {
    return absl::UnavailableError("cannot listen on " + options.listen + " for HTTP (in use?)");
  }
  const MHD_DaemonInfo* info = MHD_get_daemon_info(server->daemon_, MHD_DAEMON_INFO_BIND_PORT);
  server->port_ = info == nullptr ? 0 : info->port;
  api::Log(
      api::LogLevel::kInfo, {},
      std::string(tls ? "HTTPS" : "HTTP") + " listening on port " + std::to_string(server->port_));
  return server;
}

absl::Status HttpServer::ReloadTls() {
  if (tls_ == nullptr) return absl::OkStatus();
  absl::Status s = tls_->Reload();
  api::Log(s.ok() ? api::LogLevel::kInfo : api::LogLevel::kError, {},
           s.ok() ? "HTTPS certificate reloaded"
                  : "HTTPS reload failed, keeping the old files: " + s.ToString());
  return s;
}

HttpServer::~HttpServer() { Shutdown(); }

void HttpServer::Shutdown() {
  std::unique_ptr<api::BlockingPool> pool;
  {
    core::MutexLock lock(&mu_);
    if (stopping_) return;
    stopping_ = true;
    pool = std::move(pool_);
  }
  if (daemon_ == nullptr) return;
  // Every blocking call posted so far runs and resumes its connection; none is posted after.
  pool.reset();
  // No stream stays suspended: libmicrohttpd must not stop with a suspended connection.
  streams_.CloseAll();
  MHD_stop_daemon(daemon_);  // frees every response, so every stream and its cursor
  daemon_ = nullptr;
}

absl::Status HttpServer::PeerCertificate(void* connection_ptr, api::Credentials* transport) const {
  if (tls_ == nullptr || !tls_->wants_client_certs()) return absl::OkStatus();
  auto* connection = static_cast<MHD_Connection*>(connection_ptr);
  const MHD_ConnectionInfo* info =
      MHD_get_connection_info(connection, MHD_CONNECTION_INFO_GNUTLS_SESSION);
  if (info == nullptr || info->tls_session == nullptr) {
    return engine::MakeStatus(core::Code::kUnauthenticated, api::reason::kUnauthenticated,
                              "no TLS session");
  }
  absl::StatusOr<std::vector<std::string>> identities =
      tls_->ClientIdentities(static_cast<gnutls_session_t>(info->tls_session));
  if (!identities.ok()) return identities.status();
  if (identities->empty() && tls_->requires_client_cert()) {
    return engine::MakeStatus(core::Code::kUnauthenticated, api::reason::kUnauthenticated,
                              "this listener requires a client certificate (mutual TLS)");
  }
  transport->certificate_identities = *std::move(identities);
  return absl::OkStatus();
}

int HttpServer::OnRequest(void* connection_ptr, const char* url, const char* method,
                          const char* upload_data, size_t* upload_data_size, void** context) {
  auto* connection = static_cast<MHD_Connection*>(connection_ptr);
  if (*context == nullptr) {
    auto* exchange = new Exchange;
    exchange->request.method = method;
    exchange->request.path = url;
    MHD_get_connection_values(connection, MHD_HEADER_KIND, &Collect, &exchange->request.headers);
    MHD_get_connection_values(connection, MHD_GET_ARGUMENT_KIND, &Collect,
                              &exchange->request.query);
    MHD_get_connection_values(connection, MHD_COOKIE_KIND, &Collect, &exchange->request.cookies);
    exchange->request.transport.peer_is_local = PeerIsLocal(connection);
    exchange->peer_problem = PeerCertificate(connection, &exchange->request.transport);
    *context = exchange;
    return MHD_YES;
  }
  auto* exchange = static_cast<Exchange*>(*context);
  if (*upload_data_size != 0) {
    exchange->body_bytes += *upload_data_size;
    if (exchange->body_bytes > options_.max_body_bytes) {
      exchange->too_large = true;
    } else {
      exchange->request.body.append(upload_data, *upload_data_size);
    }
    *upload_data_size = 0;
    return MHD_YES;
  }
  if (exchange->routed) {  // resumed: the blocking call has answered
    std::optional<Reply> reply;
    {
      core::MutexLock lock(&exchange->mu);
      reply = std::move(exchange->ready);
    }
    if (!reply) return MHD_NO;
    return QueueReply(connection, *reply);
  }
  exchange->routed = true;
  if (exchange->too_large) {
    return QueueReply(connection,
                      ErrorReply(engine::MakeStatus(
                          core::Code::kInvalidArgument, core::reason::kInvalidField,
                          "body: larger than " + std::to_string(options_.max_body_bytes) + " bytes",
                          {{"field", "body"}})));
  }
  if (!exchange->peer_problem.ok()) {
    return QueueReply(connection, ErrorReply(exchange->peer_problem));
  }
  Answer answer = routes_.Handle(exchange->request);
  if (answer.reply) return QueueReply(connection, *answer.reply);
  if (answer.stream) return QueueStream(connection, std::move(answer.stream));
  core::MutexLock lock(&mu_);
  if (stopping_) {
    return QueueReply(connection, ErrorReply(engine::MakeStatus(
                                      core::Code::kUnavailable, core::reason::kShuttingDown,
                                      "gpopd is shutting down; retry", {})));
  }
  // Off the I/O thread: suspend, run on the pool, resume with the answer.
  MHD_suspend_connection(connection);
  pool_->Post([exchange, connection, task = std::move(answer.blocking)] {
    Reply reply = task();
    {
      core::MutexLock lock(&exchange->mu);
      exchange->ready = std::move(reply);
    }
    MHD_resume_connection(connection);
  });
  return MHD_YES;
}

}  // namespace gpop::http
