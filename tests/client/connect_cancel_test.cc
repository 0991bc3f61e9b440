// Cancel() ends a stream whose call is still connecting: against a listener that accepts TCP
// but never speaks HTTP/2, the stream must end CANCELLED as soon as it is cancelled, not when
// gRPC's connect timeout (20 s) runs out. The test's bound is ctest's TIMEOUT (10 s).

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "client/client.h"
#include "client/grpc_connection.h"

namespace gpop::client {
namespace {

TEST(ConnectCancelTest, CancelEndsAStreamThatIsStillConnecting) {
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(listener, 8), 0);  // the kernel accepts; nobody ever answers
  socklen_t len = sizeof(addr);
  ASSERT_EQ(getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len), 0);

  ConnectionOptions options;
  options.target = "127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  auto connection = MakeGrpcConnection(options);
  ASSERT_TRUE(connection.ok());
  Client client(*connection);
  std::unique_ptr<StatusStream> stream = client.StreamStatus("op-test");
  std::thread canceller([&] { stream->Cancel(); });
  v1::StatusUpdate update;
  EXPECT_FALSE(stream->Read(&update));
  canceller.join();
  EXPECT_EQ(stream->status().code(), absl::StatusCode::kCancelled) << stream->status();
  close(listener);
}

}  // namespace
}  // namespace gpop::client
