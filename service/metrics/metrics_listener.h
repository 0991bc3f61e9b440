// gpopd's metrics-only HTTP listener (`--metrics_listen`): GET /metrics and nothing else, so that
// a Prometheus server in another pod or host can scrape gpopd.
//
// Why a listener of its own rather than /metrics on the HTTP listener: the HTTP listener serves
// the whole API (operations, backups, the dashboard) and stays on loopback unless TLS or
// --insecure; opening it to the network only to be scraped would expose all of that. This one
// exposes only counters and gauges (operation kinds, states, error reasons, sizes: no GPO names,
// ids, principals or tokens), so it may bind any address without TLS or credentials, as
// Prometheus exporters commonly do. The HTTP listener keeps its authenticated /metrics.

#ifndef GPOP_SERVICE_METRICS_METRICS_LISTENER_H_
#define GPOP_SERVICE_METRICS_METRICS_LISTENER_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

struct MHD_Daemon;

namespace gpop::metrics {

// MetricsListener
//
// Answers GET (and HEAD) /metrics with `scrape()` as Prometheus' text format; any other path is
// 404, any other method 405. One libmicrohttpd polling thread; `scrape` is called on it and must
// be thread-safe (Metrics::Scrape is). Stops when destroyed. Thread-safe.
class MetricsListener {
 public:
  // Listens on `listen` ("host:port" or "[ipv6]:port", numeric host or localhost; port 0: any
  // free port). INVALID_ARGUMENT for a malformed address, UNAVAILABLE when it cannot bind.
  static absl::StatusOr<std::unique_ptr<MetricsListener>> Start(
      const std::string& listen, std::function<std::string()> scrape);
  ~MetricsListener();
  MetricsListener(const MetricsListener&) = delete;
  MetricsListener& operator=(const MetricsListener&) = delete;

  int port() const { return port_; }

 private:
  explicit MetricsListener(std::function<std::string()> scrape) : scrape_(std::move(scrape)) {}

  std::function<std::string()> scrape_;  // passed to libmicrohttpd as its context
  MHD_Daemon* daemon_ = nullptr;         // set once in Start, stopped in the destructor
  int port_ = 0;
};

}  // namespace gpop::metrics

#endif  // GPOP_SERVICE_METRICS_METRICS_LISTENER_H_
