// gpopd's Prometheus metrics (prometheus-cpp): operations by kind and state, their durations,
// errors by reason, bytes backed up, and the engine's queue, running operations, open streams and
// resumes. The store's commits are measured by MeteredStore (metered_store.h) into the same
// registry.

#ifndef GPOP_SERVICE_METRICS_METRICS_H_
#define GPOP_SERVICE_METRICS_METRICS_H_

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>

#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "service/api/event_follower.h"
#include "service/core/mutex.h"
#include "service/engine/engine.h"

namespace gpop::metrics {

// Metrics
//
// Counts what the engine's events say (followed through an api::EventFollower from the revision
// current when it starts) and samples Engine::stats() at scrape time:
//
//   gpop_operations_started_total{kind}              operations created (or recovered)
//   gpop_operations_finished_total{kind,state}       SUCCEEDED, FAILED or CANCELLED
//   gpop_operation_duration_seconds{kind}            creation to end (histogram)
//   gpop_operation_errors_total{reason}              failed and cancelled ones, by error reason
//   gpop_backup_bytes_total                          bytes of the backups made (as the backend
//                                                    counted them, BackupInfo::bytes_written)
//   gpop_stream_resumes_total{stream}                status streams ("status") and watches
//                                                    ("watch") opened after a sequence/revision
//   gpop_operations_queued, gpop_operations_running, gpop_open_streams (streams and watchers),
//   gpop_open_watches, gpop_retained_operations, gpop_revision
//                                                    gauges, sampled by Scrape()
//
// Scrape() serializes all of `registry`, so metrics registered there by others (MeteredStore)
// come along. The events come through `followers`, shared with gpopd's other observers (the
// caller Starts it), or, when null, an api::EventFollower of its own. Construct after
// Engine::Recover; destroy before the engine and `followers`. Thread-safe.
class Metrics {
 public:
  explicit Metrics(
      engine::Engine* engine,
      std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>(),
      api::EventFollower* followers = nullptr);
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // The principal its watch stream counts against.
  static constexpr char kPrincipal[] = "gpopd-metrics";
  // The Content-Type of Scrape()'s text.
  static constexpr char kContentType[] = "text/plain; version=0.0.4; charset=utf-8";

  // Every metric in Prometheus' text exposition format.
  std::string Scrape() GPOP_EXCLUDES(mu_);

  // Waits until the events up to `revision` are counted (EventFollower::WaitForRevision).
  bool WaitForRevision(uint64_t revision, std::chrono::steady_clock::time_point deadline) {
    return followers_->WaitForRevision(revision, deadline);
  }

 private:
  void Count(const engine::Event& event);

  engine::Engine* const engine_;
  const std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& started_;
  prometheus::Family<prometheus::Counter>& finished_;
  prometheus::Family<prometheus::Histogram>& duration_;
  prometheus::Family<prometheus::Counter>& errors_;
  prometheus::Counter& backup_bytes_;
  prometheus::Family<prometheus::Counter>& resumes_;
  prometheus::Counter& resumed_status_streams_;
  prometheus::Counter& resumed_watches_;
  prometheus::Gauge& queued_;
  prometheus::Gauge& running_;
  prometheus::Gauge& open_streams_;
  prometheus::Gauge& open_watches_;
  prometheus::Gauge& retained_;
  prometheus::Gauge& revision_;
  core::Mutex mu_;  // one scrape samples the gauges at a time
  // Creation time of the operations seen and not yet ended; the follower's thread only.
  std::unordered_map<std::string, engine::Time> created_;
  // The families' children by kind (and state), looked up once each: Family::Add hashes its
  // label map at every call. The follower's thread only.
  static constexpr int kKinds = static_cast<int>(core::kLastOperationKind) + 1;
  static constexpr int kStates = static_cast<int>(core::OperationState::kCancelled) + 1;
  std::array<prometheus::Counter*, kKinds> started_by_kind_{};
  std::array<std::array<prometheus::Counter*, kStates>, kKinds> finished_by_kind_{};
  std::array<prometheus::Histogram*, kKinds> duration_by_kind_{};
  std::unique_ptr<api::EventFollower> own_;   // without shared followers
  api::EventFollower* followers_;             // own_ or the shared ones
  api::EventFollower::Subscription follows_;  // last: removed before the members it uses go
};

}  // namespace gpop::metrics

#endif  // GPOP_SERVICE_METRICS_METRICS_H_
