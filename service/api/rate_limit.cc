// Token buckets (see rate_limit.h).

#include "service/api/rate_limit.h"

#include <algorithm>
#include <cmath>

namespace gpop::api {

std::optional<engine::Duration> RateLimiter::Take(const std::string& principal,
                                                  std::optional<double> per_minute_override) {
  double per_minute = per_minute_override.value_or(per_minute_);
  if (per_minute <= 0) return std::nullopt;
  const double burst = std::max(1, burst_);
  const double per_second = per_minute / 60.0;
  engine::Time now = clock_->Now();
  core::MutexLock lock(&mu_);
  auto [it, fresh] = buckets_.try_emplace(principal, Bucket{burst, now});
  Bucket& bucket = it->second;
  if (!fresh) {
    double elapsed = std::chrono::duration<double>(now - bucket.updated).count();
    bucket.tokens = std::min(burst, bucket.tokens + std::max(0.0, elapsed) * per_second);
    bucket.updated = now;
  }
  if (bucket.tokens >= 1) {
    bucket.tokens -= 1;
    return std::nullopt;
  }
  double wait_seconds = (1 - bucket.tokens) / per_second;
  return std::chrono::duration_cast<engine::Duration>(
      std::chrono::duration<double>(std::ceil(wait_seconds * 1000) / 1000));
}

}  // namespace gpop::api
