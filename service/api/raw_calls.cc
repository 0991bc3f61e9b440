// The registration of a raw synchronous service (see raw_calls.h).

#include "service/api/raw_calls.h"

#include <cstdio>
#include <cstdlib>

#include "grpcpp/impl/rpc_service_method.h"
#include "grpcpp/support/method_handler.h"

namespace gpop::api {
namespace {

using grpc::ByteBuffer;
using grpc::internal::RpcMethod;

[[noreturn]] void Misregistered(const std::string& what) {
  std::fprintf(stderr, "gpopd: %s\n", what.c_str());
  std::abort();
}

}  // namespace

RawSyncService::RawSyncService(const google::protobuf::ServiceDescriptor* service,
                               std::map<std::string, Handler> handlers) {
  for (int i = 0; i < service->method_count(); ++i) {
    const google::protobuf::MethodDescriptor* method = service->method(i);
    auto it = handlers.find(method->name());
    if (it == handlers.end()) Misregistered("no raw handler for " + method->full_name());
    const bool client_streams = method->client_streaming();
    const bool server_streams = method->server_streaming();
    paths_.push_back(std::make_unique<std::string>("/" + service->full_name() + "/" +
                                                   method->name()));
    const char* path = paths_.back()->c_str();
    if (auto* unary = std::get_if<Unary>(&it->second); unary && !client_streams && !server_streams) {
      AddMethod(new grpc::internal::RpcServiceMethod(
          path, RpcMethod::NORMAL_RPC,
          new grpc::internal::RpcMethodHandler<RawSyncService, ByteBuffer, ByteBuffer>(
              [fn = std::move(*unary)](RawSyncService*, grpc::ServerContext* context,
                                       const ByteBuffer* request, ByteBuffer* response) {
                return fn(context, request, response);
              },
              this)));
    } else if (auto* reads = std::get_if<ClientStream>(&it->second);
               reads && client_streams && !server_streams) {
      AddMethod(new grpc::internal::RpcServiceMethod(
          path, RpcMethod::CLIENT_STREAMING,
          new grpc::internal::ClientStreamingHandler<RawSyncService, ByteBuffer, ByteBuffer>(
              [fn = std::move(*reads)](RawSyncService*, grpc::ServerContext* context,
                                       grpc::ServerReader<ByteBuffer>* reader,
                                       ByteBuffer* response) {
                return fn(context, reader, response);
              },
              this)));
    } else if (auto* writes = std::get_if<ServerStream>(&it->second);
               writes && !client_streams && server_streams) {
      AddMethod(new grpc::internal::RpcServiceMethod(
          path, RpcMethod::SERVER_STREAMING,
          new grpc::internal::ServerStreamingHandler<RawSyncService, ByteBuffer, ByteBuffer>(
              [fn = std::move(*writes)](RawSyncService*, grpc::ServerContext* context,
                                        const ByteBuffer* request,
                                        grpc::ServerWriter<ByteBuffer>* writer) {
                return fn(context, request, writer);
              },
              this)));
    } else {
      Misregistered("the raw handler of " + method->full_name() + " is of another kind");
    }
    handlers.erase(it);
  }
  if (!handlers.empty()) {
    Misregistered("a raw handler for " + handlers.begin()->first + ", not a method of " +
                  service->full_name());
  }
}

}  // namespace gpop::api
