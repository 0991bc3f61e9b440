#include "service/store/memory_store.h"

#include <algorithm>
#include <cstdint>

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
  }
  ++commits_;
  return absl::OkStatus();
}

absl::Status MemoryStore::Delete(const std::string& operation_id) {
  core::MutexLock lock(&mu_);
  operations_.erase(operation_id);
  auto it = revisions_by_operation_.find(operation_id);
  if (it != revisions_by_operation_.end()) {
    for (uint64_t revision : it->second) events_.erase(revision);
    revisions_by_operation_.erase(it);
  }
  expired_.push_back(operation_id);
  while (expired_.size() > kExpiredIdsKept) expired_.pop_front();
  return absl::OkStatus();
}

absl::StatusOr<engine::Store::Snapshot> MemoryStore::Load() {
  core::MutexLock lock(&mu_);
  Snapshot snap;
  for (const auto& [id, rec] : operations_) snap.operations.push_back(rec);
  for (const auto& [rev, ev] : events_) snap.events.push_back(ev);
  snap.revision = revision_;
  snap.expired.assign(expired_.begin(), expired_.end());
  return snap;
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
