// MeteredStore: each commit's time (from the injected clock), its batch size and its failures
// reach the registry; every call reaches the store underneath.

#include "service/metrics/metered_store.h"

#include <chrono>
#include <string>

#include "gtest/gtest.h"
#include "prometheus/text_serializer.h"
#include "service/store/memory_store.h"
#include "tests/store/forwarding_store.h"

namespace gpop::metrics {
namespace {

// A MemoryStore whose commits take `commit_time` on `clock` and fail while `fail` is set.
class SlowStore final : public gpop::testing::ForwardingStore {
 public:
  explicit SlowStore(engine::FakeClock* clock) : ForwardingStore(&inner_), clock_(clock) {}
  absl::Status Commit(const std::vector<Change>& batch) override {
    clock_->Advance(commit_time);
    if (fail) return absl::UnavailableError("disk full");
    return ForwardingStore::Commit(batch);
  }

  engine::Duration commit_time = std::chrono::milliseconds(3);
  bool fail = false;

 private:
  engine::FakeClock* const clock_;
  store::MemoryStore inner_;
};

engine::Store::Change ChangeOf(const std::string& id, uint64_t revision) {
  engine::Store::Change change;
  change.record.id = id;
  change.record.last_sequence = 1;
  engine::Event event;
  event.operation_id = id;
  event.sequence = 1;
  event.revision = revision;
  change.event = event;
  return change;
}

// The value of the sample line `series` in the registry's text; -1 when absent.
double Sample(prometheus::Registry& registry, const std::string& series) {
  const std::string text = prometheus::TextSerializer().Serialize(registry.Collect());
  size_t at = text.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + series.size() + 2));
}

TEST(MeteredStoreTest, CommitTimeBatchSizeAndFailures) {
  engine::FakeClock clock;
  SlowStore inner(&clock);
  prometheus::Registry registry;
  MeteredStore store(&inner, registry, &clock);

  ASSERT_TRUE(store.Commit({ChangeOf("a", 1), ChangeOf("b", 2), ChangeOf("c", 3)}).ok());
  inner.commit_time = std::chrono::milliseconds(40);
  ASSERT_TRUE(store.Commit({ChangeOf("d", 4)}).ok());
  EXPECT_EQ(Sample(registry, "gpop_store_commit_seconds_count"), 2);
  EXPECT_DOUBLE_EQ(Sample(registry, "gpop_store_commit_seconds_sum"), 0.043);
  EXPECT_EQ(Sample(registry, "gpop_store_commit_seconds_bucket{le=\"0.005\"}"), 1);
  EXPECT_EQ(Sample(registry, "gpop_store_commit_seconds_bucket{le=\"0.05\"}"), 2);
  EXPECT_EQ(Sample(registry, "gpop_store_commit_batch_size_count"), 2);
  EXPECT_EQ(Sample(registry, "gpop_store_commit_batch_size_sum"), 4);
  EXPECT_EQ(Sample(registry, "gpop_store_commit_batch_size_bucket{le=\"2\"}"), 1);
  EXPECT_EQ(Sample(registry, "gpop_store_commit_failures_total"), 0);

  inner.fail = true;
  absl::Status failed = store.Commit({ChangeOf("e", 5)});
  EXPECT_EQ(failed.code(), absl::StatusCode::kUnavailable);  // passed through unchanged
  EXPECT_EQ(Sample(registry, "gpop_store_commit_failures_total"), 1);
  EXPECT_EQ(Sample(registry, "gpop_store_commit_seconds_count"), 3);

  // Loads and deletes go to the store underneath.
  absl::StatusOr<engine::Store::Snapshot> snapshot = store.Load();
  ASSERT_TRUE(snapshot.ok());
  EXPECT_EQ(snapshot->operations.size(), 4u);
  EXPECT_EQ(snapshot->revision, 4u);
  ASSERT_TRUE(store.Delete("a", engine::Removal::kExpired).ok());
  snapshot = store.Load();
  ASSERT_TRUE(snapshot.ok());
  EXPECT_EQ(snapshot->operations.size(), 3u);
}

}  // namespace
}  // namespace gpop::metrics
