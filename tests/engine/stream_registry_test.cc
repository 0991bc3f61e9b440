#include "service/engine/stream_registry.h"

#include <gtest/gtest.h>

#include "service/engine/status_convert.h"

namespace gpop::engine {
namespace {

TEST(StreamRegistryTest, EnforcesServerAndPrincipalLimits) {
  PrincipalLimits::Limits per_principal;
  per_principal.max_streams = 2;
  StreamRegistry streams(/*max_streams=*/3, PrincipalLimits(per_principal));
  EXPECT_TRUE(streams.Reserve("alice").ok());
  EXPECT_TRUE(streams.Reserve("alice").ok());
  EXPECT_EQ(streams.Reserve("alice").code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(streams.Reserve("bob").ok());
  EXPECT_EQ(streams.Reserve("carol").code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(streams.open(), 3);
  streams.Release("alice");
  EXPECT_TRUE(streams.Reserve("alice").ok());
  EXPECT_FALSE(streams.closed());
  streams.Close();
  EXPECT_TRUE(streams.closed());
}

TEST(StreamRegistryTest, APrincipalsOwnLimitReplacesTheServersForIt) {
  PrincipalLimits::Limits defaults;
  defaults.max_streams = 1;
  StreamRegistry streams(/*max_streams=*/10,
                         PrincipalLimits(defaults, [](const std::string& principal) {
                           LimitOverrides own;
                           if (principal == "dashboard") own.max_streams = 3;
                           if (principal == "nobody") own.max_streams = 0;
                           return own;
                         }));
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(streams.Reserve("dashboard").ok()) << i;
  absl::Status over = streams.Reserve("dashboard");
  EXPECT_EQ(over.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ToError(over).metadata["limit"], "3");
  EXPECT_TRUE(streams.Reserve("alice").ok());
  EXPECT_EQ(ToError(streams.Reserve("alice")).metadata["limit"], "1");
  EXPECT_EQ(streams.Reserve("nobody").code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(streams.open(), 4);
}

TEST(StreamRegistryTest, CountsResumesByKind) {
  StreamRegistry streams(10, PrincipalLimits(PrincipalLimits::Limits{}));
  EXPECT_EQ(streams.resumes(StreamRegistry::Kind::kStatus), 0u);
  streams.CountResume(StreamRegistry::Kind::kStatus);
  streams.CountResume(StreamRegistry::Kind::kWatch);
  streams.CountResume(StreamRegistry::Kind::kWatch);
  EXPECT_EQ(streams.resumes(StreamRegistry::Kind::kStatus), 1u);
  EXPECT_EQ(streams.resumes(StreamRegistry::Kind::kWatch), 2u);
}

}  // namespace
}  // namespace gpop::engine
