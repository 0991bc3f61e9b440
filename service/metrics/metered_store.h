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
#include "service/store/forwarding_store.h"

namespace gpop::metrics {

// MeteredStore
//
// Forwards every call to `inner` (store::ForwardingStore) and records, in `registry`:
//
//   gpop_store_commit_seconds            each Commit's time (histogram; failed ones included)
//   gpop_store_commit_batch_size         the changes per Commit (histogram)
//   gpop_store_commit_failures_total     Commits that returned an error
//
// Time is read from `clock` (inject a FakeClock in tests). `inner`, `registry` and `clock` must
// outlive it. Thread-safe when `inner` is (prometheus-cpp's metrics are).
class MeteredStore final : public store::ForwardingStore {
 public:
  MeteredStore(engine::Store* inner, prometheus::Registry& registry, engine::Clock* clock);

  absl::Status Commit(const std::vector<Change>& batch) override;
  // The inner store's (one SQLite transaction), not one Delete after another.
  absl::Status DeleteAll(const std::vector<std::string>& operation_ids, engine::Removal why,
                         size_t* removed) override {
    return inner()->DeleteAll(operation_ids, why, removed);
  }

 private:
  engine::Clock* const clock_;
  prometheus::Histogram& commit_seconds_;
  prometheus::Histogram& batch_size_;
  prometheus::Counter& failures_;
};

}  // namespace gpop::metrics

#endif  // GPOP_SERVICE_METRICS_METERED_STORE_H_
