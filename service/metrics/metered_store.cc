// The metered store (see metered_store.h).

#include "service/metrics/metered_store.h"

#include <algorithm>
#include <chrono>

namespace gpop::metrics {
namespace {

// Seconds: an fsync'd SQLite commit takes about a millisecond on a good disk, much more on a
// busy or networked one.
prometheus::Histogram::BucketBoundaries CommitBuckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};
}

// Changes per group commit: 1 when idle, more as operations and progress pile up meanwhile.
prometheus::Histogram::BucketBoundaries BatchBuckets() {
  return {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024};
}

}  // namespace

MeteredStore::MeteredStore(engine::Store* inner, prometheus::Registry& registry,
                           engine::Clock* clock)
    : ForwardingStore(inner),
      clock_(clock),
      commit_seconds_(prometheus::BuildHistogram()
                          .Name("gpop_store_commit_seconds")
                          .Help("Time of each group commit of the operation store.")
                          .Register(registry)
                          .Add({}, CommitBuckets())),
      batch_size_(prometheus::BuildHistogram()
                      .Name("gpop_store_commit_batch_size")
                      .Help("Changes (operation records and events) per group commit.")
                      .Register(registry)
                      .Add({}, BatchBuckets())),
      failures_(prometheus::BuildCounter()
                    .Name("gpop_store_commit_failures_total")
                    .Help("Group commits the operation store refused.")
                    .Register(registry)
                    .Add({})) {}

absl::Status MeteredStore::Commit(const std::vector<Change>& batch) {
  const engine::Time start = clock_->Now();
  absl::Status status = inner()->Commit(batch);
  // A clock stepped backwards would give a negative time: count it as none.
  const engine::Duration took = std::max(clock_->Now() - start, engine::Duration::zero());
  commit_seconds_.Observe(std::chrono::duration<double>(took).count());
  batch_size_.Observe(static_cast<double>(batch.size()));
  if (!status.ok()) failures_.Increment();
  return status;
}

}  // namespace gpop::metrics
