#include "service/engine/cursors.h"

#include <algorithm>
#include <iterator>
#include <optional>

#include "service/engine/engine_errors.h"

namespace gpop::engine {

void RunWakes(EngineState* state, Wakes* wakes) {
  if (wakes->empty()) return;
  for (auto& [cursor, fn] : *wakes) fn();
  core::MutexLock lock(&state->mu);
  for (auto& [cursor, fn] : *wakes) cursor->WakeDoneLocked();
  wakes->clear();
}

// --- StreamCursor ------------------------------------------------------------------------------

StreamCursor::StreamCursor(EngineState* state, std::string principal)
    : state_(state), principal_(std::move(principal)) {
  state_->mu.AssertHeld();  // opened under the engine's mutex
  last_sent_ = state_->clock->Now();
}

void StreamCursor::Close() {
  Clock::TimerId timer;
  {
    core::MutexLock lock(&state_->mu);
    wake_ = nullptr;  // from here on, nobody can take a wake
    timer = timer_;
    timer_ = 0;
  }
  if (timer != 0) state_->clock->Cancel(timer);
  core::MutexLock lock(&state_->mu);
  Unregister();
  while (wakes_in_flight_ > 0) state_->wake_cv.Wait(&state_->mu);
  state_->streams.Release(principal_);
}

Cursor::Next StreamCursor::Poll() {
  core::MutexLock lock(&state_->mu);
  Next next = PollLocked();
  if (std::holds_alternative<StreamItem>(next)) last_sent_ = state_->clock->Now();
  return next;
}

bool StreamCursor::Arm(std::function<void()> wake) {
  core::MutexLock lock(&state_->mu);
  if (ReadyLocked()) return false;
  wake_ = std::move(wake);
  Register();
  if (timer_ != 0) return true;
  Time due = last_sent_ + state_->options.heartbeat_interval;
  // Scheduling under mu is safe: clocks never run callbacks inside Schedule.
  timer_ = state_->clock->Schedule(due, [this] { OnHeartbeatDue(); });
  return true;
}

void StreamCursor::TakeWakeLocked(Wakes* wakes) {
  state_->mu.AssertHeld();
  if (!wake_) return;
  Unregister();
  ++wakes_in_flight_;
  wakes->emplace_back(this, std::move(wake_));
  wake_ = nullptr;
}

void StreamCursor::WakeDoneLocked() {
  state_->mu.AssertHeld();
  --wakes_in_flight_;
  state_->wake_cv.SignalAll();
}

bool StreamCursor::HeartbeatDueLocked() {
  return state_->clock->Now() - last_sent_ >= state_->options.heartbeat_interval;
}

Cursor::Next StreamCursor::Finish(absl::Status status) {
  ended_ = true;
  end_status_ = status;
  return End{std::move(status)};
}

void StreamCursor::OnHeartbeatDue() {
  Wakes wakes;
  {
    core::MutexLock lock(&state_->mu);
    timer_ = 0;
    TakeWakeLocked(&wakes);
  }
  RunWakes(state_, &wakes);
}

// --- StatusCursor ------------------------------------------------------------------------------

StatusCursor::StatusCursor(EngineState* state, Store* store, std::string principal,
                           std::string op_id, uint64_t position)
    : StreamCursor(state, std::move(principal)),
      store_(store),
      op_id_(std::move(op_id)),
      position_(position) {
  // Keeps a finished operation resident while the stream reads it (opened under mu).
  state_->mu.AssertHeld();
  if (Op* op = state_->ops.Find(op_id_)) {
    state_->ops.Pin(op);
    ++op->status_streams;
  }
}

StatusCursor::~StatusCursor() {
  Close();
  core::MutexLock lock(&state_->mu);
  if (Op* op = state_->ops.Find(op_id_)) --op->status_streams;
  state_->ops.Unpin(op_id_);
}

Cursor::Next StatusCursor::Poll() {
  ReadHistory();
  return StreamCursor::Poll();
}

void StatusCursor::DropSentHistoryLocked() {
  while (!history_.empty() && history_.back().sequence <= position_) history_.pop_back();
  if (history_.empty() && history_.capacity() > 0) std::vector<Event>().swap(history_);
}

void StatusCursor::ReadHistory() {
  uint64_t after;
  {
    core::MutexLock lock(&state_->mu);
    Op* op = state_->ops.Find(op_id_);
    DropSentHistoryLocked();
    if (ended_ || op == nullptr || !history_.empty() || !history_error_.ok() ||
        position_ >= op->visible_sequence || position_ >= op->events_base) {
      return;
    }
    after = position_;
  }
  absl::StatusOr<std::vector<Event>> page =
      store_->ReadEvents(op_id_, after, state_->options.history_page);
  core::MutexLock lock(&state_->mu);
  if (position_ != after) return;
  if (!page.ok()) {
    history_error_ = page.status();
  } else if (page->empty() || page->front().sequence != after + 1) {
    history_error_ = absl::DataLossError("the operation store lost events of " + op_id_);
  } else {
    history_.assign(std::make_move_iterator(page->rbegin()), std::make_move_iterator(page->rend()));
  }
}

bool StatusCursor::ProgressDueLocked(const Op& op) {
  const Progress& p = op.streamed_progress;
  return p.after_sequence <= position_ && !(p == last_progress_) &&
         (p.numerator != 0 || p.denominator != 0);
}

Cursor::Next StatusCursor::PollLocked() {
  if (ended_) return End{end_status_};
  Op* op = state_->ops.Find(op_id_);
  if (op == nullptr) {  // removed by retention or by Delete since the stream opened
    return Finish(
        OperationRemoved(op_id_, state_->ops.RemovalOf(op_id_).value_or(Removal::kExpired)));
  }
  if (position_ < op->visible_sequence) {
    DropSentHistoryLocked();
    std::optional<Event> ev;
    if (position_ >= op->events_base) {
      ev = *op->events[position_ - op->events_base];
    } else if (!history_.empty() && history_.back().sequence == position_ + 1) {
      ev = std::move(history_.back());
      history_.pop_back();
    } else if (!history_error_.ok()) {
      return Finish(history_error_);
    } else {
      return Pending{};  // ReadyLocked is true: the caller polls again, and Poll reads the page
    }
    ++position_;
    if (core::IsTerminal(ev->state)) terminal_sent_ = true;
    return StreamItem(std::move(*ev));
  }
  if (terminal_sent_ || core::IsTerminal(op->visible.state)) return Finish(absl::OkStatus());
  if (state_->streams.closed()) return Finish(ShuttingDown());
  if (ProgressDueLocked(*op)) {
    last_progress_ = op->streamed_progress;
    return StreamItem(last_progress_);
  }
  if (HeartbeatDueLocked()) return StreamItem(Heartbeat{position_, 0, state_->clock->Now()});
  return Pending{};
}

bool StatusCursor::ReadyLocked() {
  if (ended_ || state_->streams.closed()) return true;
  Op* op = state_->ops.Find(op_id_);
  if (op == nullptr || position_ < op->visible_sequence || terminal_sent_ ||
      core::IsTerminal(op->visible.state)) {
    return true;
  }
  return ProgressDueLocked(*op) || HeartbeatDueLocked();
}

void StatusCursor::Register() {
  if (Op* op = state_->ops.Find(op_id_)) op->armed.insert(this);
}

void StatusCursor::Unregister() {
  if (Op* op = state_->ops.Find(op_id_)) op->armed.erase(this);
}

// --- WatchCursor -------------------------------------------------------------------------------

WatchCursor::WatchCursor(EngineState* state, Store* store, std::string principal, uint64_t position,
                         Filter filter, bool client)
    : StreamCursor(state, std::move(principal)),
      store_(store),
      position_(position),
      filter_(std::move(filter)),
      client_(client) {}

WatchCursor::~WatchCursor() {
  Close();
  core::MutexLock lock(&state_->mu);
  state_->streams.WatchClosed(client_);
}

Cursor::Next WatchCursor::Poll() {
  ReadHistory();
  return StreamCursor::Poll();
}

void WatchCursor::ReadHistory() {
  uint64_t after;
  uint64_t floor;
  {
    core::MutexLock lock(&state_->mu);
    floor = state_->log.floor();
    if (ended_ || position_ >= floor || !history_.empty() || !history_error_.ok() ||
        history_through_ > position_) {
      return;
    }
    after = position_;
  }
  absl::StatusOr<std::vector<Event>> page =
      store_->ReadRevisions(after, state_->options.history_page);
  // Every revision up to `floor` was durable before the read, so a page that ends early (empty,
  // or short of its limits) still covers up to its last event or, when empty, the floor.
  uint64_t through = page.ok() && !page->empty() ? page->back().revision : floor;
  std::deque<Stored> stored;
  absl::Status error = page.status();
  if (page.ok()) {
    std::map<std::string, std::optional<std::map<std::string, std::string>>> labels;
    for (Event& ev : *page) {
      if (ev.revision <= after) continue;
      std::map<std::string, std::string> ev_labels;
      if (filter_.uses_labels()) {
        auto [it, fresh] = labels.try_emplace(ev.operation_id);
        if (fresh) {
          absl::StatusOr<OperationRecord> rec = store_->ReadOperation(ev.operation_id);
          if (rec.ok()) {
            it->second = std::move(rec->labels);
          } else if (!absl::IsNotFound(rec.status())) {
            error = rec.status();
            break;
          }
        }
        if (!it->second) continue;  // removed since the page was read: as if never stored
        ev_labels = *it->second;
      }
      stored.push_back({std::move(ev), std::move(ev_labels)});
    }
  }
  core::MutexLock lock(&state_->mu);
  if (position_ != after) return;
  if (!error.ok()) {
    history_error_ = std::move(error);
    return;
  }
  history_ = std::move(stored);
  history_through_ = through;
}

std::optional<Event> WatchCursor::NextStoredLocked() {
  while (position_ < state_->log.floor()) {
    if (history_.empty()) {
      // A page read under a lower floor, or one whose operations were all removed: nothing is
      // stored up to where it reached.
      if (history_through_ <= position_) return std::nullopt;
      position_ = std::min(history_through_, state_->log.floor());
      continue;
    }
    Stored& next = history_.front();
    if (next.event.revision > state_->log.floor()) {
      // The window holds it and everything after; the stored ones between were removed.
      history_.clear();
      position_ = state_->log.floor();
      return std::nullopt;
    }
    Stored taken = std::move(next);
    history_.pop_front();
    if (taken.event.revision <= position_) continue;
    position_ = taken.event.revision;
    if (filter_.Matches(taken.event.kind, taken.event.state, taken.labels)) {
      return std::move(taken.event);
    }
  }
  history_.clear();
  return std::nullopt;
}

Cursor::Next WatchCursor::PollLocked() {
  if (ended_) return End{end_status_};
  if (position_ < state_->log.floor()) {
    if (std::optional<Event> ev = NextStoredLocked()) return StreamItem(std::move(*ev));
    if (position_ < state_->log.floor()) {
      if (!history_error_.ok()) return Finish(history_error_);
      if (state_->streams.closed()) return Finish(ShuttingDown());
      // A filter that skips page after page of stored history must not leave the client without
      // a sign of life: everything up to position_ has been looked at, so it may resume there.
      if (HeartbeatDueLocked()) return StreamItem(Heartbeat{0, position_, state_->clock->Now()});
      return Pending{};  // ReadyLocked is true: the caller polls again, and Poll reads a page
    }
  }
  // Revisions are increasing but may have gaps (operations deleted before a restart).
  const auto& window = state_->log.window();
  auto it =
      std::upper_bound(window.begin(), window.end(), position_,
                       [](uint64_t rev, const WatchEntry& e) { return rev < e.event->revision; });
  for (; it != window.end() && it->event->revision <= state_->log.visible_revision(); ++it) {
    position_ = it->event->revision;
    if (filter_.Matches(it->event->kind, it->event->state, *it->labels)) {
      return StreamItem(*it->event);
    }
  }
  position_ = std::max(position_, state_->log.visible_revision());
  if (state_->streams.closed()) return Finish(ShuttingDown());
  if (HeartbeatDueLocked()) return StreamItem(Heartbeat{0, position_, state_->clock->Now()});
  return Pending{};
}

bool WatchCursor::ReadyLocked() {
  return ended_ || state_->streams.closed() || position_ < state_->log.visible_revision() ||
         position_ < state_->log.floor() || HeartbeatDueLocked();
}

bool WatchCursor::WantsWakeLocked(const std::vector<const WatchEntry*>& fresh) {
  state_->mu.AssertHeld();
  if (ended_ || state_->streams.closed() || position_ < state_->log.floor()) return true;
  for (const WatchEntry* e : fresh) {
    if (e->event->revision > position_ &&
        filter_.Matches(e->event->kind, e->event->state, *e->labels)) {
      return true;
    }
  }
  return false;
}

void WatchCursor::Register() { state_->streams.watches().insert(this); }

void WatchCursor::Unregister() { state_->streams.watches().erase(this); }

}  // namespace gpop::engine
