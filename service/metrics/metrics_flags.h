// gpopd's --metrics_listen flag: the metrics-only listener (metrics_listener.h) from the command
// line.

#ifndef GPOP_SERVICE_METRICS_METRICS_FLAGS_H_
#define GPOP_SERVICE_METRICS_METRICS_FLAGS_H_

#include <memory>

#include "absl/status/statusor.h"
#include "service/metrics/metrics.h"
#include "service/metrics/metrics_listener.h"

namespace gpop::metrics {

// StartMetricsListenerFromFlags
//
// The listener of --metrics_listen over `metrics`, or nullptr when the flag is empty (the
// default: /metrics is then served only by the HTTP listener).
absl::StatusOr<std::unique_ptr<MetricsListener>> StartMetricsListenerFromFlags(Metrics* metrics);

}  // namespace gpop::metrics

#endif  // GPOP_SERVICE_METRICS_METRICS_FLAGS_H_
