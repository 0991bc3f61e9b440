// gpopd's HTTP listener: gpop.v1 as HTTP/JSON and Server-Sent Events (routes.h) and the
// dashboard, served by libmicrohttpd.
//
// Why libmicrohttpd: Debian ships and maintains it, it is small, it can suspend a connection
// (an idle SSE stream then holds no thread and ~one socket and buffer), and its internal
// epoll thread pool keeps the thread count fixed however many viewers connect.

#ifndef GPOP_SERVICE_HTTP_HTTP_SERVER_H_
#define GPOP_SERVICE_HTTP_HTTP_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "service/api/auth/local_authenticator.h"
#include "service/api/blocking_pool.h"
#include "service/api/operations_api.h"
#include "service/core/mutex.h"
#include "service/http/http_tls.h"
#include "service/http/routes.h"
#include "service/http/session.h"
#include "service/http/sse_stream.h"
#include "service/metrics/metrics.h"

struct MHD_Daemon;

namespace gpop::http {

// HttpOptions
//
// How the HTTP listener listens.
struct HttpOptions {
  // "host:port" or "[v6]:port"; port 0 picks a free port. Loopback only unless TLS or
  // `insecure`, as for the gRPC port.
  std::string listen = "127.0.0.1:8080";
  bool insecure = false;
  // HTTPS with the gRPC port's certificate, key and client CA (http_tls.h); empty cert_file:
  // plain HTTP. staging_dir is not used (the HTTP listener keeps the checked files in memory).
  api::TlsOptions tls;
  // Who callers are, as for the gRPC port; must outlive the server. Null: no credentials are
  // configured, and loopback callers act as the implicit admin (api::LocalAuthenticator).
  const api::Authenticator* authenticator = nullptr;
  // The dashboard's session cookies (session.h): the secret their keys derive from (empty: a
  // random one per process, so sessions end with the process), how long one lasts, and the
  // clock that dates them (null: the system clock; must outlive the server).
  std::string session_secret;
  engine::Duration session_ttl = std::chrono::hours(8);
  engine::Clock* clock = nullptr;
  // Served at GET /metrics when set (callers authenticate as for /v1); must outlive the server.
  metrics::Metrics* metrics = nullptr;
  // libmicrohttpd's event-loop threads; every connection, streams included, is served by one.
  int io_threads = 2;
  // Threads for calls that may block (StartOperation, Cancel, ListGpos, ListBackups).
  int blocking_threads = 2;
  // Open connections at most (streams count); beyond, new connections are refused.
  unsigned max_connections = 4096;
  // Request bodies larger than this are refused (413).
  size_t max_body_bytes = 1 << 20;
  // An idle keep-alive connection (not a stream: suspended streams never time out; a dead
  // viewer is noticed when its next heartbeat cannot be written) is closed after this long.
  unsigned idle_timeout_seconds = 60;
};

// HttpServer
//
// A running HTTP listener over its own `api` (OperationsApi is stateless over the engine, so this
// instance and the gRPC server's behave as one). Thread-safe. The engine and backend behind `api`
// must outlive it; every stream cursor is destroyed by Shutdown, before the engine may go.
class HttpServer {
 public:
  // Errors: INVALID_ARGUMENT for a malformed or (without TLS or `insecure`) non-loopback
  // address or bad TLS files, UNAVAILABLE when it cannot be bound.
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(const HttpOptions& options,
                                                           std::unique_ptr<api::OperationsApi> api);
  ~HttpServer();  // Shutdown()
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  int port() const { return port_; }
  // Streams open now.
  size_t open_streams() { return streams_.size(); }

  // SIGHUP: reads and checks the TLS files again; new handshakes use them, open connections and
  // streams keep theirs. OK without TLS. On error the old files stay in use.
  absl::Status ReloadTls();

  // Stops accepting, answers the blocking calls in flight, ends every stream (a last
  // "unavailable" event: clients reconnect with Last-Event-ID to the next gpopd), closes every
  // connection. Idempotent; blocks until done. Call after the engine's planned shutdown, which
  // has already ended the streams with their cursors.
  void Shutdown() GPOP_EXCLUDES(mu_);

  // libmicrohttpd's callbacks (public for the C trampolines in http_server.cc).
  struct Exchange;
  int OnRequest(void* connection, const char* url, const char* method, const char* upload_data,
                size_t* upload_data_size, void** context) GPOP_EXCLUDES(mu_);
  // The verified client certificate of `connection` into `transport`; UNAUTHENTICATED for one
  // that does not verify, or for none when --tls_require_client_cert.
  absl::Status PeerCertificate(void* connection, api::Credentials* transport) const;

 private:
  HttpServer(const HttpOptions& options, std::unique_ptr<api::OperationsApi> api);

  const HttpOptions options_;
  const std::unique_ptr<api::OperationsApi> api_;
  std::unique_ptr<HttpTls> tls_;  // null without TLS; set before the daemon starts
  StreamRegistry streams_;
  api::LocalAuthenticator local_authenticator_;  // when options_.authenticator is null
  const SessionSealer sealer_;
  Routes routes_;
  MHD_Daemon* daemon_ = nullptr;
  int port_ = 0;
  core::Mutex mu_;
  bool stopping_ GPOP_GUARDED_BY(mu_) = false;
  std::unique_ptr<api::BlockingPool> pool_ GPOP_GUARDED_BY(mu_);
};

}  // namespace gpop::http

#endif  // GPOP_SERVICE_HTTP_HTTP_SERVER_H_
