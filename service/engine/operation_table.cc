#include "service/engine/operation_table.h"

namespace gpop::engine {

OperationTable::OperationTable(size_t max_cached_finished)
    : max_cached_finished_(max_cached_finished) {}

Op* OperationTable::Add(std::unique_ptr<Op> op) {
  Op* raw = op.get();
  raw->create_index = next_create_index_++;
  by_index_[raw->create_index] = raw;
  if (!raw->rec.request_id.empty()) {
    idempotency_[{raw->rec.principal, raw->rec.request_id}] = raw->rec.id;
  }
  if (auto it = finish_index_.find(raw->rec.id); it != finish_index_.end()) {
    raw->finish_index = it->second;  // read back from the store
    ++resident_finished_;
  }
  ops_[raw->rec.id] = std::move(op);
  return raw;
}

Op* OperationTable::Find(const std::string& id) const {
  auto it = ops_.find(id);
  return it == ops_.end() ? nullptr : it->second.get();
}

Op* OperationTable::FindByRequest(const std::string& principal,
                                  const std::string& request_id) const {
  auto it = idempotency_.find({principal, request_id});
  return it == idempotency_.end() ? nullptr : Find(it->second);
}

void OperationTable::Erase(const std::string& id) {
  auto it = ops_.find(id);
  if (it == ops_.end()) return;
  Op* op = it->second.get();
  by_index_.erase(op->create_index);
  if (op->cache_index != 0) cache_.erase(op->cache_index);
  if (op->finish_index != 0) --resident_finished_;
  if (!op->rec.request_id.empty()) idempotency_.erase({op->rec.principal, op->rec.request_id});
  ops_.erase(it);
}

void OperationTable::Forget(const std::string& id) { Erase(id); }

uint64_t OperationTable::AppendFinished(const std::string& id, Time end_time) {
  uint64_t index = finished_base_ + finished_.size();
  auto [it, added] = finish_index_.emplace(id, index);
  if (!added) return 0;
  finished_.push_back({&it->first, end_time});
  return index;
}

void OperationTable::PopRemovedFinished() {
  while (!finished_.empty() && finished_.front().id == nullptr) {
    finished_.pop_front();
    ++finished_base_;
  }
}

void OperationTable::MarkFinished(Op* op) {
  if (op->finish_index != 0) return;
  uint64_t index =
      AppendFinished(op->rec.id, op->rec.end_time.value_or(op->rec.create_time));
  if (index == 0) return;
  op->finish_index = index;
  ++resident_finished_;
}

void OperationTable::MarkFinishedId(const std::string& id, Time end_time) {
  (void)AppendFinished(id, end_time);
}

bool OperationTable::BeginRemove(const std::string& id, Removal why) {
  if (finish_index_.count(id) == 0 || removing_.count(id) > 0) return false;
  removing_[id] = why;
  return true;
}

void OperationTable::EndRemove(const std::string& id, bool deleted) {
  auto it = removing_.find(id);
  if (it == removing_.end()) return;
  Removal why = it->second;
  removing_.erase(it);
  if (!deleted) return;  // the store still has it: it stays retained
  if (auto f = finish_index_.find(id); f != finish_index_.end()) {
    finished_[f->second - finished_base_].id = nullptr;
    finish_index_.erase(f);
    PopRemovedFinished();
  }
  Erase(id);
  ++removals_;
  if (recent_removals_.emplace(id, why).second) recent_order_.push_back(id);
  while (recent_order_.size() > kRecentRemovals) {
    recent_removals_.erase(recent_order_.front());
    recent_order_.pop_front();
  }
}

std::optional<Removal> OperationTable::RemovalOf(const std::string& id) const {
  if (auto it = recent_removals_.find(id); it != recent_removals_.end()) return it->second;
  return std::nullopt;
}

std::vector<std::string> OperationTable::OldestFinished(size_t n) const {
  std::vector<std::string> out;
  for (auto it = finished_.begin(); it != finished_.end() && out.size() < n; ++it) {
    if (it->id != nullptr) out.push_back(*it->id);
  }
  return out;
}

std::optional<Time> OperationTable::OldestFinishedEnd() const {
  if (finished_.empty()) return std::nullopt;
  return finished_.front().end_time;  // the front is never a gap
}

std::vector<std::string> OperationTable::FinishedBy(Time cutoff, size_t n) const {
  std::vector<std::string> out;
  for (auto it = finished_.begin(); it != finished_.end() && out.size() < n; ++it) {
    if (it->id == nullptr) continue;
    if (it->end_time > cutoff) break;
    out.push_back(*it->id);
  }
  return out;
}

void OperationTable::Cache(Op* op) {
  op->evictable = true;
  if (op->pins > 0 || op->cache_index != 0) return;
  op->cache_index = next_cache_index_++;
  cache_[op->cache_index] = op->rec.id;
  EvictExcess();
}

void OperationTable::Pin(Op* op) {
  ++op->pins;
  if (op->cache_index != 0) {
    cache_.erase(op->cache_index);
    op->cache_index = 0;
  }
}

void OperationTable::Unpin(const std::string& id) {
  Op* op = Find(id);
  if (op == nullptr || op->pins == 0) return;
  if (--op->pins == 0 && op->evictable) Cache(op);
}

void OperationTable::EvictExcess() {
  while (cache_.size() > max_cached_finished_) {
    std::string id = cache_.begin()->second;
    Erase(id);  // its record, events and result are the store's
    ++evictions_;
  }
}

}  // namespace gpop::engine
