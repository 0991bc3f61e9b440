// When and how soon a resumable stream reconnects after a cut.

#ifndef GPOP_CLIENT_RETRY_POLICY_H_
#define GPOP_CLIENT_RETRY_POLICY_H_

#include <chrono>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <random>

#include "absl/status/status.h"

namespace gpop::client {

// IsResumableStreamError
//
// True when a stream that ended with `status` was cut rather than refused, so that calling again
// from the last position is the right thing to do: UNAVAILABLE (connection lost, server
// restarting, GOAWAY), and INTERNAL, ABORTED or CANCELLED without gpop's ErrorInfo (what
// proxies report for a reset stream). Every other code (NOT_FOUND, OUT_OF_RANGE,
// INVALID_ARGUMENT, PERMISSION_DENIED, FAILED_PRECONDITION, RESOURCE_EXHAUSTED,
// DEADLINE_EXCEEDED, ...), and any status carrying gpop's ErrorInfo, is an answer, not a cut.
// The caller's own Cancel() is recognised before this is asked.
bool IsResumableStreamError(const absl::Status& status);

// StreamRetryPolicy
//
// Decides whether a cut stream is resumed and how long to wait first. Resumes go on while fewer
// than `max_attempts_without_progress` went by without progress and the delays waited since the
// last progress stay within `max_time_without_progress` (minutes by default, so that a stream
// carries on across a server restart or a rolled pod); before each, the
// delay grows from `initial_delay` by `multiplier` up to `max_delay`, and is then shortened by a
// random fraction of at most `jitter` (0 = none, 1 = "full jitter"), so that many clients cut at
// once do not come back at once. Progress (see ResumableStream) resets both the budget and the
// delay.
//
// A value type: copyable, and `Clone()` gives a copy with its budget unused, so a configured
// policy serves as the prototype for every stream. Not thread-safe; each stream owns its copy.
class StreamRetryPolicy {
 public:
  // Options
  //
  // The policy's settings; the defaults suit a loopback or LAN server behind at most a proxy.
  struct Options {
    int max_attempts_without_progress = std::numeric_limits<int>::max();
    std::chrono::milliseconds max_time_without_progress{std::chrono::minutes(5)};
    std::chrono::milliseconds initial_delay{100};
    std::chrono::milliseconds max_delay{5000};
    double multiplier = 2.0;
    double jitter = 0.5;
    // Seeds the jitter; 0 = from std::random_device.
    uint64_t seed = 0;
  };

  StreamRetryPolicy() : StreamRetryPolicy(Options()) {}
  explicit StreamRetryPolicy(Options options);

  // Clone
  //
  // The same settings with the budget and delay reset.
  StreamRetryPolicy Clone() const;

  // OnCut
  //
  // Records a cut. Returns the delay to wait before resuming, or nullopt when the budget is
  // spent and the stream should end with the cut's status.
  std::optional<std::chrono::milliseconds> OnCut();

  // OnProgress
  //
  // Records progress: the budget and the delay start over.
  void OnProgress();

  // attempts_without_progress
  //
  // Cuts recorded since the last progress.
  int attempts_without_progress() const { return attempts_; }

  const Options& options() const { return options_; }

 private:
  Options options_;
  std::chrono::milliseconds waited_{0};  // delays returned since the last progress
  int attempts_ = 0;
  std::chrono::milliseconds next_delay_;
  std::mt19937_64 random_;
};

}  // namespace gpop::client

#endif  // GPOP_CLIENT_RETRY_POLICY_H_
