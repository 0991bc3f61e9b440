// A backend for engine tests whose runs wait at a gate that the test opens, so that a test
// decides exactly when each operation progresses, commits and ends. Thread-safe.

#ifndef GPOP_TESTS_ENGINE_GATE_BACKEND_H_
#define GPOP_TESTS_ENGINE_GATE_BACKEND_H_

#include <atomic>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "service/core/backend.h"
#include "service/core/mutex.h"

namespace gpop::testing {

// How a released run of GateBackend ends.
struct GateRelease {
  bool commit = true;                // call BeginCommit before succeeding
  std::optional<core::Error> error;  // fail with this instead
  core::Effects effects = core::Effects::kApplied;
  int progress_steps = 0;  // report progress 1..n of n first
  int message_events = 0;  // report this many message events first
};

class GateBackend final : public core::Backend {
 public:
  using Release = GateRelease;

  // Runs write the bookkeeping below under mu_; taking it once orders those writes before the
  // sets are destroyed (a test may end as soon as the engine reports the run's end).
  ~GateBackend() override { core::MutexLock lock(&mu_); }

  std::string name() const override { return "gate"; }

  core::Outcome Run(const core::RunRequest& request, core::ProgressSink& sink,
                    core::CancelToken& cancel) override {
    const std::string& id = request.operation_id;
    auto sub = cancel.Subscribe([this] {
      core::MutexLock lock(&mu_);
      cv_.SignalAll();
    });
    Release release;
    bool committed_early = false;
    bool stop = false;
    {
      core::MutexLock lock(&mu_);
      if (commit_at_start_) committed_early = cancel.BeginCommit();
      started_.insert(id);
      ++running_;
      max_running_ = std::max(max_running_, running_);
      cv_.SignalAll();
      while (releases_.count(id) == 0 &&
             !(cancel.cancel_requested() && stop_on_cancel_ && !committed_early)) {
        cv_.Wait(&mu_);
      }
      if (releases_.count(id)) release = releases_[id];
      stop = cancel.cancel_requested() && stop_on_cancel_ && !committed_early;
    }
    cancel.Unsubscribe(sub);
    core::Outcome out;
    auto finish = [&] {
      core::MutexLock lock(&mu_);
      --running_;
      finished_.insert(id);
      cv_.SignalAll();
    };
    if (stop) {
      out.error = core::MakeError(core::Code::kCancelled, core::reason::kCancelled, "cancelled");
      out.effects = core::Effects::kNone;
      finish();
      return out;
    }
    for (int i = 1; i <= release.progress_steps; ++i) sink.Progress(i, release.progress_steps);
    for (int i = 0; i < release.message_events; ++i) {
      core::StatusMessage m;
      m.message = "message " + std::to_string(i);
      m.severity = core::Severity::kWarning;
      sink.Messages({m}, 0x00000001u);
    }
    if (release.error) {
      out.error = release.error;
      out.effects = core::Effects::kNone;
    } else if (release.commit && !cancel.BeginCommit()) {
      out.error = core::MakeError(core::Code::kCancelled, core::reason::kCancelled, "cancelled");
      out.effects = core::Effects::kNone;
    } else {
      core::GpoInfo gpo;
      gpo.guid = "{11111111-2222-3333-4444-555555555555}";
      gpo.display_name = "Gate";
      out.result = gpo;
      out.effects = release.effects;
    }
    finish();
    return out;
  }

  // Recover answers `outcome` for `id` (default: nullopt, no effects).
  void SetRecovered(const std::string& id, core::Outcome outcome) {
    core::MutexLock lock(&mu_);
    recovered_[id] = std::move(outcome);
  }
  std::optional<core::Outcome> Recover(const std::string& id) override {
    core::MutexLock lock(&mu_);
    asked_to_recover_.insert(id);
    auto it = recovered_.find(id);
    if (it == recovered_.end()) return std::nullopt;
    return it->second;
  }
  bool asked_to_recover(const std::string& id) {
    core::MutexLock lock(&mu_);
    return asked_to_recover_.count(id) > 0;
  }
  // true: the backend says its Recover answers for every run (Backend::RecoversEveryRun).
  void set_recovers_every_run(bool v) { recovers_every_run_ = v; }
  bool RecoversEveryRun() const override { return recovers_every_run_; }

  void Open(const std::string& id, Release release = {}) {
    core::MutexLock lock(&mu_);
    releases_[id] = release;
    cv_.SignalAll();
  }

  void WaitStarted(const std::string& id) {
    core::MutexLock lock(&mu_);
    while (started_.count(id) == 0) cv_.Wait(&mu_);
  }

  void WaitFinished(const std::string& id) {
    core::MutexLock lock(&mu_);
    while (finished_.count(id) == 0) cv_.Wait(&mu_);
  }

  bool started(const std::string& id) {
    core::MutexLock lock(&mu_);
    return started_.count(id) > 0;
  }

  int max_running() {
    core::MutexLock lock(&mu_);
    return max_running_;
  }

  // true: runs pass their commit point as soon as they start, then wait at the gate.
  void set_commit_at_start(bool v) {
    core::MutexLock lock(&mu_);
    commit_at_start_ = v;
  }

  // false: runs ignore cancels and wait for Open (to test commit-point races).
  void set_stop_on_cancel(bool v) {
    core::MutexLock lock(&mu_);
    stop_on_cancel_ = v;
  }

 private:
  core::Mutex mu_;
  core::CondVar cv_;
  std::map<std::string, Release> releases_ GPOP_GUARDED_BY(mu_);
  std::map<std::string, core::Outcome> recovered_ GPOP_GUARDED_BY(mu_);
  std::set<std::string> asked_to_recover_ GPOP_GUARDED_BY(mu_);
  std::atomic<bool> recovers_every_run_{false};
  std::set<std::string> started_ GPOP_GUARDED_BY(mu_);
  std::set<std::string> finished_ GPOP_GUARDED_BY(mu_);
  int running_ GPOP_GUARDED_BY(mu_) = 0;
  int max_running_ GPOP_GUARDED_BY(mu_) = 0;
  bool stop_on_cancel_ GPOP_GUARDED_BY(mu_) = true;
  bool commit_at_start_ GPOP_GUARDED_BY(mu_) = false;
};

}  // namespace gpop::testing

#endif  // GPOP_TESTS_ENGINE_GATE_BACKEND_H_
