// Follows the engine's events (see event_follower.h).

#include "service/api/event_follower.h"

#include <utility>
#include <variant>

#include "service/api/log.h"

namespace gpop::api {
namespace {

// Not a client's watch: the engine may hold a batch of run ends nobody else waits for
// (EngineOptions::end_commit_hold) while followers are open.
constexpr engine::Engine::WatchFor kFollower = engine::Engine::WatchFor::kFollower;

}  // namespace

EventFollower::EventFollower(engine::Engine* engine, const std::string& principal,
                             const std::string& what,
                             std::function<void(const engine::Event&)> on_event,
                             std::optional<uint64_t> after_revision,
                             std::function<void()> on_batch_end)
    : on_event_(std::move(on_event)), on_batch_end_(std::move(on_batch_end)) {
  absl::StatusOr<std::unique_ptr<engine::Cursor>> cursor =
      absl::FailedPreconditionError("not opened");
  if (after_revision) {
    cursor = engine->OpenWatch(principal, *after_revision, /*filter=*/"", kFollower);
    if (!cursor.ok()) {
      Log(LogLevel::kWarning, {},
          what + ": events after revision " + std::to_string(*after_revision) +
              " are no longer retained; following from now (" +
              std::string(cursor.status().message()) + ")");
    }
  }
  if (!cursor.ok()) {
    engine::ListRequest now;
    now.page_size = 1;
    absl::StatusOr<engine::ListResponse> page = engine->List(now);
    cursor = engine->OpenWatch(principal, page.ok() ? page->revision : 0, /*filter=*/"", kFollower);
  }
  if (!cursor.ok()) {
    Log(LogLevel::kWarning, {}, what + ": " + std::string(cursor.status().message()));
    core::MutexLock lock(&mu_);
    ended_ = true;
    return;
  }
  cursor_ = *std::move(cursor);
  thread_ = std::thread([this] { Loop(); });
}

void EventFollower::Stop() {
  core::MutexLock lock(&mu_);
  stop_ = true;
  cv_.SignalAll();
}

EventFollower::~EventFollower() {
  Stop();
  if (thread_.joinable()) thread_.join();
  cursor_.reset();  // no lock held: destroying the cursor waits for a wake in progress
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
  ended_ = true;
  cv_.SignalAll();
}

void EventFollower::EndBatch(uint64_t last) {
  if (last == 0) return;
  if (on_batch_end_) on_batch_end_();
  core::MutexLock lock(&mu_);
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
        on_event_(*event);
        last = event->revision;
        bool stop;
        {
          core::MutexLock lock(&mu_);
          stop = stop_;
        }
        if (stop) return EndBatch(last);
        if (++in_batch < kBatch) continue;
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
    while (!woken_ && !stop_) cv_.Wait(&mu_);
    if (stop_) return;
  }
}

}  // namespace gpop::api
