// The operation table: every retained operation by id and in creation order, request_id
// idempotency keys, the ids removed by retention (they answer OPERATION_EXPIRED) and the finished
// operations in the order retention removes them.

#ifndef GPOP_SERVICE_ENGINE_OPERATION_TABLE_H_
#define GPOP_SERVICE_ENGINE_OPERATION_TABLE_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "service/engine/operation.h"

namespace gpop::engine {

// OperationTable
//
// Owns the engine's Ops. Not thread-safe (the engine guards it with its mutex).
class OperationTable {
 public:
  // `max_expired`: how many removed ids are remembered as expired (oldest forgotten first).
  explicit OperationTable(size_t max_expired = 100000);

  // Takes ownership; assigns op->create_index and registers the op's request_id, if any.
  Op* Add(std::unique_ptr<Op> op);
  Op* Find(const std::string& id) const;
  // The operation a principal created with `request_id`, or null.
  Op* FindByRequest(const std::string& principal, const std::string& request_id) const;

  // Drops an operation that never became visible (its Start failed): no trace remains.
  void Forget(const std::string& id);
  // Removes a finished operation (retention, Delete); its id is remembered as expired.
  void Remove(const std::string& id);

  bool IsExpired(const std::string& id) const { return expired_.count(id) > 0; }
  // An id removed before a restart (recovery).
  void AddExpired(const std::string& id);

  // Count-based retention: finished operations, oldest first. Indexed: marking and removing
  // cost O(log n), whatever the number retained.
  void MarkFinished(Op* op);
  size_t finished_count() const { return finished_.size(); }
  // The oldest `n` finished operations' ids.
  std::vector<std::string> OldestFinished(size_t n) const;

  // Operations in creation order (create_index -> op), for listing.
  const std::map<uint64_t, Op*>& by_creation() const { return by_index_; }
  const std::map<std::string, std::unique_ptr<Op>>& all() const { return ops_; }
  size_t size() const { return ops_.size(); }

 private:
  void Erase(const std::string& id);

  const size_t max_expired_;
  std::map<std::string, std::unique_ptr<Op>> ops_;
  std::map<uint64_t, Op*> by_index_;
  uint64_t next_create_index_ = 1;
  std::map<std::pair<std::string, std::string>, std::string> idempotency_;
  std::set<std::string> expired_;
  std::deque<std::string> expired_order_;
  std::map<uint64_t, std::string> finished_;  // finish_index -> id
  uint64_t next_finish_index_ = 1;
};

}  // namespace gpop::engine

#endif  // GPOP_SERVICE_ENGINE_OPERATION_TABLE_H_
