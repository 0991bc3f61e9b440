// An in-memory engine::Store: durable for the life of the process only. The store of engine tests
// (where it can be told to fail) and of benchmarks' baseline; gpopd uses SqliteStore.

#ifndef GPOP_SERVICE_STORE_MEMORY_STORE_H_
#define GPOP_SERVICE_STORE_MEMORY_STORE_H_

#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "service/core/mutex.h"
#include "service/engine/store.h"

namespace gpop::store {

// MemoryStore
//
// Keeps every committed change in memory (a result's bytes are shared with the engine's
// change, not copied). Thread-safe.
class MemoryStore final : public engine::Store {
 public:
  using engine::Store::Load;
  absl::Status Commit(const std::vector<Change>& batch) override;
  bool CommitBlocks() const override { return false; }
  absl::Status Delete(const std::string& operation_id, engine::Removal why) override;
  absl::StatusOr<Snapshot> Load(const LoadOptions& options) override;
  absl::StatusOr<std::vector<engine::Event>> ReadEvents(const std::string& operation_id,
                                                        uint64_t after_sequence,
                                                        const PageLimits& limits) override;
  absl::StatusOr<std::vector<engine::Event>> ReadRevisions(uint64_t after_revision,
                                                           const PageLimits& limits) override;
  absl::StatusOr<std::string> ReadResult(const std::string& operation_id) override;
  absl::StatusOr<engine::OperationRecord> ReadOperation(const std::string& operation_id) override;
  absl::StatusOr<engine::OperationRecord> FindRequest(const std::string& principal,
                                                      const std::string& request_id) override;
  absl::StatusOr<std::optional<engine::Removal>> RemovalOf(
      const std::string& operation_id) override;
  absl::StatusOr<std::vector<Listed>> ListOperations(const ListPosition& before,
                                                     size_t max) override;

  // Test hooks: make the next commits fail; count commits (group commit shows as fewer
  // commits than events).
  void FailCommits(bool fail);
  // The next `n` commits succeed, every later one fails (a store that breaks mid-run).
  void FailCommitsAfter(int n);
  int commits();
  int64_t events_written();

 private:
  core::Mutex mu_;
  // Hash maps by id: their cost does not grow with the number retained (the ordered maps'
  // string compares made a Start at 100,000 retained cost about 3x one at 1,000).
  std::unordered_map<std::string, engine::OperationRecord> operations_ GPOP_GUARDED_BY(mu_);
  static constexpr size_t kExpiredIdsKept = 100000;
  std::map<uint64_t, engine::Event> events_ GPOP_GUARDED_BY(mu_);  // by revision
  // Per operation: its events' revisions in sequence order.
  std::unordered_map<std::string, std::vector<uint64_t>> revisions_by_operation_
      GPOP_GUARDED_BY(mu_);
  std::unordered_map<std::string, std::shared_ptr<const std::string>> results_ GPOP_GUARDED_BY(mu_);
  // Removed ids, with why each was removed (the newest kExpiredIdsKept: about 20 MiB at most),
  // and the same in removal order, oldest first (the map's keys: nodes keep their place).
  std::unordered_map<std::string, engine::Removal> expired_ids_ GPOP_GUARDED_BY(mu_);
  std::deque<const std::string*> expired_ GPOP_GUARDED_BY(mu_);
  // Indexes over operations_: (principal, request_id) -> id, and creation order.
  std::map<std::pair<std::string, std::string>, std::string> requests_ GPOP_GUARDED_BY(mu_);
  std::map<uint64_t, std::string> by_creation_ GPOP_GUARDED_BY(mu_);  // first revision -> id
  std::unordered_map<std::string, uint64_t> creation_of_ GPOP_GUARDED_BY(mu_);
  uint64_t revision_ GPOP_GUARDED_BY(mu_) = 0;
  bool fail_ GPOP_GUARDED_BY(mu_) = false;
  int fail_after_ GPOP_GUARDED_BY(mu_) = -1;  // < 0: no countdown
  int commits_ GPOP_GUARDED_BY(mu_) = 0;
  int64_t events_written_ GPOP_GUARDED_BY(mu_) = 0;
};

}  // namespace gpop::store

#endif  // GPOP_SERVICE_STORE_MEMORY_STORE_H_
