// The pieces of a raw byte-buffer gRPC handler: the request bytes parsed by gpop (request_parse.h:
// bytes that do not parse are INVALID_ARGUMENT, reason MALFORMED_REQUEST, not gRPC's
// UNIMPLEMENTED), the answer serialized, the status mapped in one place (status_mapping.h).

#ifndef GPOP_SERVICE_API_RAW_CALLS_H_
#define GPOP_SERVICE_API_RAW_CALLS_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "google/protobuf/message.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/server_callback.h"
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

}  // namespace gpop::api

#endif  // GPOP_SERVICE_API_RAW_CALLS_H_
