#include "service/store/memory_store.h"

#include <algorithm>
#include <cstdint>

#include "service/store/page.h"

namespace gpop::store {

absl::Status MemoryStore::Commit(const std::vector<Change>& batch) {
  core::MutexLock lock(&mu_);
  if (fail_after_ == 0) fail_ = true;
  if (fail_after_ > 0) --fail_after_;
  if (fail_) return absl::UnavailableError("memory store: commits fail (test hook)");
  for (const Change& change : batch) {
    const engine::OperationRecord& rec = change.record;
    if (operations_.count(rec.id) == 0) {  // its first change: QUEUED
      uint64_t first = change.event ? change.event->revision : rec.revision;
      by_creation_[first] = rec.id;
      creation_of_[rec.id] = first;
      if (!rec.request_id.empty()) requests_[{rec.principal, rec.request_id}] = rec.id;
    }
    operations_[change.record.id] = change.record;
    if (change.event) {
      events_[change.event->revision] = *change.event;
      revisions_by_operation_[change.record.id].push_back(change.event->revision);
      revision_ = std::max(revision_, change.event->revision);
      ++events_written_;
    }
    if (change.result_content) results_[change.record.id] = change.result_content;
  }
  ++commits_;
  return absl::OkStatus();
}

absl::Status MemoryStore::Delete(const std::string& operation_id, engine::Removal why) {
  core::MutexLock lock(&mu_);
  if (auto op = operations_.find(operation_id); op != operations_.end()) {
    by_creation_.erase(creation_of_[operation_id]);
    creation_of_.erase(operation_id);
    if (!op->second.request_id.empty()) {
      requests_.erase({op->second.principal, op->second.request_id});
    }
    operations_.erase(op);
  }
  results_.erase(operation_id);
  auto it = revisions_by_operation_.find(operation_id);
  if (it != revisions_by_operation_.end()) {
    for (uint64_t revision : it->second) events_.erase(revision);
    revisions_by_operation_.erase(it);
  }
  if (auto [it, added] = expired_ids_.emplace(operation_id, why); added) {
    expired_.push_back(&it->first);
  }
  while (expired_.size() > kExpiredIdsKept) {
    expired_ids_.erase(expired_ids_.find(*expired_.front()));  // by node: the key is its own
    expired_.pop_front();
  }
  return absl::OkStatus();
}

absl::StatusOr<engine::Store::Snapshot> MemoryStore::Load(const LoadOptions& options) {
  core::MutexLock lock(&mu_);
  Snapshot snap;
  for (const auto& [id, rec] : operations_) {
    if (options.history || !core::IsTerminal(rec.state)) {
      snap.operations.push_back(rec);
    } else {
      snap.finished.push_back({id, rec.end_time.value_or(rec.create_time)});
    }
  }
  std::sort(snap.finished.begin(), snap.finished.end(), [](const auto& a, const auto& b) {
    return a.end_time < b.end_time || (a.end_time == b.end_time && a.id < b.id);
  });
  auto first = events_.begin();
  if (events_.size() > options.max_events) {
    first = std::prev(events_.end(), static_cast<std::ptrdiff_t>(options.max_events));
  }
  for (auto it = first; it != events_.end(); ++it) snap.events.push_back(it->second);
  snap.revision = revision_;
  if (options.history) {
    for (const std::string* id : expired_) {
      (expired_ids_.at(*id) == engine::Removal::kDeleted ? snap.deleted : snap.expired)
          .push_back(*id);
    }
  }
  return snap;
}

absl::StatusOr<std::vector<engine::Event>> MemoryStore::ReadEvents(const std::string& operation_id,
                                                                   uint64_t after_sequence,
                                                                   const PageLimits& limits) {
  core::MutexLock lock(&mu_);
  PageBuilder page(limits);
  auto it = revisions_by_operation_.find(operation_id);
  if (it == revisions_by_operation_.end()) return page.Take();
  // Sequences are 1, 2, 3 ...: the event after `after_sequence` is at that index.
  for (size_t i = after_sequence; i < it->second.size(); ++i) {
    if (!page.Add(events_.at(it->second[i]))) break;
  }
  return page.Take();
}

absl::StatusOr<std::vector<engine::Event>> MemoryStore::ReadRevisions(uint64_t after_revision,
                                                                      const PageLimits& limits) {
  core::MutexLock lock(&mu_);
  PageBuilder page(limits);
  for (auto it = events_.upper_bound(after_revision); it != events_.end(); ++it) {
    if (!page.Add(it->second)) break;
  }
  return page.Take();
}

absl::StatusOr<std::string> MemoryStore::ReadResult(const std::string& operation_id) {
  core::MutexLock lock(&mu_);
  auto it = results_.find(operation_id);
  if (it == results_.end()) {
    return absl::NotFoundError("no stored result for operation " + operation_id);
  }
  return *it->second;
}

absl::StatusOr<engine::OperationRecord> MemoryStore::ReadOperation(
    const std::string& operation_id) {
  core::MutexLock lock(&mu_);
  auto it = operations_.find(operation_id);
  if (it == operations_.end()) return absl::NotFoundError("no operation " + operation_id);
  return it->second;
}

absl::StatusOr<engine::OperationRecord> MemoryStore::FindRequest(const std::string& principal,
                                                                 const std::string& request_id) {
  core::MutexLock lock(&mu_);
  auto it = requests_.find({principal, request_id});
  if (it == requests_.end()) return absl::NotFoundError("no operation for request " + request_id);
  return operations_.at(it->second);
}

absl::StatusOr<std::optional<engine::Removal>> MemoryStore::RemovalOf(
    const std::string& operation_id) {
  core::MutexLock lock(&mu_);
  auto it = expired_ids_.find(operation_id);
  if (it == expired_ids_.end()) return std::optional<engine::Removal>();
  return std::optional<engine::Removal>(it->second);
}

absl::StatusOr<std::vector<engine::Store::Listed>> MemoryStore::ListOperations(
    const ListPosition& before, size_t max) {
  core::MutexLock lock(&mu_);
  std::vector<Listed> out;
  auto it = by_creation_.lower_bound(before.create_revision);
  while (it != by_creation_.begin() && out.size() < max) {
    --it;
    out.push_back({operations_.at(it->second), {it->first}});
  }
  return out;
}

void MemoryStore::FailCommits(bool fail) {
  core::MutexLock lock(&mu_);
  fail_ = fail;
}

void MemoryStore::FailCommitsAfter(int n) {
  core::MutexLock lock(&mu_);
  fail_after_ = n;
}

int MemoryStore::commits() {
  core::MutexLock lock(&mu_);
  return commits_;
}

int64_t MemoryStore::events_written() {
  core::MutexLock lock(&mu_);
  return events_written_;
}

}  // namespace gpop::store
