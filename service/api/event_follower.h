// Follows the engine's events through a watch cursor on a thread of its own, for gpopd's own
// observers (the operation log, the metrics).

#ifndef GPOP_SERVICE_API_EVENT_FOLLOWER_H_
#define GPOP_SERVICE_API_EVENT_FOLLOWER_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "service/core/mutex.h"
#include "service/engine/engine.h"

namespace gpop::api {

// EventFollower
//
// Calls `on_event` on its own thread for every event after `after_revision` (none: from the
// revision current when it starts, so history is not replayed after a restart), until the engine
// ends its streams at shutdown or it is destroyed. Events come in batches (those available at
// once, up to kBatch): `on_batch_end`, when given, is called after each batch's last `on_event`,
// and only then do those events count as handled (WaitForRevision). Destruction does not wait for
// a backlog: it stops after the event being handled (a follower that must not miss events
// resumes from its own record of the last one it handled, as the audit recorder does). When
// `after_revision` is older than the engine retains, it starts from the current revision and logs a
// warning with `what`; a watch cursor that cannot be opened at all is logged the same way (e.g.
// "operation events are not logged"). Construct after Engine::Recover; destroy before the engine.
// Thread-safe.
class EventFollower {
 public:
  EventFollower(engine::Engine* engine, const std::string& principal, const std::string& what,
                std::function<void(const engine::Event&)> on_event,
                std::optional<uint64_t> after_revision = std::nullopt,
                std::function<void()> on_batch_end = nullptr);
  static constexpr int kBatch = 256;
  ~EventFollower();
  EventFollower(const EventFollower&) = delete;
  EventFollower& operator=(const EventFollower&) = delete;

  // Stops following after the event being handled (its batch still ends); the destructor calls
  // it, then waits for the thread.
  void Stop() GPOP_EXCLUDES(mu_);

  // Waits until `on_event` has returned for every event up to `revision`; false when `deadline`
  // passes first or the follower has ended (for tests and orderly reads of what was counted).
  bool WaitForRevision(uint64_t revision, std::chrono::steady_clock::time_point deadline)
      GPOP_EXCLUDES(mu_);

 private:
  void Loop() GPOP_EXCLUDES(mu_);
  void FollowEvents() GPOP_EXCLUDES(mu_);
  // Ends the batch of events up to `last` (0: none): on_batch_end_, then they count as handled.
  void EndBatch(uint64_t last) GPOP_EXCLUDES(mu_);

  const std::function<void(const engine::Event&)> on_event_;
  const std::function<void()> on_batch_end_;
  std::unique_ptr<engine::Cursor> cursor_;
  core::Mutex mu_;
  core::CondVar cv_;
  bool woken_ GPOP_GUARDED_BY(mu_) = false;
  bool stop_ GPOP_GUARDED_BY(mu_) = false;
  bool ended_ GPOP_GUARDED_BY(mu_) = false;
  uint64_t revision_ GPOP_GUARDED_BY(mu_) = 0;  // of the last event handled
  std::thread thread_;
};

}  // namespace gpop::api

#endif  // GPOP_SERVICE_API_EVENT_FOLLOWER_H_
