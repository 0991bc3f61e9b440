#include "service/engine/operation_table.h"

namespace gpop::engine {

OperationTable::OperationTable(size_t max_expired) : max_expired_(max_expired) {}

Op* OperationTable::Add(std::unique_ptr<Op> op) {
  Op* raw = op.get();
  raw->create_index = next_create_index_++;
  by_index_[raw->create_index] = raw;
  if (!raw->rec.request_id.empty()) {
    idempotency_[{raw->rec.principal, raw->rec.request_id}] = raw->rec.id;
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
  if (!op->rec.request_id.empty()) idempotency_.erase({op->rec.principal, op->rec.request_id});
  ops_.erase(it);
}

void OperationTable::Forget(const std::string& id) { Erase(id); }

void OperationTable::MarkFinished(Op* op) {
  if (op->finish_index != 0) return;
  op->finish_index = next_finish_index_++;
  finished_[op->finish_index] = op->rec.id;
}

void OperationTable::Remove(const std::string& id) {
  Op* op = Find(id);
  if (op == nullptr) return;
  finished_.erase(op->finish_index);
  Erase(id);
  expired_.insert(id);
  expired_order_.push_back(id);
  while (expired_order_.size() > max_expired_) {
    expired_.erase(expired_order_.front());
    expired_order_.pop_front();
  }
}

void OperationTable::AddExpired(const std::string& id) {
  if (ops_.count(id) == 0 && expired_.insert(id).second) expired_order_.push_back(id);
}

std::vector<std::string> OperationTable::OldestFinished(size_t n) const {
  std::vector<std::string> out;
  for (auto it = finished_.begin(); it != finished_.end() && out.size() < n; ++it) {
    out.push_back(it->second);
  }
  return out;
}

}  // namespace gpop::engine
