// Tests of StreamRetryPolicy (budget, backoff, jitter, reset, clone) and of which statuses are
// cuts.

#include "client/retry_policy.h"

#include <chrono>
#include <optional>

#include "client/error_info.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"

namespace gpop::client {
namespace {

using std::chrono::milliseconds;

StreamRetryPolicy::Options NoJitter(int attempts) {
  StreamRetryPolicy::Options options;
  options.max_attempts_without_progress = attempts;
  options.initial_delay = milliseconds(100);
  options.max_delay = milliseconds(350);
  options.multiplier = 2.0;
  options.jitter = 0.0;
  return options;
}

TEST(StreamRetryPolicyTest, BackoffGrowsThenCaps) {
  StreamRetryPolicy policy(NoJitter(10));
  EXPECT_EQ(policy.OnCut(), milliseconds(100));
  EXPECT_EQ(policy.OnCut(), milliseconds(200));
  EXPECT_EQ(policy.OnCut(), milliseconds(350));
  EXPECT_EQ(policy.OnCut(), milliseconds(350));
}

TEST(StreamRetryPolicyTest, BudgetIsSpentAfterMaxAttemptsWithoutProgress) {
  StreamRetryPolicy policy(NoJitter(3));
  EXPECT_TRUE(policy.OnCut().has_value());
  EXPECT_TRUE(policy.OnCut().has_value());
  EXPECT_TRUE(policy.OnCut().has_value());
  EXPECT_EQ(policy.attempts_without_progress(), 3);
  EXPECT_EQ(policy.OnCut(), std::nullopt);
}

TEST(StreamRetryPolicyTest, ProgressResetsBudgetAndDelay) {
  StreamRetryPolicy policy(NoJitter(2));
  EXPECT_EQ(policy.OnCut(), milliseconds(100));
  EXPECT_EQ(policy.OnCut(), milliseconds(200));
  policy.OnProgress();
  EXPECT_EQ(policy.attempts_without_progress(), 0);
  EXPECT_EQ(policy.OnCut(), milliseconds(100));
  EXPECT_EQ(policy.OnCut(), milliseconds(200));
  EXPECT_EQ(policy.OnCut(), std::nullopt);
}

TEST(StreamRetryPolicyTest, TimeBudgetEndsResumesAndProgressRenewsIt) {
  StreamRetryPolicy::Options options = NoJitter(1000);
  options.max_time_without_progress = milliseconds(1000);
  StreamRetryPolicy policy(options);
  // 100 + 200 + 350 + 350 = 1000 ms waited; one more would pass the budget.
  EXPECT_EQ(policy.OnCut(), milliseconds(100));
  EXPECT_EQ(policy.OnCut(), milliseconds(200));
  EXPECT_EQ(policy.OnCut(), milliseconds(350));
  EXPECT_EQ(policy.OnCut(), milliseconds(350));
  EXPECT_EQ(policy.OnCut(), std::nullopt);
  policy.OnProgress();
  EXPECT_EQ(policy.OnCut(), milliseconds(100));
}

TEST(StreamRetryPolicyTest, DefaultsCarryOnForMinutes) {
  // A server restart of a few seconds (or a rolled pod of a minute) never ends a stream.
  StreamRetryPolicy::Options options;
  options.jitter = 0;
  StreamRetryPolicy policy(options);
  milliseconds waited{0};
  for (;;) {
    std::optional<milliseconds> delay = policy.OnCut();
    if (!delay) break;
    waited += *delay;
  }
  EXPECT_GE(waited, std::chrono::minutes(4));
  EXPECT_LE(waited, std::chrono::minutes(5));
}

TEST(StreamRetryPolicyTest, ZeroAttemptsNeverResumes) {
  StreamRetryPolicy policy(NoJitter(0));
  EXPECT_EQ(policy.OnCut(), std::nullopt);
}

TEST(StreamRetryPolicyTest, JitterShortensWithinBounds) {
  StreamRetryPolicy::Options options = NoJitter(1000);
  options.jitter = 0.5;
  options.max_delay = milliseconds(100);  // every nominal delay is 100ms
  options.seed = 7;
  StreamRetryPolicy policy(options);
  bool saw_shorter = false;
  for (int i = 0; i < 200; ++i) {
    std::optional<milliseconds> delay = policy.OnCut();
    ASSERT_TRUE(delay.has_value());
    EXPECT_GE(*delay, milliseconds(50));
    EXPECT_LE(*delay, milliseconds(100));
    saw_shorter = saw_shorter || *delay < milliseconds(95);
  }
  EXPECT_TRUE(saw_shorter) << "jitter never applied";
}

TEST(StreamRetryPolicyTest, CloneKeepsSettingsAndResetsState) {
  StreamRetryPolicy policy(NoJitter(2));
  policy.OnCut();
  policy.OnCut();
  StreamRetryPolicy clone = policy.Clone();
  EXPECT_EQ(clone.attempts_without_progress(), 0);
  EXPECT_EQ(clone.options().max_attempts_without_progress, 2);
  EXPECT_EQ(clone.OnCut(), milliseconds(100));
  EXPECT_EQ(policy.OnCut(), std::nullopt);
}

TEST(IsResumableStreamErrorTest, CutsAreResumableAnswersAreNot) {
  EXPECT_TRUE(IsResumableStreamError(absl::UnavailableError("")));
  EXPECT_TRUE(IsResumableStreamError(absl::InternalError("")));
  EXPECT_TRUE(IsResumableStreamError(absl::AbortedError("")));
  EXPECT_FALSE(IsResumableStreamError(absl::OkStatus()));
  EXPECT_FALSE(IsResumableStreamError(absl::NotFoundError("")));
  EXPECT_FALSE(IsResumableStreamError(absl::OutOfRangeError("")));
  EXPECT_FALSE(IsResumableStreamError(absl::InvalidArgumentError("")));
  EXPECT_FALSE(IsResumableStreamError(absl::PermissionDeniedError("")));
  EXPECT_FALSE(IsResumableStreamError(absl::UnauthenticatedError("")));
  EXPECT_FALSE(IsResumableStreamError(absl::FailedPreconditionError("")));
  EXPECT_FALSE(IsResumableStreamError(absl::ResourceExhaustedError("")));
  EXPECT_FALSE(IsResumableStreamError(absl::DeadlineExceededError("")));
  EXPECT_TRUE(IsResumableStreamError(absl::CancelledError("")));  // a proxy's reset
}

TEST(IsResumableStreamErrorTest, AnAnswerFromGpopdIsNeverACut) {
  for (int code : {13 /* INTERNAL */, 10 /* ABORTED */, 1 /* CANCELLED */}) {
    google::rpc::Status proto;
    proto.set_code(code);
    proto.set_message("from gpopd");
    google::rpc::ErrorInfo info;
    info.set_domain("gpop.dev");
    info.set_reason("INTERNAL");
    proto.add_details()->PackFrom(info);
    EXPECT_FALSE(IsResumableStreamError(FromStatusProto(proto))) << code;
  }
}

}  // namespace
}  // namespace gpop::client
