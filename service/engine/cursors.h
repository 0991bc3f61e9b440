// Stream cursors and the wake set. A status cursor reads one operation's events by position; a
// watch cursor reads the server-wide event window through its filter. Both then send the newest
// progress (status streams) and heartbeats, and end on the terminal event, on shutdown or when
// their operation is removed. Cursors hold positions, never events (but one page of history read
// from the store while they replay what memory no longer holds).

#ifndef GPOP_SERVICE_ENGINE_CURSORS_H_
#define GPOP_SERVICE_ENGINE_CURSORS_H_

#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "service/engine/engine.h"
#include "service/engine/engine_state.h"
#include "service/engine/filter.h"

namespace gpop::engine {

// Wakes
//
// Wake callbacks taken under the engine's mutex, to run after it is released (RunWakes).
using Wakes = std::vector<std::pair<StreamCursor*, std::function<void()>>>;

// Runs and clears `wakes`; call without state->mu held.
void RunWakes(EngineState* state, Wakes* wakes);

// StreamCursor
//
// The engine side of a Cursor: its armed wake, its heartbeat timer and its stream reservation.
// Thread-safe as Cursor says; the *Locked calls need state->mu.
class StreamCursor : public Cursor {
 public:
  StreamCursor(EngineState* state, std::string principal);

  Next Poll() override;
  bool Arm(std::function<void()> wake) override;

  // Takes the armed wake, if any, for the caller to run after unlocking (RunWakes), and takes
  // the cursor out of its armed set (do not iterate that set while calling this).
  void TakeWakeLocked(Wakes* wakes);
  void WakeDoneLocked();

 protected:
  // Detaches the cursor from the engine; each final class calls it first in its destructor
  // (while its Unregister is still callable).
  void Close();

  virtual Next PollLocked() GPOP_REQUIRES(state_->mu) = 0;
  virtual bool ReadyLocked() GPOP_REQUIRES(state_->mu) = 0;
  // Puts the cursor in / takes it out of the armed set the engine wakes from.
  virtual void Register() GPOP_REQUIRES(state_->mu) = 0;
  virtual void Unregister() GPOP_REQUIRES(state_->mu) = 0;

  bool HeartbeatDueLocked() GPOP_REQUIRES(state_->mu);
  Next Finish(absl::Status status) GPOP_REQUIRES(state_->mu);

  EngineState* const state_;
  const std::string principal_;
  Time last_sent_ GPOP_GUARDED_BY(state_->mu){};
  bool ended_ GPOP_GUARDED_BY(state_->mu) = false;
  absl::Status end_status_ GPOP_GUARDED_BY(state_->mu);

 private:
  void OnHeartbeatDue();

  std::function<void()> wake_ GPOP_GUARDED_BY(state_->mu);
  Clock::TimerId timer_ GPOP_GUARDED_BY(state_->mu) = 0;
  int wakes_in_flight_ GPOP_GUARDED_BY(state_->mu) = 0;
};

// StatusCursor
//
// One operation's events after a sequence: those the Op keeps in memory from there, older ones
// read from `store` a page at a time (Poll reads, outside the mutex; the cursor holds at most
// one page). While armed, it is in its Op's `armed` set.
class StatusCursor final : public StreamCursor {
 public:
  StatusCursor(EngineState* state, Store* store, std::string principal, std::string op_id,
               uint64_t position);
  ~StatusCursor() override;

  Next Poll() override;

 protected:
  Next PollLocked() override GPOP_REQUIRES(state_->mu);
  bool ReadyLocked() override GPOP_REQUIRES(state_->mu);
  void Register() override GPOP_REQUIRES(state_->mu);
  void Unregister() override GPOP_REQUIRES(state_->mu);

 private:
  bool ProgressDueLocked(const Op& op) GPOP_REQUIRES(state_->mu);
  // When the next event is older than the Op keeps in memory, reads a page from the store.
  void ReadHistory() GPOP_EXCLUDES(state_->mu);
  // Drops page events already sent (from memory, which had them when the page was read).
  void DropSentHistoryLocked() GPOP_REQUIRES(state_->mu);

  Store* const store_;
  const std::string op_id_;
  uint64_t position_ GPOP_GUARDED_BY(state_->mu);
  bool terminal_sent_ GPOP_GUARDED_BY(state_->mu) = false;
  Progress last_progress_ GPOP_GUARDED_BY(state_->mu);
  // A page, next event last (a vector: an empty deque would cost every stream a node).
  std::vector<Event> history_ GPOP_GUARDED_BY(state_->mu);
  absl::Status history_error_ GPOP_GUARDED_BY(state_->mu);
};

// WatchCursor
//
// Every event after a revision of operations matching a filter: those in the engine's window
// from memory, older ones (below log.floor()) read from `store` a page at a time (Poll reads,
// outside the mutex; the cursor holds at most one page). While armed, it is in
// state->streams.watches().
class WatchCursor final : public StreamCursor {
 public:
  // `client`: a client's stream, not one of gpopd's followers (counted apart: StreamRegistry).
  WatchCursor(EngineState* state, Store* store, std::string principal, uint64_t position,
              Filter filter, bool client = true);
  ~WatchCursor() override;

  Next Poll() override;

  // Whether a wake is due now that `fresh` events became visible: one its filter matches, its
  // position is below the window (it has history to read), or shutdown. Needs state->mu.
  bool WantsWakeLocked(const std::vector<const WatchEntry*>& fresh);

 protected:
  Next PollLocked() override GPOP_REQUIRES(state_->mu);
  bool ReadyLocked() override GPOP_REQUIRES(state_->mu);
  void Register() override GPOP_REQUIRES(state_->mu);
  void Unregister() override GPOP_REQUIRES(state_->mu);

 private:
  // A stored event, with its operation's labels when the filter needs them.
  struct Stored {
    Event event;
    std::map<std::string, std::string> labels;
  };

  // While the position is below the window and no page is held, reads the next one.
  void ReadHistory() GPOP_EXCLUDES(state_->mu);
  // The next stored event the filter matches, moving the position over those it does not;
  // nullopt once the page is used up or the position reached the window.
  std::optional<Event> NextStoredLocked() GPOP_REQUIRES(state_->mu);

  Store* const store_;
  uint64_t position_ GPOP_GUARDED_BY(state_->mu);
  const Filter filter_;
  const bool client_;
  std::deque<Stored> history_ GPOP_GUARDED_BY(state_->mu);  // next revision first
  // Every stored revision up to here was in the pages read so far (an empty page says that
  // nothing is stored between the position and the floor it was read under).
  uint64_t history_through_ GPOP_GUARDED_BY(state_->mu) = 0;
  absl::Status history_error_ GPOP_GUARDED_BY(state_->mu);
};

}  // namespace gpop::engine

#endif  // GPOP_SERVICE_ENGINE_CURSORS_H_
