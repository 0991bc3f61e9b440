#include "service/engine/scheduler.h"

#include <algorithm>
#include <utility>

#include "service/engine/status_convert.h"

namespace gpop::engine {

Scheduler::Scheduler(int executor_threads, PrincipalLimits limits)
    : executor_threads_(std::max(1, executor_threads)), limits_(std::move(limits)) {}

absl::Status Scheduler::RoomToQueue(const std::string& principal) const {
  const int limit = limits_.MaxQueued(principal);
  if (queued_of(principal) < limit) return absl::OkStatus();
  return MakeStatus(core::Code::kResourceExhausted, core::reason::kQueueFull,
                    "too many queued operations for this caller; retry later",
                    {{"scope", "principal"}, {"limit", std::to_string(limit)}});
}

void Scheduler::Enqueue(Op* op) {
  queue_.push_back(op);
  ++queued_;
  ++queued_per_principal_[op->rec.principal];
  queued_claims_.Add(op->claims);
}

bool Scheduler::Dequeue(Op* op) {
  auto it = std::find(queue_.begin(), queue_.end(), op);
  if (it == queue_.end()) return false;
  queue_.erase(it);
  LeftQueue(op);
  settled_ = false;  // what waited behind it may run now
  return true;
}

void Scheduler::LeftQueue(const Op* op) {
  --queued_;
  Decrement(&queued_per_principal_, op->rec.principal);
  queued_claims_.Remove(op->claims);
}

bool Scheduler::GrantableLocked(const Op* op, const WaitingClaims& ahead) const {
  return running_of(op->rec.principal) < limits_.MaxRunning(op->rec.principal) &&
         !ahead.Blocks(op->claims) && locks_.Available(op->claims);
}

std::deque<Op*>::iterator Scheduler::RunLocked(std::deque<Op*>::iterator it) {
  Op* op = *it;
  locks_.Acquire(op->claims);
  it = queue_.erase(it);
  LeftQueue(op);
  ++running_;
  ++running_per_principal_[op->rec.principal];
  op->admitted = true;
  return it;
}

std::vector<Op*> Scheduler::Admit() {
  std::vector<Op*> admitted;
  if (settled_ && checked_ <= queue_.size()) {
    // Only the operations queued since the last pass may run: those ahead of them still wait,
    // and their claims are the queue's minus those of the newcomers (added back as each is
    // found to wait, so that queued_claims_ stays the queue's).
    auto first = queue_.begin() + static_cast<std::ptrdiff_t>(checked_);
    for (auto it = first; it != queue_.end(); ++it) queued_claims_.Remove((*it)->claims);
    for (auto it = first; it != queue_.end();) {
      if (running_ < executor_threads_ && GrantableLocked(*it, queued_claims_)) {
        admitted.push_back(*it);
        queued_claims_.Add((*it)->claims);  // RunLocked takes them off again
        it = RunLocked(it);
      } else {
        queued_claims_.Add((*it)->claims);
        ++it;
      }
    }
    checked_ = queue_.size();
    return admitted;
  }
  WaitingClaims waiting;  // claims of earlier waiters
  for (auto it = queue_.begin(); it != queue_.end();) {
    if (running_ >= executor_threads_) break;
    Op* op = *it;
    if (!GrantableLocked(op, waiting)) {
      waiting.Add(op->claims);
      ++it;
      continue;
    }
    admitted.push_back(op);
    it = RunLocked(it);
  }
  // Every operation still queued waits (or every slot is taken) until a run ends or one
  // leaves the queue.
  settled_ = true;
  checked_ = queue_.size();
  return admitted;
}

void Scheduler::EndRun(Op* op) {
  settled_ = false;  // its locks and slot may let waiting operations run
  op->admitted = false;
  locks_.Release(op->claims);
  --running_;
  Decrement(&running_per_principal_, op->rec.principal);
}

std::vector<core::ResourceClaim> Scheduler::Uncovered(
    const Op* op, const std::vector<core::ResourceClaim>& claims) const {
  using Access = core::ResourceClaim::Access;
  std::vector<core::ResourceClaim> out;
  for (const core::ResourceClaim& c : claims) {
    auto held =
        std::find_if(op->claims.begin(), op->claims.end(),
                     [&](const core::ResourceClaim& h) { return h.resource == c.resource; });
    if (held == op->claims.end() ||
        (c.access == Access::kWrite && held->access != Access::kWrite)) {
      out.push_back(c);
    }
  }
  return out;
}

bool Scheduler::Extend(Op* op, const std::vector<core::ResourceClaim>& more) {
  using Access = core::ResourceClaim::Access;
  // The union, one claim a resource, a write where either is; checked without op's own locks
  // (a read it holds may become its write).
  std::vector<core::ResourceClaim> all = op->claims;
  for (const core::ResourceClaim& c : more) {
    auto same = std::find_if(all.begin(), all.end(), [&](const core::ResourceClaim& h) {
      return h.resource == c.resource;
    });
    if (same == all.end()) {
      all.push_back(c);
    } else if (c.access == Access::kWrite) {
      same->access = Access::kWrite;
    }
  }
  settled_ = false;  // the locks change hands
  locks_.Release(op->claims);
  if (!locks_.Available(all)) {
    locks_.Acquire(op->claims);
    return false;
  }
  locks_.Acquire(all);
  op->claims = std::move(all);
  return true;
}

int Scheduler::CountOf(const std::map<std::string, int>& counts, const std::string& key) {
  auto it = counts.find(key);
  return it == counts.end() ? 0 : it->second;
}

void Scheduler::Decrement(std::map<std::string, int>* counts, const std::string& key) {
  auto it = counts->find(key);
  if (it != counts->end() && --it->second <= 0) counts->erase(it);
}

}  // namespace gpop::engine
