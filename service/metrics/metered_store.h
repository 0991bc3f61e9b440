// A Store that measures the engine's group commits: how long each takes and how many changes it
// carries, for gpopd's Prometheus metrics.

#ifndef GPOP_SERVICE_METRICS_METERED_STORE_H_
#define GPOP_SERVICE_METRICS_METERED_STORE_H_

#include <string>
#include <vector>

#include "prometheus/counter.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "service/engine/clock.h"
#include "service/engine/store.h"

namespace gpop::metrics {

// MeteredStore
//
// Forwards every call to `inner` and records, in `registry`:
//
//   gpop_store_commit_seconds            each Commit's time (histogram; failed ones included)
//   gpop_store_commit_batch_size         the changes per Commit (histogram)
//   gpop_store_commit_failures_total     Commits that returned an error
//
// Time is read from `clock` (inject a FakeClock in tests). `inner`, `registry` and `clock` must
// outlive it. Thread-safe when `inner` is (prometheus-cpp's metrics are).
class MeteredStore final : public engine::Store {
 public:
  MeteredStore(engine::Store* inner, prometheus::Registry& registry, engine::Clock* clock);

  absl::Status Commit(const std::vector<Change>& batch) override;
  absl::Status Delete(const std::string& operation_id, engine::Removal why) override {
    return inner_->Delete(operation_id, why);
  }
  using engine::Store::Load;
  absl::StatusOr<Snapshot> Load(const LoadOptions& options) override {
    return inner_->Load(options);
  }
  absl::StatusOr<std::vector<engine::Event>> ReadEvents(const std::string& operation_id,
                                                        uint64_t after_sequence,
                                                        const PageLimits& limits) override {
    return inner_->ReadEvents(operation_id, after_sequence, limits);
  }
  absl::StatusOr<std::vector<engine::Event>> ReadRevisions(uint64_t after_revision,
                                                           const PageLimits& limits) override {
    return inner_->ReadRevisions(after_revision, limits);
  }
  absl::StatusOr<std::string> ReadResult(const std::string& operation_id) override {
    return inner_->ReadResult(operation_id);
  }
  absl::StatusOr<engine::OperationRecord> ReadOperation(const std::string& id) override {
    return inner_->ReadOperation(id);
  }
  absl::StatusOr<engine::OperationRecord> FindRequest(const std::string& principal,
                                                      const std::string& request_id) override {
    return inner_->FindRequest(principal, request_id);
  }
  absl::StatusOr<std::optional<engine::Removal>> RemovalOf(const std::string& id) override {
    return inner_->RemovalOf(id);
  }
  absl::StatusOr<std::vector<Listed>> ListOperations(const ListPosition& before,
                                                     size_t max) override {
    return inner_->ListOperations(before, max);
  }

 private:
  engine::Store* const inner_;
  engine::Clock* const clock_;
  prometheus::Histogram& commit_seconds_;
  prometheus::Histogram& batch_size_;
  prometheus::Counter& failures_;
};

}  // namespace gpop::metrics

#endif  // GPOP_SERVICE_METRICS_METERED_STORE_H_
