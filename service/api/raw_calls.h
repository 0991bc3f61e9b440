// The pieces of a raw byte-buffer gRPC handler: the request bytes parsed by gpop (request_parse.h:
// bytes that do not parse are INVALID_ARGUMENT, reason MALFORMED_REQUEST, not gRPC's
// UNIMPLEMENTED), the answer serialized, the status mapped in one place (status_mapping.h).
// Callback-API services register their methods with the generated WithRawCallbackMethod_*
// classes; synchronous-API services (whose calls block on files) derive from RawSyncService.

#ifndef GPOP_SERVICE_API_RAW_CALLS_H_
#define GPOP_SERVICE_API_RAW_CALLS_H_

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "grpcpp/impl/service_type.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/sync_stream.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/server_callback.h"
#include "service/api/auth/principal.h"
#include "service/api/blocking_pool.h"
#include "service/api/request_parse.h"
#include "service/api/status_mapping.h"

namespace gpop::api {

// ParseRaw
//
// The request bytes of a raw call as Message.
template <typename Message>
absl::StatusOr<Message> ParseRaw(const grpc::ByteBuffer* request) {
  std::vector<grpc::Slice> slices;
  std::string bytes;
  if (request != nullptr && !request->Dump(&slices).ok()) {
    return absl::InvalidArgumentError("the request could not be read");
  }
  for (const grpc::Slice& slice : slices) {
    bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  return ParseRequest<Message>(bytes);
}

// SerializeRaw
//
// `message` as the bytes of a raw answer.
inline void SerializeRaw(const google::protobuf::Message& message, grpc::ByteBuffer* out) {
  std::string bytes = message.SerializeAsString();
  grpc::Slice slice(std::move(bytes));
  *out = grpc::ByteBuffer(&slice, 1);
}

// FinishRaw
//
// Answers `reactor` with `result`: the serialized message when OK, else the mapped status.
template <typename Message>
void FinishRaw(grpc::ServerUnaryReactor* reactor, const absl::StatusOr<Message>& result,
               grpc::ByteBuffer* response) {
  if (!result.ok()) {
    reactor->Finish(ToGrpcStatus(result.status()));
    return;
  }
  SerializeRaw(*result, response);
  reactor->Finish(grpc::Status::OK);
}

// ReplyRaw
//
// The default reactor of `context`, finished with `status`.
inline grpc::ServerUnaryReactor* ReplyRaw(grpc::CallbackServerContext* context,
                                          const absl::Status& status) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

// AnswerUnary
//
// The whole of a raw unary callback handler: `caller` first (a stranger learns nothing, not
// even whether its bytes parse), then `request` parsed as Request, then `response` answered with
// call(principal, request) -> absl::StatusOr<Response message>, on `pool` when it is not null
// (work that may block stays off gRPC's callback threads).
template <typename Request, typename Call>
grpc::ServerUnaryReactor* AnswerUnary(grpc::CallbackServerContext* context,
                                      absl::StatusOr<Principal> caller,
                                      const grpc::ByteBuffer* request, grpc::ByteBuffer* response,
                                      BlockingPool* pool, Call call) {
  if (!caller.ok()) return ReplyRaw(context, caller.status());
  absl::StatusOr<Request> parsed = ParseRaw<Request>(request);
  if (!parsed.ok()) return ReplyRaw(context, parsed.status());
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (pool == nullptr) {
    FinishRaw(reactor, call(*caller, *parsed), response);
    return reactor;
  }
  pool->Post([reactor, response, call, caller = *std::move(caller), parsed = *std::move(parsed)] {
    FinishRaw(reactor, call(caller, parsed), response);
  });
  return reactor;
}

// ReadRaw
//
// The next message of a raw client stream as Message; nothing when the stream has ended.
template <typename Message>
std::optional<absl::StatusOr<Message>> ReadRaw(grpc::ServerReader<grpc::ByteBuffer>* reader) {
  grpc::ByteBuffer bytes;
  if (!reader->Read(&bytes)) return std::nullopt;
  return ParseRaw<Message>(&bytes);
}

// RawSyncService
//
// The synchronous-API form of the same mechanism: a grpc::Service whose methods take and give
// bytes, so that its handlers parse requests with ParseRaw / ReadRaw. The methods are registered
// by name from the service's descriptor: every method needs a handler of its kind (unary,
// client-streaming or server-streaming), and a method without one, or a handler for no method,
// aborts at construction (a programming error that any test starting the server finds).
// Handlers run on gRPC's synchronous threads and may block there for as long as a call lasts.
class RawSyncService : public grpc::Service {
 public:
  using Unary = std::function<grpc::Status(grpc::ServerContext*, const grpc::ByteBuffer*,
                                           grpc::ByteBuffer*)>;
  using ClientStream = std::function<grpc::Status(
      grpc::ServerContext*, grpc::ServerReader<grpc::ByteBuffer>*, grpc::ByteBuffer*)>;
  using ServerStream = std::function<grpc::Status(grpc::ServerContext*, const grpc::ByteBuffer*,
                                                  grpc::ServerWriter<grpc::ByteBuffer>*)>;
  using Handler = std::variant<Unary, ClientStream, ServerStream>;

 protected:
  // `handlers` by method name (e.g. "CreateUpload"), for every method of `service`.
  RawSyncService(const google::protobuf::ServiceDescriptor* service,
                 std::map<std::string, Handler> handlers);

 private:
  // The methods' paths ("/package.Service/Method"): grpc::internal::RpcMethod keeps the pointer.
  std::vector<std::unique_ptr<std::string>> paths_;
};

}  // namespace gpop::api

#endif  // GPOP_SERVICE_API_RAW_CALLS_H_
