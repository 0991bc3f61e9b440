// StreamRetryPolicy: bounded resumes without progress, exponential backoff with jitter.

#include "client/retry_policy.h"

#include <algorithm>

#include "client/error_info.h"

namespace gpop::client {

bool IsResumableStreamError(const absl::Status& status) {
  // A status that carries gpop's ErrorInfo is the server's answer, whatever its code.
  const bool from_server = GetErrorInfo(status).has_value();
  switch (status.code()) {
    case absl::StatusCode::kUnavailable:
      return true;
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kCancelled:  // a proxy's stream reset (the caller's own cancel is
                                        // recognised before this is asked)
      return !from_server;
    default:
      return false;
  }
}

namespace {

uint64_t SeedOf(uint64_t seed) {
  if (seed != 0) return seed;
  std::random_device device;
  return (static_cast<uint64_t>(device()) << 32) ^ device();
}

}  // namespace

StreamRetryPolicy::StreamRetryPolicy(Options options)
    : options_(options), next_delay_(options.initial_delay), random_(SeedOf(options.seed)) {
  options_.jitter = std::clamp(options_.jitter, 0.0, 1.0);
  options_.multiplier = std::max(options_.multiplier, 1.0);
  options_.max_attempts_without_progress = std::max(options_.max_attempts_without_progress, 0);
}

StreamRetryPolicy StreamRetryPolicy::Clone() const { return StreamRetryPolicy(options_); }

std::optional<std::chrono::milliseconds> StreamRetryPolicy::OnCut() {
  if (attempts_ >= options_.max_attempts_without_progress) return std::nullopt;
  std::chrono::milliseconds delay = std::min(next_delay_, options_.max_delay);
  if (attempts_ > 0 && waited_ + delay > options_.max_time_without_progress) return std::nullopt;
  ++attempts_;
  double grown = static_cast<double>(delay.count()) * options_.multiplier;
  next_delay_ = std::chrono::milliseconds(
      static_cast<int64_t>(std::min(grown, static_cast<double>(options_.max_delay.count()))));
  if (options_.jitter > 0 && delay.count() > 0) {
    std::uniform_real_distribution<double> fraction(0.0, options_.jitter);
    double cut = static_cast<double>(delay.count()) * fraction(random_);
    delay -= std::chrono::milliseconds(static_cast<int64_t>(cut));
  }
  waited_ += delay;
  return delay;
}

void StreamRetryPolicy::OnProgress() {
  attempts_ = 0;
  waited_ = std::chrono::milliseconds(0);
  next_delay_ = options_.initial_delay;
}

}  // namespace gpop::client
