// gpopd's metrics-only HTTP listener (see metrics_listener.h).

#include "service/metrics/metrics_listener.h"

#ifdef _WIN32
#include <winsock2.h>  // ahead of microhttpd.h, which needs the socket types
#include <ws2tcpip.h>
#else
#include <netinet/in.h>
#endif
#include <microhttpd.h>

#include <cstring>
#include <utility>

#include "service/api/log.h"
#include "service/metrics/metrics.h"
#include "service/platform/address.h"

namespace gpop::metrics {

namespace {

MHD_Result Reply(MHD_Connection* connection, unsigned int code, const std::string& body,
                 const char* content_type) {
  MHD_Response* response = MHD_create_response_from_buffer(
      body.size(), const_cast<char*>(body.data()), MHD_RESPMEM_MUST_COPY);
  if (response == nullptr) return MHD_NO;
  MHD_add_response_header(response, "Content-Type", content_type);
  if (code == MHD_HTTP_METHOD_NOT_ALLOWED) MHD_add_response_header(response, "Allow", "GET, HEAD");
  MHD_Result result = MHD_queue_response(connection, code, response);
  MHD_destroy_response(response);
  return result;
}

MHD_Result OnRequest(void* cls, MHD_Connection* connection, const char* url, const char* method,
                     const char* /*version*/, const char* /*upload_data*/, size_t* upload_data_size,
                     void** context) {
  // The first call only announces the headers; a request body (there should be none) is
  // read and dropped before the answer.
  static int headers_seen;
  if (*context == nullptr) {
    *context = &headers_seen;
    return MHD_YES;
  }
  if (*upload_data_size != 0) {
    *upload_data_size = 0;
    return MHD_YES;
  }
  const auto* scrape = static_cast<const std::function<std::string()>*>(cls);
  constexpr char kText[] = "text/plain; charset=utf-8";
  if (std::strcmp(url, "/metrics") != 0) {
    return Reply(connection, MHD_HTTP_NOT_FOUND, "only /metrics is served here\n", kText);
  }
  if (std::strcmp(method, "GET") != 0 && std::strcmp(method, "HEAD") != 0) {
    return Reply(connection, MHD_HTTP_METHOD_NOT_ALLOWED, "GET /metrics\n", kText);
  }
  return Reply(connection, MHD_HTTP_OK, (*scrape)(), Metrics::kContentType);
}

}  // namespace

absl::StatusOr<std::unique_ptr<MetricsListener>> MetricsListener::Start(
    const std::string& listen, std::function<std::string()> scrape) {
  std::optional<platform::ListenAddress> parsed = platform::ParseListenAddress(listen);
  if (!parsed) {
    return absl::InvalidArgumentError("--metrics_listen " + listen +
                                      ": expected host:port or [ipv6]:port with a numeric host "
                                      "(or localhost)");
  }
  sockaddr_storage address;
  std::memset(&address, 0, sizeof(address));
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD;
  if (parsed->ip.v6) {
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&address);
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(parsed->port);
    std::memcpy(&v6->sin6_addr, parsed->ip.bytes.data(), 16);
    flags |= MHD_USE_IPv6;
  } else {
    auto* v4 = reinterpret_cast<sockaddr_in*>(&address);
    v4->sin_family = AF_INET;
    v4->sin_port = htons(parsed->port);
    std::memcpy(&v4->sin_addr, parsed->ip.bytes.data(), 4);
  }
  std::unique_ptr<MetricsListener> listener(new MetricsListener(std::move(scrape)));
  // A scraper needs few connections; idle ones are closed after a while.
  listener->daemon_ = MHD_start_daemon(
      flags, 0, nullptr, nullptr, &OnRequest, &listener->scrape_,            //
      MHD_OPTION_SOCK_ADDR, reinterpret_cast<sockaddr*>(&address),           //
      MHD_OPTION_CONNECTION_LIMIT, 64u, MHD_OPTION_CONNECTION_TIMEOUT, 30u,  //
      MHD_OPTION_CONNECTION_MEMORY_LIMIT, static_cast<size_t>(16 * 1024), MHD_OPTION_END);
  if (listener->daemon_ == nullptr) {
    return absl::UnavailableError("cannot listen on " + listen + " for metrics (in use?)");
  }
  const MHD_DaemonInfo* info = MHD_get_daemon_info(listener->daemon_, MHD_DAEMON_INFO_BIND_PORT);
  listener->port_ = info == nullptr ? 0 : info->port;
  api::Log(api::LogLevel::kInfo, {},
           "metrics listening on port " + std::to_string(listener->port_) + " (GET /metrics)");
  return listener;
}

MetricsListener::~MetricsListener() {
  if (daemon_ != nullptr) MHD_stop_daemon(daemon_);
}

}  // namespace gpop::metrics
