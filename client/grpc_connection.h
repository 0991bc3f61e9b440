// The gRPC implementation of Connection, over the generated gpop.v1 stub.

#ifndef GPOP_CLIENT_GRPC_CONNECTION_H_
#define GPOP_CLIENT_GRPC_CONNECTION_H_

#include <memory>

#include "absl/status/statusor.h"
#include "client/connection.h"
#include "client/options.h"
#include "grpcpp/channel.h"

namespace gpop::client {

// MakeGrpcChannel
//
// The channel MakeGrpcConnection uses: TLS and credentials files from `options`, keepalive,
// 64 MiB messages. Also for the other services of gpopd (transfer_client.h).
absl::StatusOr<std::shared_ptr<grpc::Channel>> MakeGrpcChannel(const ConnectionOptions& options);

// MakeGrpcConnection
//
// A Connection to `options.target`. The channel connects lazily, so an unreachable server shows
// up as UNAVAILABLE on the first call. Fails only when the options cannot work (an unreadable
// root certificates file).
absl::StatusOr<std::shared_ptr<Connection>> MakeGrpcConnection(const ConnectionOptions& options);

// MakeGrpcConnection
//
// A Connection over an existing channel (tests, in-process servers); `options.target` and the
// TLS fields are ignored.
std::shared_ptr<Connection> MakeGrpcConnection(std::shared_ptr<grpc::Channel> channel,
                                               const ConnectionOptions& options);

}  // namespace gpop::client

#endif  // GPOP_CLIENT_GRPC_CONNECTION_H_
