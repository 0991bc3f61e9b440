// Follows the engine's events for gpopd's own observers (see event_follower.h).

#include "service/api/event_follower.h"

#include <algorithm>
#include <atomic>
#include <utility>
#include <variant>

#include "service/api/log.h"

namespace gpop::api {
namespace {

// Not a client's watch: the engine may hold a batch of run ends nobody else waits for
// (EngineOptions::end_commit_hold) while followers are open.
constexpr engine::Engine::WatchFor kFollower = engine::Engine::WatchFor::kFollower;

uint64_t CurrentRevision(engine::Engine* engine) {
  engine::ListRequest now;
  now.page_size = 1;
  absl::StatusOr<engine::ListResponse> page = engine->List(now);
  return page.ok() ? page->revision : 0;
}

}  // namespace

struct EventFollower::Subscription::Entry {
  Follower follower;
  uint64_t after = 0;                // events up to it are not this follower's
  std::atomic<bool> removed{false};  // set by Remove; the thread then calls it no more
  bool in_batch = false;             // handed events of the batch under way (the thread's)
  bool dropped = false;              // no longer in entries_ (under the owner's mu_)
};

EventFollower::Subscription::Subscription(Subscription&& other) noexcept
    : owner_(other.owner_), entry_(other.entry_) {
  other.owner_ = nullptr;
  other.entry_ = nullptr;
}

EventFollower::Subscription& EventFollower::Subscription::operator=(Subscription&& other) noexcept {
  if (this != &other) {
    Reset();
    owner_ = other.owner_;
    entry_ = other.entry_;
    other.owner_ = nullptr;
    other.entry_ = nullptr;
  }
  return *this;
}

void EventFollower::Subscription::Reset() {
  if (entry_ == nullptr) return;
  owner_->Remove(entry_);
  delete entry_;
  entry_ = nullptr;
  owner_ = nullptr;
}

EventFollower::EventFollower(engine::Engine* engine, std::string principal)
    : engine_(engine), principal_(std::move(principal)) {}

EventFollower::EventFollower(engine::Engine* engine, const std::string& principal,
                             const std::string& what,
                             std::function<void(const engine::Event&)> on_event,
                             std::optional<uint64_t> after_revision,
                             std::function<void()> on_batch_end)
    : EventFollower(engine, principal) {
  // Owned here: the members it uses go after the thread (the destructor stops it first).
  own_ = Add(Follower{what, std::move(on_event), std::move(on_batch_end), after_revision});
  Start();
}

EventFollower::~EventFollower() {
  Stop();
  if (thread_.joinable()) thread_.join();
  own_.Reset();
  cursor_.reset();  // no lock held: destroying the cursor waits for a wake in progress
}

EventFollower::Subscription EventFollower::Add(Follower follower) {
  auto* entry = new Entry;
  entry->after = follower.after_revision ? *follower.after_revision : CurrentRevision(engine_);
  entry->follower = std::move(follower);
  core::MutexLock lock(&mu_);
  if (started_) entry->dropped = true;  // never called
  if (!started_) entries_.push_back(entry);
  return Subscription(this, entry);
}

void EventFollower::Remove(Entry* entry) {
  entry->removed.store(true, std::memory_order_release);
  core::MutexLock lock(&mu_);
  while (starting_) cv_.Wait(&mu_);
  if (entry->dropped) return;
  if (!running_) {
    entries_.erase(std::find(entries_.begin(), entries_.end(), entry));
    entry->dropped = true;
    return;
  }
  ++removals_;
  cv_.SignalAll();
  while (!entry->dropped) cv_.Wait(&mu_);
}

void EventFollower::DropRemovedLocked() {
  mu_.AssertHeld();
  if (removals_ == 0) return;
  auto gone = std::stable_partition(entries_.begin(), entries_.end(), [](Entry* e) {
    return !e->removed.load(std::memory_order_acquire);
  });
  for (auto it = gone; it != entries_.end(); ++it) (*it)->dropped = true;
  removals_ -= static_cast<int>(entries_.end() - gone);
  entries_.erase(gone, entries_.end());
  cv_.SignalAll();
}

void EventFollower::Start() {
  std::vector<Entry*> entries;
  {
    core::MutexLock lock(&mu_);
    if (started_) return;
    started_ = true;
    if (entries_.empty()) return;
    starting_ = true;  // Remove waits: `entries` stay valid
    entries = entries_;
  }
  auto started = [this](bool running) {
    core::MutexLock lock(&mu_);
    starting_ = false;
    running_ = running;
    ended_ = !running;
    cv_.SignalAll();
  };
  uint64_t oldest = entries.front()->after;
  for (const Entry* e : entries) oldest = std::min(oldest, e->after);
  absl::StatusOr<std::unique_ptr<engine::Cursor>> cursor =
      engine_->OpenWatch(principal_, oldest, /*filter=*/"", kFollower);
  if (!cursor.ok()) {
    const uint64_t now = CurrentRevision(engine_);
    for (Entry* e : entries) {
      if (e->after >= now) continue;
      Log(LogLevel::kWarning, {},
          e->follower.what + ": events after revision " + std::to_string(e->after) +
              " are no longer retained; following from now (" +
              std::string(cursor.status().message()) + ")");
      e->after = now;
    }
    cursor = engine_->OpenWatch(principal_, now, /*filter=*/"", kFollower);
  }
  if (!cursor.ok()) {
    for (Entry* e : entries) {
      Log(LogLevel::kWarning, {}, e->follower.what + ": " + std::string(cursor.status().message()));
    }
    started(false);
    return;
  }
  cursor_ = *std::move(cursor);
  started(true);
  thread_ = std::thread([this] { Loop(); });
}

void EventFollower::Stop() {
  core::MutexLock lock(&mu_);
  stop_ = true;
  cv_.SignalAll();
}

bool EventFollower::WaitForRevision(uint64_t revision,
                                    std::chrono::steady_clock::time_point deadline) {
  core::MutexLock lock(&mu_);
  while (revision_ < revision && !ended_) {
    if (!cv_.WaitUntil(&mu_, deadline)) break;
  }
  return revision_ >= revision;
}

void EventFollower::Loop() {
  FollowEvents();
  core::MutexLock lock(&mu_);
  running_ = false;
  ended_ = true;
  DropRemovedLocked();
  cv_.SignalAll();
}

void EventFollower::Deliver(const engine::Event& event) {
  // entries_ changes after Start only on this thread (DropRemovedLocked).
  for (Entry* e : ThreadEntries()) {
    if (event.revision <= e->after || e->removed.load(std::memory_order_acquire)) continue;
    e->follower.on_event(event);
    e->in_batch = true;
  }
}

void EventFollower::EndBatch(uint64_t last) {
  for (Entry* e : ThreadEntries()) {
    if (!e->in_batch) continue;
    e->in_batch = false;
    if (e->follower.on_batch_end) e->follower.on_batch_end();
  }
  core::MutexLock lock(&mu_);
  DropRemovedLocked();
  if (last == 0) return;
  revision_ = last;
  cv_.SignalAll();
}

void EventFollower::FollowEvents() {
  uint64_t last = 0;  // of the batch under way
  int in_batch = 0;
  for (;;) {
    engine::Cursor::Next next = cursor_->Poll();
    if (auto* item = std::get_if<engine::StreamItem>(&next)) {
      if (auto* event = std::get_if<engine::Event>(item)) {
        Deliver(*event);
        last = event->revision;
        bool stop, removed;
        {
          core::MutexLock lock(&mu_);
          stop = stop_;
          removed = removals_ > 0;
        }
        if (stop) return EndBatch(last);
        if (++in_batch < kBatch && !removed) continue;
      }
      EndBatch(last);
      last = 0;
      in_batch = 0;
      continue;
    }
    EndBatch(last);
    last = 0;
    in_batch = 0;
    if (std::holds_alternative<engine::Cursor::End>(next)) return;
    {
      core::MutexLock lock(&mu_);
      if (stop_) return;
      woken_ = false;
    }
    // Armed without mu_ held: the engine may call `wake` under its own lock.
    const bool armed = cursor_->Arm([this] {
      core::MutexLock lock(&mu_);
      woken_ = true;
      cv_.SignalAll();
    });
    if (!armed) continue;  // something is there already
    core::MutexLock lock(&mu_);
    while (!woken_ && !stop_ && removals_ == 0) cv_.Wait(&mu_);
    if (stop_) return;
    DropRemovedLocked();
  }
}

}  // namespace gpop::api
