#include "service/engine/stream_wiring.h"

#include <algorithm>
#include <set>
#include <utility>
#include <vector>

#include "service/engine/committer.h"
#include "service/engine/engine_errors.h"
#include "service/engine/reads.h"
#include "service/engine/status_convert.h"

namespace gpop::engine {

absl::StatusOr<std::unique_ptr<Cursor>> StreamWiring::OpenStatusStream(const std::string& principal,
                                                                       const std::string& id,
                                                                       uint64_t after_sequence) {
  absl::StatusOr<std::unique_ptr<Cursor>> cursor = OpenStatusCursor(principal, id, after_sequence);
  // A held batch (this operation's end, or another's: the hold is one batch) is committed now.
  if (cursor.ok()) core_->committer->EndHold();
  return cursor;
}

absl::StatusOr<std::unique_ptr<Cursor>> StreamWiring::OpenWatch(const std::string& principal,
                                                                uint64_t after_revision,
                                                                const std::string& filter_text,
                                                                Engine::WatchFor who) {
  const bool client = who == Engine::WatchFor::kClient;
  absl::StatusOr<std::unique_ptr<Cursor>> cursor =
      OpenWatchCursor(principal, after_revision, filter_text, client);
  if (cursor.ok() && client) core_->committer->EndHold();  // followers may wait for the commit
  return cursor;
}

absl::StatusOr<std::unique_ptr<Cursor>> StreamWiring::OpenStatusCursor(const std::string& principal,
                                                                       const std::string& id,
                                                                       uint64_t after_sequence) {
  absl::StatusOr<Reads::Pin> pin = core_->reads->PinResident(id);  // the cursor pins it too
  if (!pin.ok()) return pin.status();
  core::MutexLock lock(&core_->s.mu);
  if (core_->s.streams.closed()) return ShuttingDown();
  absl::Status found = core_->reads->FoundLocked(id);
  if (!found.ok()) return found;
  Op* op = core_->s.ops.Find(id);
  if (after_sequence > op->visible_sequence) {
    return MakeStatus(core::Code::kOutOfRange, core::reason::kSequenceOutOfRange,
                      "after_sequence " + std::to_string(after_sequence) +
                          " is beyond the operation's current sequence " +
                          std::to_string(op->visible_sequence),
                      {{"field", "after_sequence"},
                       {"current_sequence", std::to_string(op->visible_sequence)}});
  }
  if (absl::Status st = core_->s.streams.Reserve(principal); !st.ok()) return st;
  auto cursor = std::make_unique<StatusCursor>(&core_->s, core_->store, principal, id, after_sequence);
  if (after_sequence > 0) core_->s.streams.CountResume(StreamRegistry::Kind::kStatus);
  return std::unique_ptr<Cursor>(std::move(cursor));
}

absl::StatusOr<std::unique_ptr<Cursor>> StreamWiring::OpenWatchCursor(
    const std::string& principal, uint64_t after_revision, const std::string& filter_text,
    bool client) {
  absl::StatusOr<Filter> filter = Filter::Parse(filter_text);
  if (!filter.ok()) return filter.status();
  core::MutexLock lock(&core_->s.mu);
  if (core_->s.streams.closed()) return ShuttingDown();
  uint64_t current = core_->s.log.visible_revision();
  if (after_revision > current) {
    return MakeStatus(
        core::Code::kOutOfRange, core::reason::kSequenceOutOfRange,
        "after_revision is beyond the server's current revision " + std::to_string(current),
        {{"field", "after_revision"}, {"current_revision", std::to_string(current)}});
  }
  if (absl::Status st = core_->s.streams.Reserve(principal); !st.ok()) return st;
  auto cursor = std::make_unique<WatchCursor>(&core_->s, core_->store, principal, after_revision,
                                              *filter, client);
  core_->s.streams.WatchOpened(client);  // ~WatchCursor counts it closed
  if (after_revision > 0) core_->s.streams.CountResume(StreamRegistry::Kind::kWatch);
  return std::unique_ptr<Cursor>(std::move(cursor));
}

void StreamWiring::OperationChangedLocked(Op* op) {
  core_->s.mu.AssertHeld();
  if (op->armed.empty() || op->fanout_pending) return;
  op->fanout_pending = true;
  fanout_.Post([this, id = op->rec.id] { WakeOperation(id); });
}

Duration StreamWiring::ProgressInterval(int streams) const {
  const int per_second = core_->options.stream_progress_per_second;
  if (per_second <= 0) return Duration::zero();
  Duration interval =
      std::chrono::duration_cast<Duration>(std::chrono::seconds(1)) * streams / per_second;
  return std::min(interval, core_->options.max_progress_interval);
}

void StreamWiring::ProgressChangedLocked(Op* op) {
  core_->s.mu.AssertHeld();
  if (op->progress_update_scheduled) return;  // it will show the newest value
  Time now = core_->clock->Now();
  // The first value waits one interval too: the streams were just sent the RUNNING event, and
  // with thousands of them two rounds of writes back to back would take the CPU at once.
  if (op->progress_streamed_at == Time{}) op->progress_streamed_at = now;
  Time due = op->progress_streamed_at + ProgressInterval(op->status_streams);
  if (op->status_streams == 0 || now >= due) {
    ShowProgressLocked(op, now);
    return;
  }
  op->progress_update_scheduled = true;
  core_->timers.Schedule(
      due, [this, id = op->rec.id] { fanout_.Post([this, id] { ShowScheduledProgress(id); }); });
}

void StreamWiring::ShowScheduledProgress(const std::string& id) {
  core::MutexLock lock(&core_->s.mu);
  Op* op = core_->s.ops.Find(id);
  if (op == nullptr) return;
  op->progress_update_scheduled = false;
  ShowProgressLocked(op, core_->clock->Now());
}

void StreamWiring::ShowProgressLocked(Op* op, Time now) {
  op->streamed_progress = op->rec.progress;
  op->progress_streamed_at = now;
  OperationChangedLocked(op);
}

void StreamWiring::WakeOperation(const std::string& id) {
  Wakes wakes;
  {
    core::MutexLock lock(&core_->s.mu);
    Op* op = core_->s.ops.Find(id);
    if (op == nullptr) return;
    op->fanout_pending = false;
    TakeOpWakesLocked(op, &wakes);
  }
  RunWakes(&core_->s, &wakes);
}

void StreamWiring::TakeOpWakesLocked(Op* op, Wakes* wakes) {
  std::set<StreamCursor*> armed;
  armed.swap(op->armed);
  for (StreamCursor* c : armed) c->TakeWakeLocked(wakes);
}

void StreamWiring::WatchesChangedLocked() {
  core_->s.mu.AssertHeld();
  if (core_->s.streams.watches().empty() || watch_fanout_pending_) return;
  watch_fanout_pending_ = true;
  fanout_.Post([this] { WakeWatches(); });
}

// Wakes the armed watches that the events made visible since the last pass concern: a watch is
// woken only by an event its filter matches (or, while it reads older revisions from the store,
// by any: it is behind the window).
void StreamWiring::WakeWatches() {
  Wakes wakes;
  {
    core::MutexLock lock(&core_->s.mu);
    watch_fanout_pending_ = false;
    const auto& window = core_->s.log.window();
    auto it = std::upper_bound(
        window.begin(), window.end(), watch_woken_revision_,
        [](uint64_t rev, const WatchEntry& e) { return rev < e.event->revision; });
    std::vector<const WatchEntry*> fresh;
    for (; it != window.end() && it->event->revision <= core_->s.log.visible_revision(); ++it) {
      fresh.push_back(&*it);
    }
    watch_woken_revision_ = std::max(watch_woken_revision_, core_->s.log.visible_revision());
    std::vector<StreamCursor*> due;
    for (StreamCursor* c : core_->s.streams.watches()) {
      if (static_cast<WatchCursor*>(c)->WantsWakeLocked(fresh)) due.push_back(c);
    }
    for (StreamCursor* c : due) c->TakeWakeLocked(&wakes);
  }
  RunWakes(&core_->s, &wakes);
}

}  // namespace gpop::engine
