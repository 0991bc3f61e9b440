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
}

bool Scheduler::Dequeue(Op* op) {
  auto it = std::find(queue_.begin(), queue_.end(), op);
  if (it == queue_.end()) return false;
  queue_.erase(it);
  --queued_;
  Decrement(&queued_per_principal_, op->rec.principal);
  return true;
}

std::vector<Op*> Scheduler::Admit() {
  std::vector<Op*> admitted;
  WaitingClaims waiting;                   // claims of earlier waiters
  std::map<std::string, int> max_running;  // looked up once per principal and pass
  for (auto it = queue_.begin(); it != queue_.end();) {
    if (running_ >= executor_threads_) break;
    Op* op = *it;
    // An operation whose QUEUED event is not durable yet may be admitted: its RUNNING event
    // then rides in the same commit, and the run waits for that commit (Executor).
    auto limit = max_running.find(op->rec.principal);
    if (limit == max_running.end()) {
      limit = max_running.emplace(op->rec.principal, limits_.MaxRunning(op->rec.principal)).first;
    }
    bool grantable = running_of(op->rec.principal) < limit->second && !waiting.Blocks(op->claims) &&
                     locks_.Available(op->claims);
    if (!grantable) {
      waiting.Add(op->claims);
      ++it;
      continue;
    }
    locks_.Acquire(op->claims);
    it = queue_.erase(it);
    --queued_;
    Decrement(&queued_per_principal_, op->rec.principal);
    ++running_;
    ++running_per_principal_[op->rec.principal];
    op->admitted = true;
    admitted.push_back(op);
  }
  return admitted;
}

void Scheduler::EndRun(Op* op) {
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
