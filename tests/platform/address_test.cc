// Tests of the listen-address rule and the platform's IP literal parsing.

#include "service/platform/address.h"

#include <gtest/gtest.h>

namespace gpop::platform {
namespace {

TEST(AddressTest, LoopbackLiterals) {
  EXPECT_TRUE(IsLoopbackIp("127.0.0.1"));
  EXPECT_TRUE(IsLoopbackIp("127.255.3.4"));
  EXPECT_TRUE(IsLoopbackIp("::1"));
  EXPECT_TRUE(IsLoopbackIp("::ffff:127.0.0.1"));
}

TEST(AddressTest, OtherLiteralsAndNames) {
  EXPECT_FALSE(IsLoopbackIp("10.0.0.1"));
  EXPECT_FALSE(IsLoopbackIp("0.0.0.0"));
  EXPECT_FALSE(IsLoopbackIp("::"));
  EXPECT_FALSE(IsLoopbackIp("::2"));
  EXPECT_FALSE(IsLoopbackIp("::ffff:10.0.0.1"));
  EXPECT_FALSE(IsLoopbackIp("1::1"));
  EXPECT_FALSE(IsLoopbackIp("localhost"));  // names are the caller's business
  EXPECT_FALSE(IsLoopbackIp("127.0.0.1:80"));
  EXPECT_FALSE(IsLoopbackIp(""));
}

TEST(AddressTest, ListenAddresses) {
  std::optional<ListenAddress> any = ParseListenAddress("0.0.0.0:9090");
  ASSERT_TRUE(any);
  EXPECT_FALSE(any->ip.v6);
  EXPECT_EQ(any->port, 9090);
  std::optional<ListenAddress> local = ParseListenAddress("localhost:0");
  ASSERT_TRUE(local);
  EXPECT_EQ(local->ip.bytes[0], 127);
  EXPECT_EQ(local->port, 0);
  std::optional<ListenAddress> v6 = ParseListenAddress("[::1]:65535");
  ASSERT_TRUE(v6);
  EXPECT_TRUE(v6->ip.v6);
  EXPECT_EQ(v6->port, 65535);
  ASSERT_TRUE(ParseListenAddress(":80"));
  for (const char* bad : {"", "9090", "host.example:80", "1.2.3.4:", "1.2.3.4:65536", "1.2.3.4:-1",
                          "::1:80", "[1.2.3.4]:80", "[::1]80", "1.2.3.4:8a"}) {
    EXPECT_FALSE(ParseListenAddress(bad)) << bad;
  }
}

TEST(AddressTest, ParsesBytesInNetworkOrder) {
  auto v4 = ParseIpAddress("192.168.1.2");
  ASSERT_TRUE(v4);
  EXPECT_FALSE(v4->v6);
  EXPECT_EQ(v4->bytes[0], 192);
  EXPECT_EQ(v4->bytes[3], 2);
  auto v6 = ParseIpAddress("fe80::1");
  ASSERT_TRUE(v6);
  EXPECT_TRUE(v6->v6);
  EXPECT_EQ(v6->bytes[0], 0xFE);
  EXPECT_EQ(v6->bytes[15], 1);
  EXPECT_FALSE(ParseIpAddress("[::1]"));
}

}  // namespace
}  // namespace gpop::platform
