// gpopd's --metrics_listen flag (see metrics_flags.h).

#include "service/metrics/metrics_flags.h"

#include <string>

#include "absl/flags/flag.h"

ABSL_FLAG(std::string, metrics_listen, "",
          "Prometheus metrics only (GET /metrics, no credentials): host:port or [ipv6]:port, "
          "any address (it exposes counters only, no operation data); empty: none, /metrics is "
          "then on the HTTP listener alone.");

namespace gpop::metrics {

absl::StatusOr<std::unique_ptr<MetricsListener>> StartMetricsListenerFromFlags(Metrics* metrics) {
  const std::string listen = absl::GetFlag(FLAGS_metrics_listen);
  if (listen.empty()) return std::unique_ptr<MetricsListener>();
  return MetricsListener::Start(listen, [metrics] { return metrics->Scrape(); });
}

}  // namespace gpop::metrics
