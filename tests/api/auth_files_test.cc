#include "service/api/auth/auth_files.h"

#include <gtest/gtest.h>

namespace gpop::api {
namespace {

TEST(PolicyFileTest, LimitLinesSetEachPrincipalsOwnLimits) {
  absl::StatusOr<AuthPolicy> policy = ParsePolicyFile(
      "# batch jobs run many at once\n"
      "limit batch max_running=8 max_queued=500\n"
      "limit batch max_streams=20 starts_per_minute=120\n"
      "limit dashboard max_streams=40000\n"
      "limit dashboard max_streams=0\n",
      "policy");
  ASSERT_TRUE(policy.ok()) << policy.status();
  const engine::LimitOverrides& batch = policy->engine_limits.at("batch");
  EXPECT_EQ(batch.max_running, 8);
  EXPECT_EQ(batch.max_queued, 500);
  EXPECT_EQ(batch.max_streams, 20);
  EXPECT_EQ(policy->starts_per_minute.at("batch"), 120);
  const engine::LimitOverrides& dashboard = policy->engine_limits.at("dashboard");
  EXPECT_EQ(dashboard.max_streams, 0);  // the later line wins
  EXPECT_FALSE(dashboard.max_running.has_value());
  EXPECT_FALSE(dashboard.max_queued.has_value());
  EXPECT_EQ(policy->starts_per_minute.count("dashboard"), 0u);
}

TEST(PolicyFileTest, BadLimitLinesNameTheLine) {
  for (const char* line : {"limit batch", "limit batch max_running",
                           "limit batch max_running=", "limit batch max_running=-1",
                           "limit batch max_running=2x", "limit batch max_running=99999999",
                           "limit batch running=2", "limit batch starts_per_minute=fast"}) {
    absl::StatusOr<AuthPolicy> policy =
        ParsePolicyFile(std::string("grant batch operator\n") + line + "\n", "policy.txt");
    ASSERT_FALSE(policy.ok()) << line;
    EXPECT_EQ(policy.status().code(), absl::StatusCode::kInvalidArgument) << line;
    EXPECT_NE(policy.status().message().find("policy.txt:2:"), absl::string_view::npos)
        << line << ": " << policy.status();
  }
}

}  // namespace
}  // namespace gpop::api
