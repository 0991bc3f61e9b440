// The operation table: the operations the engine holds in memory (every live one and a bounded
// cache of recently finished ones) by id and in creation order, their request_id idempotency
// keys, and the ids of every retained finished operation in the order retention removes them.
// Finished operations beyond the cache live in the store only; the engine reads them from there.
// What stays in memory of each of those is its id and end time in retention's order (about
// 150 bytes), nothing else: no timer, no record.

#ifndef GPOP_SERVICE_ENGINE_OPERATION_TABLE_H_
#define GPOP_SERVICE_ENGINE_OPERATION_TABLE_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "service/engine/operation.h"
#include "service/engine/store.h"

namespace gpop::engine {

// OperationTable
//
// Owns the engine's resident Ops. Not thread-safe (the engine guards it with its mutex).
class OperationTable {
 public:
  // `max_cached_finished`: how many finished operations stay resident after their terminal
  // event is durable (pinned ones do not count).
  explicit OperationTable(size_t max_cached_finished = 1000);

  // Takes ownership; assigns op->create_index and registers the op's request_id, if any.
  Op* Add(std::unique_ptr<Op> op);
  // A resident operation, or null (finished ones may be in the store only).
  Op* Find(const std::string& id) const;
  // The resident operation a principal created with `request_id`, or null.
  Op* FindByRequest(const std::string& principal, const std::string& request_id) const;

  // Drops an operation that never became visible (its Start failed): no trace remains.
  void Forget(const std::string& id);

  // --- Retention: every retained finished operation, resident or not ---

  // Retention's order: finished operations in the order they finished (by count: the oldest
  // go first; by age: from the oldest, while their end time is old enough). Indexed: marking
  // and removing cost O(1) (a hash lookup), whatever the number retained.
  //
  // MarkFinished takes the op's end time (rec.end_time: its terminal event was appended).
  void MarkFinished(Op* op);
  // A finished operation that is in the store only (recovery), which ended at `end_time`.
  void MarkFinishedId(const std::string& id, Time end_time = Time());
  bool IsFinished(const std::string& id) const { return finish_index_.count(id) > 0; }
  size_t finished_count() const { return finish_index_.size(); }
  // The oldest `n` finished operations' ids.
  std::vector<std::string> OldestFinished(size_t n) const;
  // The end time of the oldest finished operation (in finish order), if any.
  std::optional<Time> OldestFinishedEnd() const;
  // Up to `n` of the oldest finished operations, in finish order, that ended at or before
  // `cutoff`: it stops at the first that ended later (end times follow the finish order, but
  // for a clock stepped back; one that finished later and ended earlier waits for those before
  // it).
  std::vector<std::string> FinishedBy(Time cutoff, size_t n) const;
  // Removes a finished operation (retention, Delete: `why`), resident or not, in two steps
  // around the store's delete. BeginRemove marks it: it stays retained and readable (the store
  // still has it), and no second removal of it begins; false if it is not finished or already
  // being removed. EndRemove completes it once the store deleted it (the operation leaves
  // memory and answers `why` from here on) or, when the store refused (`deleted` false), drops
  // the mark: the operation stays, in its place in the retention order.
  bool BeginRemove(const std::string& id, Removal why);
  void EndRemove(const std::string& id, bool deleted);
  bool IsRemoving(const std::string& id) const { return removing_.count(id) > 0; }
  // Why `id` was removed, for the last `kRecentRemovals` completed removals (cursors opened
  // before a removal end with the reason it deserves); nullopt otherwise (the store answers for
  // older ones).
  std::optional<Removal> RemovalOf(const std::string& id) const;
  static constexpr size_t kRecentRemovals = 4096;
  // Counts every completed removal: a reader that read the store before one reads again.
  uint64_t removals() const { return removals_; }

  // --- The cache of finished operations ---

  // `op`'s terminal event is durable: it may leave memory once it is among the oldest beyond
  // the cache's size and no pin holds it.
  void Cache(Op* op);
  // A pin keeps a resident operation in memory (a stream or a call reading it).
  void Pin(Op* op);
  void Unpin(const std::string& id);
  // Counts every eviction: an idempotency lookup that missed in memory and in the store before
  // one looks again.
  uint64_t evictions() const { return evictions_; }

  // Resident operations in creation order (create_index -> op).
  const std::map<uint64_t, Op*>& by_creation() const { return by_index_; }
  const std::map<std::string, std::unique_ptr<Op>>& all() const { return ops_; }
  size_t size() const { return ops_.size(); }
  // Operations retained: unfinished ones (always resident) and every finished one.
  size_t retained() const { return ops_.size() - resident_finished_ + finish_index_.size(); }

 private:
  void Erase(const std::string& id);
  void EvictExcess();
  uint64_t AppendFinished(const std::string& id, Time end_time);
  void PopRemovedFinished();

  // One entry of retention's order: the id is the key of its finish_index_ entry (nodes of an
  // unordered_map keep their place), null once removed (a gap until it reaches the front).
  struct Finished {
    const std::string* id;
    Time end_time;
  };

  const size_t max_cached_finished_;
  std::map<std::string, std::unique_ptr<Op>> ops_;
  std::map<uint64_t, Op*> by_index_;
  uint64_t next_create_index_ = 1;
  std::map<std::pair<std::string, std::string>, std::string> idempotency_;
  std::deque<Finished> finished_;  // finished_[i] has finish index finished_base_ + i
  uint64_t finished_base_ = 1;
  std::unordered_map<std::string, uint64_t> finish_index_;  // id -> finish index
  size_t resident_finished_ = 0;           // resident ops with a finish_index
  std::map<uint64_t, std::string> cache_;  // cache_index -> id, oldest first; unpinned only
  uint64_t next_cache_index_ = 1;
  std::map<std::string, Removal> removing_;
  std::map<std::string, Removal> recent_removals_;  // done, the last kRecentRemovals
  std::deque<std::string> recent_order_;            // the same ids, oldest first
  uint64_t removals_ = 0;
  uint64_t evictions_ = 0;
};

}  // namespace gpop::engine

#endif  // GPOP_SERVICE_ENGINE_OPERATION_TABLE_H_
