// gpopd's Prometheus metrics (see metrics.h).

#include "service/metrics/metrics.h"

#include <chrono>
#include <utility>
#include <variant>

#include "prometheus/text_serializer.h"

namespace gpop::metrics {
namespace {

// Seconds: GPMC calls take from a fraction of a second to minutes.
const prometheus::Histogram::BucketBoundaries& DurationBuckets() {
  static const auto* buckets = new prometheus::Histogram::BucketBoundaries{
      0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 3600};
  return *buckets;
}

bool Terminal(core::OperationState state) {
  return state == core::OperationState::kSucceeded || state == core::OperationState::kFailed ||
         state == core::OperationState::kCancelled;
}

// Raises `counter` to `total`, a count the engine keeps (counters only ever go up).
void CatchUp(prometheus::Counter& counter, uint64_t total) {
  const double behind = static_cast<double>(total) - counter.Value();
  if (behind > 0) counter.Increment(behind);
}

prometheus::Gauge& UnlabelledGauge(prometheus::Registry& registry, const std::string& name,
                                   const std::string& help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(registry).Add({});
}

}  // namespace

Metrics::Metrics(engine::Engine* engine, std::shared_ptr<prometheus::Registry> registry,
                 api::EventFollower* followers)
    : engine_(engine),
      registry_(std::move(registry)),
      started_(prometheus::BuildCounter()
                   .Name("gpop_operations_started_total")
                   .Help("Operations created, by kind.")
                   .Register(*registry_)),
      finished_(prometheus::BuildCounter()
                    .Name("gpop_operations_finished_total")
                    .Help("Operations ended, by kind and final state.")
                    .Register(*registry_)),
      duration_(prometheus::BuildHistogram()
                    .Name("gpop_operation_duration_seconds")
                    .Help("Operations' time from creation to end, by kind.")
                    .Register(*registry_)),
      errors_(prometheus::BuildCounter()
                  .Name("gpop_operation_errors_total")
                  .Help("Operations failed or cancelled, by error reason.")
                  .Register(*registry_)),
      backup_bytes_(prometheus::BuildCounter()
                        .Name("gpop_backup_bytes_total")
                        .Help("Bytes written by the backups made, as their backends counted them.")
                        .Register(*registry_)
                        .Add({})),
      resumes_(prometheus::BuildCounter()
                   .Name("gpop_stream_resumes_total")
                   .Help("Streams opened after a sequence (status) or revision (watch) > 0.")
                   .Register(*registry_)),
      resumed_status_streams_(resumes_.Add({{"stream", "status"}})),
      resumed_watches_(resumes_.Add({{"stream", "watch"}})),
      queued_(UnlabelledGauge(*registry_, "gpop_operations_queued",
                              "Operations waiting for a worker.")),
      running_(UnlabelledGauge(*registry_, "gpop_operations_running", "Operations running now.")),
      open_streams_(
          UnlabelledGauge(*registry_, "gpop_open_streams",
                          "Status streams and watchers open now (gpopd's own included).")),
      open_watches_(UnlabelledGauge(*registry_, "gpop_open_watches",
                                    "Watchers open now (gpopd's own included).")),
      retained_(UnlabelledGauge(*registry_, "gpop_retained_operations",
                                "Operations held by the engine.")),
      revision_(UnlabelledGauge(*registry_, "gpop_revision", "The engine's current revision.")),
      own_(followers == nullptr ? std::make_unique<api::EventFollower>(engine, kPrincipal)
                                : nullptr),
      followers_(followers == nullptr ? own_.get() : followers) {
  follows_ = followers_->Add({"operation metrics are not counted",
                              [this](const engine::Event& event) { Count(event); },
                              /*on_batch_end=*/nullptr, /*after_revision=*/std::nullopt});
  if (own_ != nullptr) own_->Start();
}

std::string Metrics::Scrape() {
  core::MutexLock lock(&mu_);
  const engine::Engine::Stats stats = engine_->stats();
  queued_.Set(stats.queued);
  running_.Set(stats.running);
  open_streams_.Set(stats.open_streams);
  open_watches_.Set(stats.open_watches);
  CatchUp(resumed_status_streams_, stats.resumed_status_streams);
  CatchUp(resumed_watches_, stats.resumed_watches);
  retained_.Set(stats.retained_operations);
  revision_.Set(static_cast<double>(stats.revision));
  return prometheus::TextSerializer().Serialize(registry_->Collect());
}

void Metrics::Count(const engine::Event& event) {
  const int k = static_cast<int>(event.kind);
  const int st = static_cast<int>(event.state);
  const bool cached = k >= 0 && k < kKinds && st >= 0 && st < kStates;
  const char* kind = core::KindName(event.kind);
  auto it = created_.find(event.operation_id);
  if (it == created_.end()) {  // first seen: created now, or recovered at startup
    prometheus::Counter* started = cached ? started_by_kind_[k] : nullptr;
    if (started == nullptr) {
      started = &started_.Add({{"kind", kind}});
      if (cached) started_by_kind_[k] = started;
    }
    started->Increment();
    engine::Time created = event.time;
    if (event.state != core::OperationState::kQueued) {
      if (absl::StatusOr<engine::OperationRecord> record =
              engine_->Get(kPrincipal, event.operation_id);
          record.ok()) {
        created = record->create_time;  // created before gpopd followed it (recovered)
      }
    }
    it = created_.emplace(event.operation_id, created).first;
  }
  if (!Terminal(event.state)) return;
  if (const auto* backup = std::get_if<core::BackupInfo>(&event.result);
      backup != nullptr && backup->bytes_written) {
    backup_bytes_.Increment(static_cast<double>(*backup->bytes_written));
  }
  prometheus::Counter* finished = cached ? finished_by_kind_[k][st] : nullptr;
  if (finished == nullptr) {
    finished = &finished_.Add({{"kind", kind}, {"state", core::StateName(event.state)}});
    if (cached) finished_by_kind_[k][st] = finished;
  }
  finished->Increment();
  prometheus::Histogram* duration = cached ? duration_by_kind_[k] : nullptr;
  if (duration == nullptr) {
    duration = &duration_.Add({{"kind", kind}}, DurationBuckets());
    if (cached) duration_by_kind_[k] = duration;
  }
  duration->Observe(std::chrono::duration<double>(event.time - it->second).count());
  if (event.error) errors_.Add({{"reason", event.error->reason}}).Increment();
  created_.erase(it);
}

}  // namespace gpop::metrics
