// Tests of the listen-address policy: loopback only unless --insecure; --health_listen's form.

#include "gtest/gtest.h"
#include "service/api/server.h"

namespace gpop::api {
namespace {

TEST(ServerOptionsTest, LoopbackAddresses) {
  EXPECT_TRUE(IsLoopbackAddress("127.0.0.1:50051"));
  EXPECT_TRUE(IsLoopbackAddress("127.1.2.3:0"));
  EXPECT_TRUE(IsLoopbackAddress("[::1]:50051"));
  EXPECT_TRUE(IsLoopbackAddress("localhost:50051"));
  EXPECT_TRUE(IsLoopbackAddress("unix:/run/gpop/gpopd.sock"));
  EXPECT_TRUE(IsLoopbackAddress("[::ffff:127.0.0.1]:1"));
}

TEST(ServerOptionsTest, NonLoopbackAddresses) {
  EXPECT_FALSE(IsLoopbackAddress("0.0.0.0:50051"));
  EXPECT_FALSE(IsLoopbackAddress("[::]:50051"));
  EXPECT_FALSE(IsLoopbackAddress("10.0.0.1:50051"));
  EXPECT_FALSE(IsLoopbackAddress("example.com:50051"));
  EXPECT_FALSE(IsLoopbackAddress(":50051"));
  EXPECT_FALSE(IsLoopbackAddress("127.0.0.1"));        // no port
  EXPECT_FALSE(IsLoopbackAddress("127.0.0.1:99999"));  // no such port
  EXPECT_FALSE(IsLoopbackAddress("::1:50051"));        // IPv6 needs brackets
}

TEST(ServerOptionsTest, StartRefusesNonLoopbackWithoutInsecure) {
  ServerOptions options;
  options.listen = "0.0.0.0:0";
  // The address check comes before anything touches the engine, backend or clock.
  absl::StatusOr<std::unique_ptr<Server>> server =
      Server::Start(options, nullptr, nullptr, nullptr);
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(server.status().message().find("--insecure"), absl::string_view::npos);
}

TEST(ServerOptionsTest, StartRefusesMalformedAddress) {
  ServerOptions options;
  options.listen = "nonsense";
  options.insecure = true;
  absl::StatusOr<std::unique_ptr<Server>> server =
      Server::Start(options, nullptr, nullptr, nullptr);
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ServerOptionsTest, StartRefusesMalformedHealthAddress) {
  for (const char* health : {"nonsense", "unix:/run/gpop/health.sock", "127.0.0.1", "::1:1"}) {
    ServerOptions options;
    options.listen = "127.0.0.1:0";
    options.health_listen = health;
    absl::StatusOr<std::unique_ptr<Server>> server =
        Server::Start(options, nullptr, nullptr, nullptr);
    ASSERT_FALSE(server.ok()) << health;
    EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument) << health;
    EXPECT_NE(server.status().message().find("--health_listen"), absl::string_view::npos);
  }
}

}  // namespace
}  // namespace gpop::api
