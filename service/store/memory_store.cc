#include "service/store/memory_store.h"

#include <algorithm>

namespace gpop::store {

absl::Status MemoryStore::Commit(const std::vector<Change>& batch) {
  core::MutexLock lock(&mu_);
  if (fail_) return absl::UnavailableError("memory store: commits fail (test hook)");
  for (const Change& change : batch) {
    operations_[change.record.id] = change.record;
    if (change.event) {
      events_[change.event->revision] = *change.event;
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
  for (auto it = events_.begin(); it != events_.end();) {
    it = it->second.operation_id == operation_id ? events_.erase(it) : std::next(it);
  }
  return absl::OkStatus();
}

absl::StatusOr<engine::Store::Snapshot> MemoryStore::Load() {
  core::MutexLock lock(&mu_);
  Snapshot snap;
  for (const auto& [id, rec] : operations_) snap.operations.push_back(rec);
  for (const auto& [rev, ev] : events_) snap.events.push_back(ev);
  snap.revision = revision_;
  return snap;
}

void MemoryStore::FailCommits(bool fail) {
  core::MutexLock lock(&mu_);
  fail_ = fail;
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
