// Follows the engine's events through one watch cursor on one thread, for gpopd's own observers
// (the operation log, the metrics, the audit recorder): each batch of events wakes one thread,
// which hands every event to each observer in turn, not one thread per observer.

#ifndef GPOP_SERVICE_API_EVENT_FOLLOWER_H_
#define GPOP_SERVICE_API_EVENT_FOLLOWER_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "service/core/mutex.h"
#include "service/engine/engine.h"

namespace gpop::api {

// EventFollower
//
// Calls each added Follower's `on_event` on one thread of its own, in revision order, for every
// event after that follower's `after_revision`, until the engine ends its streams at shutdown or
// the EventFollower is stopped or destroyed. Within an event the followers are called in the
// order they were added. Events come in batches (those available at once, up to kBatch): after
// each batch's last event every follower that was handed events of it gets its `on_batch_end`
// (in the order added), and only then do those events count as handled (WaitForRevision).
// Stopping does not wait for a backlog: it stops after the event being handled, and that batch
// still ends (a follower that must not miss events resumes from its own record of the last one
// it handled, as the audit recorder does).
//
// Use: construct (after Engine::Recover), Add the followers, Start; destroy before the engine and
// after every Subscription it gave. The single-follower constructor does all three. Thread-safe.
class EventFollower {
 public:
  // Follower
  //
  // One observer. `after_revision` none: from the revision current when it is added (history is
  // not replayed after a restart). When it is older than the engine retains, the follower starts
  // from the revision current at Start and a warning names `what`; a watch cursor that cannot
  // be opened at all is logged the same way (e.g. "operation events are not logged").
  struct Follower {
    std::string what;
    std::function<void(const engine::Event&)> on_event;
    std::function<void()> on_batch_end;  // may be empty
    std::optional<uint64_t> after_revision;
  };

  // Subscription
  //
  // Keeps an added follower called. Destroying it (or Reset) removes the follower: it waits for a
  // call of the follower in progress, ends the follower's batch under way (its on_batch_end), and
  // no call of it follows. Hold it as the last member of what the follower's functions use;
  // never reset it from a call of its own follower (that would wait for itself).
  class Subscription {
   public:
    Subscription() = default;
    ~Subscription() { Reset(); }
    Subscription(Subscription&& other) noexcept;
    Subscription& operator=(Subscription&& other) noexcept;
    Subscription(const Subscription&) = delete;
    Subscription& operator=(const Subscription&) = delete;
    void Reset();

   private:
    friend class EventFollower;
    struct Entry;
    Subscription(EventFollower* owner, Entry* entry) : owner_(owner), entry_(entry) {}
    EventFollower* owner_ = nullptr;
    Entry* entry_ = nullptr;  // owned; the follower's thread may point to it until removed
  };

  // Not started: Add followers, then Start. `principal` is what the watch stream counts against.
  EventFollower(engine::Engine* engine, std::string principal);
  // One follower, started at once.
  EventFollower(engine::Engine* engine, const std::string& principal, const std::string& what,
                std::function<void(const engine::Event&)> on_event,
                std::optional<uint64_t> after_revision = std::nullopt,
                std::function<void()> on_batch_end = nullptr);
  static constexpr int kBatch = 256;
  ~EventFollower();  // Stop, then waits for the thread
  EventFollower(const EventFollower&) = delete;
  EventFollower& operator=(const EventFollower&) = delete;

  // Adds a follower; only before Start (later ones are never called).
  Subscription Add(Follower follower) GPOP_EXCLUDES(mu_);

  // Opens the watch cursor from the oldest revision asked for and starts the thread. Once.
  void Start() GPOP_EXCLUDES(mu_);

  // Stops following after the event being handled (its batch still ends).
  void Stop() GPOP_EXCLUDES(mu_);

  // Waits until every follower has returned from `on_event` for every event up to `revision`
  // and that batch has ended; false when `deadline` passes first or the thread has ended (for
  // tests and orderly reads of what was counted).
  bool WaitForRevision(uint64_t revision, std::chrono::steady_clock::time_point deadline)
      GPOP_EXCLUDES(mu_);

 private:
  using Entry = Subscription::Entry;
  void Remove(Entry* entry) GPOP_EXCLUDES(mu_);
  void Loop() GPOP_EXCLUDES(mu_);
  void FollowEvents() GPOP_EXCLUDES(mu_);
  // Hands `event` to each follower whose start it is past.
  void Deliver(const engine::Event& event) GPOP_EXCLUDES(mu_);
  // Ends the batch of events up to `last` (0: none): each follower's on_batch_end, then they
  // count as handled; drops the followers removed meanwhile.
  void EndBatch(uint64_t last) GPOP_EXCLUDES(mu_);
  // Drops the removed followers from `entries_` (their batch has ended) and tells Remove.
  void DropRemovedLocked() GPOP_REQUIRES(mu_);
  // entries_ as the thread reads it: after Start only the thread changes it.
  const std::vector<Entry*>& ThreadEntries() GPOP_NO_THREAD_SAFETY_ANALYSIS { return entries_; }

  engine::Engine* const engine_;
  const std::string principal_;
  std::unique_ptr<engine::Cursor> cursor_;
  core::Mutex mu_;
  core::CondVar cv_;
  // The followers, in the order added. Changed only under mu_: by Add before Start, and after
  // Start by the thread (dropping removed ones), which alone reads it without mu_.
  std::vector<Entry*> entries_ GPOP_GUARDED_BY(mu_);
  bool started_ GPOP_GUARDED_BY(mu_) = false;
  bool starting_ GPOP_GUARDED_BY(mu_) = false;  // Start is opening the cursor
  bool running_ GPOP_GUARDED_BY(mu_) = false;   // the thread is in FollowEvents
  int removals_ GPOP_GUARDED_BY(mu_) = 0;       // followers removed, not yet dropped
  bool woken_ GPOP_GUARDED_BY(mu_) = false;
  bool stop_ GPOP_GUARDED_BY(mu_) = false;
  bool ended_ GPOP_GUARDED_BY(mu_) = false;
  uint64_t revision_ GPOP_GUARDED_BY(mu_) = 0;  // of the last event handled
  std::thread thread_;
  Subscription own_;  // the single-follower constructor's
};

}  // namespace gpop::api

#endif  // GPOP_SERVICE_API_EVENT_FOLLOWER_H_
