#include "service/engine/stream_registry.h"

#include <gtest/gtest.h>

namespace gpop::engine {
namespace {

TEST(StreamRegistryTest, EnforcesServerAndPrincipalLimits) {
  StreamRegistry streams(/*max_streams=*/3, /*max_streams_per_principal=*/2);
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

TEST(StreamRegistryTest, CountsResumesByKind) {
  StreamRegistry streams(10, 10);
  EXPECT_EQ(streams.resumes(StreamRegistry::Kind::kStatus), 0u);
  streams.CountResume(StreamRegistry::Kind::kStatus);
  streams.CountResume(StreamRegistry::Kind::kWatch);
  streams.CountResume(StreamRegistry::Kind::kWatch);
  EXPECT_EQ(streams.resumes(StreamRegistry::Kind::kStatus), 1u);
  EXPECT_EQ(streams.resumes(StreamRegistry::Kind::kWatch), 2u);
}

}  // namespace
}  // namespace gpop::engine
