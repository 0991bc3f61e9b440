// The StartOperation rate limiter: a token bucket per principal on an injected clock.

#include "service/api/rate_limit.h"

#include <chrono>

#include "gtest/gtest.h"
#include "service/engine/clock.h"

namespace gpop::api {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(RateLimiterTest, BurstThenOneTokenPerInterval) {
  engine::FakeClock clock;
  RateLimiter limiter(&clock, /*per_minute=*/60, /*burst=*/3);  // one a second
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(limiter.Take("alice", std::nullopt)) << i;
  std::optional<engine::Duration> wait = limiter.Take("alice", std::nullopt);
  ASSERT_TRUE(wait.has_value());
  EXPECT_EQ(std::chrono::duration_cast<milliseconds>(*wait), milliseconds(1000));
  clock.Advance(milliseconds(400));
  wait = limiter.Take("alice", std::nullopt);
  ASSERT_TRUE(wait.has_value());
  EXPECT_EQ(std::chrono::duration_cast<milliseconds>(*wait), milliseconds(600));
  clock.Advance(milliseconds(600));
  EXPECT_FALSE(limiter.Take("alice", std::nullopt));  // refilled
  EXPECT_TRUE(limiter.Take("alice", std::nullopt).has_value());
}

TEST(RateLimiterTest, RefillStopsAtTheBurst) {
  engine::FakeClock clock;
  RateLimiter limiter(&clock, 60, 2);
  EXPECT_FALSE(limiter.Take("alice", std::nullopt));
  clock.Advance(seconds(3600));  // an hour idle still allows only the burst
  EXPECT_FALSE(limiter.Take("alice", std::nullopt));
  EXPECT_FALSE(limiter.Take("alice", std::nullopt));
  EXPECT_TRUE(limiter.Take("alice", std::nullopt).has_value());
}

TEST(RateLimiterTest, PrincipalsHaveTheirOwnBuckets) {
  engine::FakeClock clock;
  RateLimiter limiter(&clock, 60, 1);
  EXPECT_FALSE(limiter.Take("alice", std::nullopt));
  EXPECT_TRUE(limiter.Take("alice", std::nullopt).has_value());
  EXPECT_FALSE(limiter.Take("bob", std::nullopt)) << "alice's starts do not count against bob";
}

TEST(RateLimiterTest, OverrideAndUnlimited) {
  engine::FakeClock clock;
  RateLimiter unlimited(&clock, 0, 1);
  for (int i = 0; i < 100; ++i) EXPECT_FALSE(unlimited.Take("alice", std::nullopt));
  // A principal's own rate (the policy file's "limit" line) replaces the server's.
  RateLimiter limiter(&clock, 0, 1);
  EXPECT_FALSE(limiter.Take("alice", 6.0));  // six a minute: one every ten seconds
  std::optional<engine::Duration> wait = limiter.Take("alice", 6.0);
  ASSERT_TRUE(wait.has_value());
  EXPECT_EQ(std::chrono::duration_cast<seconds>(*wait), seconds(10));
  RateLimiter server_rate(&clock, 60, 1);
  EXPECT_FALSE(server_rate.Take("root", 0.0));
  EXPECT_FALSE(server_rate.Take("root", 0.0)) << "an override of 0 is unlimited";
}

}  // namespace
}  // namespace gpop::api
