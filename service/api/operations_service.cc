// The gRPC services of gpopd (see operations_service.h).

#include "service/api/operations_service.h"

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "grpcpp/support/byte_buffer.h"
#include "service/api/conversion.h"
#include "service/api/cursor_stream.h"
#include "service/api/log.h"
#include "service/api/operations_api.h"
#include "service/api/principal.h"
#include "service/api/raw_calls.h"
#include "service/api/request_parse.h"
#include "service/api/status_mapping.h"
#include "service/core/mutex.h"
#include "service/engine/status_convert.h"

namespace gpop::api {

// --- gpop.v1.GroupPolicyOperations ----------------------------------------------------------

namespace {

// A cursor item as the serialized Message of its stream (false: not sent on this stream).
template <typename Message>
bool ItemToBuffer(const engine::StreamItem& item, grpc::ByteBuffer* out) {
  Message message;
  if (!StreamItemToProto(item, &message)) return false;
  SerializeRaw(message, out);
  return true;
}

using RawStream = grpc::ServerWriteReactor<grpc::ByteBuffer>;

}  // namespace

OperationsService::OperationsService(OperationsApi* api, CallAuthentication auth)
    : api_(api), auth_(auth) {}

grpc::ServerUnaryReactor* OperationsService::StartOperation(grpc::CallbackServerContext* context,
                                                            const grpc::ByteBuffer* request,
                                                            grpc::ByteBuffer* response) {
  absl::StatusOr<Principal> caller = auth_.Authenticate(context);
  if (!caller.ok()) return ReplyRaw(context, caller.status());
  absl::StatusOr<v1::StartOperationRequest> parsed = ParseRaw<v1::StartOperationRequest>(request);
  if (!parsed.ok()) return ReplyRaw(context, parsed.status());
  // Answered from the group commit's completion: no thread waits for the commit (with the
  // durable store the engine's flusher leads it); checks that read the backend's listings run
  // on the pool.
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  api_->StartOperationAsync(*caller, *std::move(parsed), &durable_,
                            [reactor, response](absl::StatusOr<v1::Operation> result) {
                              FinishRaw(reactor, result, response);
                            });
  return reactor;
}

grpc::ServerUnaryReactor* OperationsService::Cancel(grpc::CallbackServerContext* context,
                                                    const grpc::ByteBuffer* request,
                                                    grpc::ByteBuffer* response) {
  // Cancel waits for durability and runs the backend's cancel callbacks: off the callback
  // thread.
  return AnswerUnary<v1::CancelRequest>(
      context, auth_.Authenticate(context), request, response, &durable_,
      [this](const Principal& caller, const v1::CancelRequest& req) {
        return api_->Cancel(caller, req);
      });
}

grpc::ServerUnaryReactor* OperationsService::GetOperation(grpc::CallbackServerContext* context,
                                                          const grpc::ByteBuffer* request,
                                                          grpc::ByteBuffer* response) {
  return AnswerUnary<v1::GetOperationRequest>(
      context, auth_.Authenticate(context), request, response, nullptr,
      [this](const Principal& caller, const v1::GetOperationRequest& req) {
        return api_->GetOperation(caller, req);
      });
}

grpc::ServerUnaryReactor* OperationsService::ListOperations(grpc::CallbackServerContext* context,
                                                            const grpc::ByteBuffer* request,
                                                            grpc::ByteBuffer* response) {
  return AnswerUnary<v1::ListOperationsRequest>(
      context, auth_.Authenticate(context), request, response, nullptr,
      [this](const Principal& caller, const v1::ListOperationsRequest& req) {
        return api_->ListOperations(caller, req);
      });
}

grpc::ServerUnaryReactor* OperationsService::ListGpos(grpc::CallbackServerContext* context,
                                                      const grpc::ByteBuffer* request,
                                                      grpc::ByteBuffer* response) {
  // The backend reads the GPO store: off the callback thread.
  return AnswerUnary<v1::ListGposRequest>(
      context, auth_.Authenticate(context), request, response, &listings_,
      [this](const Principal& caller, const v1::ListGposRequest& req) {
        return api_->ListGpos(caller, req);
      });
}

grpc::ServerUnaryReactor* OperationsService::ListBackups(grpc::CallbackServerContext* context,
                                                         const grpc::ByteBuffer* request,
                                                         grpc::ByteBuffer* response) {
  // The backend reads every backup's bkupInfo.xml (and may repair manifest.xml): off the
  // callback thread.
  return AnswerUnary<v1::ListBackupsRequest>(
      context, auth_.Authenticate(context), request, response, &listings_,
      [this](const Principal& caller, const v1::ListBackupsRequest& req) {
        return api_->ListBackups(caller, req);
      });
}

RawStream* OperationsService::StreamStatus(grpc::CallbackServerContext* context,
                                           const grpc::ByteBuffer* request) {
  absl::StatusOr<Principal> caller = auth_.Authenticate(context);
  if (!caller.ok()) return new FailedStream<grpc::ByteBuffer>(ToGrpcStatus(caller.status()));
  absl::StatusOr<v1::StreamStatusRequest> parsed = ParseRaw<v1::StreamStatusRequest>(request);
  if (!parsed.ok()) return new FailedStream<grpc::ByteBuffer>(ToGrpcStatus(parsed.status()));
  absl::StatusOr<std::unique_ptr<engine::Cursor>> cursor = api_->OpenStatusStream(*caller, *parsed);
  if (!cursor.ok()) return new FailedStream<grpc::ByteBuffer>(ToGrpcStatus(cursor.status()));
  auto* stream =
      new CursorStream<grpc::ByteBuffer>(*std::move(cursor), &ItemToBuffer<v1::StatusUpdate>,
                                         LogTags{parsed->operation_id(), "", caller->name});
  stream->Start();
  return stream;
}

RawStream* OperationsService::WatchOperations(grpc::CallbackServerContext* context,
                                              const grpc::ByteBuffer* request) {
  absl::StatusOr<Principal> caller = auth_.Authenticate(context);
  if (!caller.ok()) return new FailedStream<grpc::ByteBuffer>(ToGrpcStatus(caller.status()));
  absl::StatusOr<v1::WatchOperationsRequest> parsed = ParseRaw<v1::WatchOperationsRequest>(request);
  if (!parsed.ok()) return new FailedStream<grpc::ByteBuffer>(ToGrpcStatus(parsed.status()));
  absl::StatusOr<std::unique_ptr<engine::Cursor>> cursor = api_->OpenWatch(*caller, *parsed);
  if (!cursor.ok()) return new FailedStream<grpc::ByteBuffer>(ToGrpcStatus(cursor.status()));
  auto* stream = new CursorStream<grpc::ByteBuffer>(*std::move(cursor),
                                                    &ItemToBuffer<v1::WatchOperationsResponse>,
                                                    LogTags{"", "", caller->name});
  stream->Start();
  return stream;
}

}  // namespace gpop::api
