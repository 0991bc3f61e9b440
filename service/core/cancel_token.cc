#include "service/core/cancel_token.h"

#include <utility>
#include <vector>

namespace gpop::core {

bool CancelToken::RequestCancel() {
  int expected = kOpen;
  if (!state_.compare_exchange_strong(expected, kCancelled)) return false;
  MutexLock running(&callbacks_running_);
  std::vector<std::function<void()>> to_run;
  {
    MutexLock lock(&mu_);
    for (auto& [id, cb] : callbacks_) to_run.push_back(cb);
  }
  for (auto& cb : to_run) cb();
  return true;
}

bool CancelToken::BeginCommit() {
  int expected = kOpen;
  return state_.compare_exchange_strong(expected, kCommitted) || expected == kCommitted;
}

CancelToken::SubscriptionId CancelToken::Subscribe(std::function<void()> callback) {
  SubscriptionId id;
  {
    MutexLock lock(&mu_);
    id = next_id_++;
    if (state_.load() != kCancelled) {
      callbacks_.emplace(id, std::move(callback));
      return id;
    }
  }
  // Already cancelled: RequestCancel may be walking the map right now, but this callback was
  // never in it, so it runs exactly once, here.
  callback();
  return id;
}

void CancelToken::Unsubscribe(SubscriptionId id) {
  {
    MutexLock lock(&mu_);
    callbacks_.erase(id);
  }
  // Wait for a RequestCancel that may have copied the callback before the erase.
  MutexLock running(&callbacks_running_);
}

}  // namespace gpop::core
