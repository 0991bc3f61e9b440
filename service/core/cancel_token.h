// The cancellation token a backend sees while it runs an operation.

#ifndef GPOP_SERVICE_CORE_CANCEL_TOKEN_H_
#define GPOP_SERVICE_CORE_CANCEL_TOKEN_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>

#include "service/core/mutex.h"

namespace gpop::core {

// CancelToken
//
// One operation's cancellation state, shared by the engine (which requests a cancel) and the
// backend (which polls it, subscribes to it, and declares its commit point). Thread-safe.
//
// The token settles the race between a cancel and a commit exactly once: `RequestCancel` and
// `BeginCommit` both try to move the token out of its open state, and only the first succeeds.
// So a backend that gets `true` from `BeginCommit` may publish its change knowing that no cancel
// will be reported for it, and a caller whose `RequestCancel` returned `true` knows the backend
// has not committed and will stop.
class CancelToken {
 public:
  CancelToken() = default;
  CancelToken(const CancelToken&) = delete;
  CancelToken& operator=(const CancelToken&) = delete;

  // Asks the operation to stop. Returns true when the request took effect (first request, and
  // the backend had not passed its commit point); runs every subscriber once, on this thread.
  // Idempotent: later calls return false and run nothing.
  bool RequestCancel();

  // True once a cancel took effect. Backends poll this between units of work.
  bool cancel_requested() const { return state_.load() == kCancelled; }

  // Declares the commit point. Returns false when a cancel came first: the backend must then
  // stop without publishing anything. After a `true`, cancels no longer apply.
  bool BeginCommit();

  // True once `BeginCommit` returned true.
  bool committed() const { return state_.load() == kCommitted; }

  // Runs `callback` once when a cancel takes effect (at once, on this thread, if it already
  // has). Returns an id for `Unsubscribe`. Callbacks must not block and must not call back into
  // the token.
  using SubscriptionId = uint64_t;
  SubscriptionId Subscribe(std::function<void()> callback);

  // Removes a subscription. When it returns, the callback is not running and will not run.
  void Unsubscribe(SubscriptionId id);

 private:
  enum State : int { kOpen = 0, kCancelled = 1, kCommitted = 2 };
  std::atomic<int> state_{kOpen};

  Mutex mu_;
  // Held while callbacks run so that Unsubscribe can wait for a running callback.
  Mutex callbacks_running_;
  SubscriptionId next_id_ GPOP_GUARDED_BY(mu_) = 1;
  std::map<SubscriptionId, std::function<void()>> callbacks_ GPOP_GUARDED_BY(mu_);
};

}  // namespace gpop::core

#endif  // GPOP_SERVICE_CORE_CANCEL_TOKEN_H_
