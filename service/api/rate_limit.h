// StartOperation rate limiting per principal: a token bucket each, refilled continuously.

#ifndef GPOP_SERVICE_API_RATE_LIMIT_H_
#define GPOP_SERVICE_API_RATE_LIMIT_H_

#include <map>
#include <optional>
#include <string>

#include "service/core/mutex.h"
#include "service/engine/clock.h"

namespace gpop::api {

// RateLimiter
//
// `per_minute` starts per principal on average, `burst` at once. Thread-safe; `clock` must
// outlive it.
class RateLimiter {
 public:
  RateLimiter(engine::Clock* clock, double per_minute, int burst)
      : clock_(clock), per_minute_(per_minute), burst_(burst) {}

  // Takes one token for `principal` (at `per_minute_override` when set; <= 0: unlimited).
  // Returns nothing when allowed, else how long until a token is available.
  std::optional<engine::Duration> Take(const std::string& principal,
                                       std::optional<double> per_minute_override)
      GPOP_EXCLUDES(mu_);

 private:
  struct Bucket {
    double tokens = 0;
    engine::Time updated{};
  };

  engine::Clock* const clock_;
  const double per_minute_;
  const int burst_;
  core::Mutex mu_;
  std::map<std::string, Bucket> buckets_ GPOP_GUARDED_BY(mu_);
};

}  // namespace gpop::api

#endif  // GPOP_SERVICE_API_RATE_LIMIT_H_
