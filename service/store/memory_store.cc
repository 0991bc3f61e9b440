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

absl::Status MemoryStore::Delete(const std::string& operation_id) {
  core::MutexLock lock(&mu_);
  operations_.erase(operation_id);
  results_.erase(operation_id);
  auto it = revisions_by_operation_.find(operation_id);
  if (it != revisions_by_operation_.end()) {
    for (uint64_t revision : it->second) events_.erase(revision);
    revisions_by_operation_.erase(it);
  }
  expired_.push_back(operation_id);
  while (expired_.size() > kExpiredIdsKept) expired_.pop_front();
  return absl::OkStatus();
}

absl::StatusOr<engine::Store::Snapshot> MemoryStore::Load(const LoadOptions& options) {
  core::MutexLock lock(&mu_);
  Snapshot snap;
  for (const auto& [id, rec] : operations_) snap.operations.push_back(rec);
  auto first = events_.begin();
  if (events_.size() > options.max_events) {
    first = std::prev(events_.end(), static_cast<std::ptrdiff_t>(options.max_events));
  }
  for (auto it = first; it != events_.end(); ++it) snap.events.push_back(it->second);
  snap.revision = revision_;
  snap.expired.assign(expired_.begin(), expired_.end());
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
