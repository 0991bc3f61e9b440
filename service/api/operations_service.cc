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
namespace {

// WaitReactor
//
// LRO WaitOperation: follows a status cursor until the terminal event, then answers with the
// operation as it then is; answers with the not-yet-done operation when its timer fires first.
// Never blocks. Deletes itself in OnDone, after cancelling its timer (which waits for a running
// timer callback) and destroying its cursor (which waits for a running wake), neither under
// `mu_`, which both callbacks take. Thread-safe.
class WaitReactor final : public grpc::ServerUnaryReactor {
 public:
  WaitReactor(OperationsApi* api, Principal caller, engine::Clock* clock, std::string operation_id,
              google::longrunning::Operation* response)
      : api_(api),
        caller_(std::move(caller)),
        clock_(clock),
        id_(std::move(operation_id)),
        response_(response) {}

  void Start(std::unique_ptr<engine::Cursor> cursor, engine::Time until) GPOP_EXCLUDES(mu_) {
    core::MutexLock lock(&mu_);
    cursor_ = std::move(cursor);
    timer_ = clock_->Schedule(until, [this] { OnTimeout(); });
    PumpLocked();
  }

  void OnCancel() override GPOP_EXCLUDES(mu_) {
    core::MutexLock lock(&mu_);
    FinishLocked(grpc::Status(grpc::StatusCode::CANCELLED, "the call was cancelled"));
  }

  void OnDone() override GPOP_EXCLUDES(mu_) {
    engine::Clock::TimerId timer;
    std::unique_ptr<engine::Cursor> cursor;
    {
      core::MutexLock lock(&mu_);
      timer = timer_;
      cursor = std::move(cursor_);
    }
    if (timer != 0) clock_->Cancel(timer);
    cursor.reset();
    delete this;
  }

 private:
  void PumpLocked() GPOP_REQUIRES(mu_) {
    while (!finished_) {
      engine::Cursor::Next next = cursor_->Poll();
      if (auto* item = std::get_if<engine::StreamItem>(&next)) {
        const auto* event = std::get_if<engine::Event>(item);
        if (event != nullptr && core::IsTerminal(event->state)) FinishWithCurrentLocked();
        continue;  // progress, heartbeats and other events: keep waiting
      }
      if (auto* end = std::get_if<engine::Cursor::End>(&next)) {
        if (end->status.ok()) {
          FinishWithCurrentLocked();
        } else {
          FinishLocked(ToGrpcStatus(end->status));
        }
        return;
      }
      if (cursor_->Arm([this] { Wake(); })) return;
    }
  }

  void Wake() GPOP_EXCLUDES(mu_) {
    core::MutexLock lock(&mu_);
    PumpLocked();
  }

  void OnTimeout() GPOP_EXCLUDES(mu_) {
    core::MutexLock lock(&mu_);
    FinishWithCurrentLocked();
  }

  void FinishWithCurrentLocked() GPOP_REQUIRES(mu_) {
    if (finished_) return;
    absl::StatusOr<engine::OperationRecord> record = api_->ViewOperation(caller_, id_);
    if (!record.ok()) {
      FinishLocked(ToGrpcStatus(record.status()));
      return;
    }
    OperationToLro(*record, response_);
    FinishLocked(grpc::Status::OK);
  }

  void FinishLocked(grpc::Status status) GPOP_REQUIRES(mu_) {
    if (finished_) return;
    finished_ = true;
    Finish(std::move(status));
  }

  OperationsApi* const api_;
  const Principal caller_;
  engine::Clock* const clock_;
  const std::string id_;
  google::longrunning::Operation* const response_;
  core::Mutex mu_;
  std::unique_ptr<engine::Cursor> cursor_ GPOP_GUARDED_BY(mu_);
  engine::Clock::TimerId timer_ GPOP_GUARDED_BY(mu_) = 0;
  bool finished_ GPOP_GUARDED_BY(mu_) = false;
};

}  // namespace

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

absl::StatusOr<Principal> OperationsService::Authenticate(
    grpc::CallbackServerContext* context) const {
  return CallerPrincipal(context, *auth_.authenticator, auth_.unix_peers);
}

template <typename Request, typename Call>
grpc::ServerUnaryReactor* OperationsService::Unary(grpc::CallbackServerContext* context,
                                                   const grpc::ByteBuffer* request,
                                                   grpc::ByteBuffer* response, BlockingPool* pool,
                                                   Call call) {
  // Who first: a stranger learns nothing, not even whether its bytes parse.
  absl::StatusOr<Principal> caller = Authenticate(context);
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

grpc::ServerUnaryReactor* OperationsService::StartOperation(grpc::CallbackServerContext* context,
                                                            const grpc::ByteBuffer* request,
                                                            grpc::ByteBuffer* response) {
  // Start waits until the operation is durable (one group commit): off the callback thread.
  return Unary<v1::StartOperationRequest>(
      context, request, response, &durable_,
      [this](const Principal& caller, const v1::StartOperationRequest& req) {
        return api_->StartOperation(caller, req);
      });
}

grpc::ServerUnaryReactor* OperationsService::Cancel(grpc::CallbackServerContext* context,
                                                    const grpc::ByteBuffer* request,
                                                    grpc::ByteBuffer* response) {
  // Cancel waits for durability and runs the backend's cancel callbacks: off the callback
  // thread.
  return Unary<v1::CancelRequest>(context, request, response, &durable_,
                                  [this](const Principal& caller, const v1::CancelRequest& req) {
                                    return api_->Cancel(caller, req);
                                  });
}

grpc::ServerUnaryReactor* OperationsService::GetOperation(grpc::CallbackServerContext* context,
                                                          const grpc::ByteBuffer* request,
                                                          grpc::ByteBuffer* response) {
  return Unary<v1::GetOperationRequest>(
      context, request, response, nullptr,
      [this](const Principal& caller, const v1::GetOperationRequest& req) {
        return api_->GetOperation(caller, req);
      });
}

grpc::ServerUnaryReactor* OperationsService::ListOperations(grpc::CallbackServerContext* context,
                                                            const grpc::ByteBuffer* request,
                                                            grpc::ByteBuffer* response) {
  return Unary<v1::ListOperationsRequest>(
      context, request, response, nullptr,
      [this](const Principal& caller, const v1::ListOperationsRequest& req) {
        return api_->ListOperations(caller, req);
      });
}

grpc::ServerUnaryReactor* OperationsService::ListGpos(grpc::CallbackServerContext* context,
                                                      const grpc::ByteBuffer* request,
                                                      grpc::ByteBuffer* response) {
  // The backend reads the GPO store: off the callback thread.
  return Unary<v1::ListGposRequest>(
      context, request, response, &listings_,
      [this](const Principal& caller, const v1::ListGposRequest& req) {
        return api_->ListGpos(caller, req);
      });
}

grpc::ServerUnaryReactor* OperationsService::ListBackups(grpc::CallbackServerContext* context,
                                                         const grpc::ByteBuffer* request,
                                                         grpc::ByteBuffer* response) {
  // The backend reads every backup's bkupInfo.xml (and may repair manifest.xml): off the
  // callback thread.
  return Unary<v1::ListBackupsRequest>(
      context, request, response, &listings_,
      [this](const Principal& caller, const v1::ListBackupsRequest& req) {
        return api_->ListBackups(caller, req);
      });
}

RawStream* OperationsService::StreamStatus(grpc::CallbackServerContext* context,
                                           const grpc::ByteBuffer* request) {
  absl::StatusOr<Principal> caller = Authenticate(context);
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
  absl::StatusOr<Principal> caller = Authenticate(context);
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

// --- google.longrunning.Operations ----------------------------------------------------------

LroService::LroService(OperationsApi* api, CallAuthentication auth, engine::Clock* clock)
    : api_(api), auth_(auth), clock_(clock) {}

grpc::ServerUnaryReactor* LroService::ListOperations(
    grpc::CallbackServerContext* context, const google::longrunning::ListOperationsRequest* request,
    google::longrunning::ListOperationsResponse* response) {
  absl::StatusOr<Principal> caller =
      CallerPrincipal(context, *auth_.authenticator, auth_.unix_peers);
  if (!caller.ok()) return ReplyRaw(context, caller.status());
  absl::StatusOr<engine::ListRequest> list = ListRequestFromProto(*request);
  if (!list.ok()) return ReplyRaw(context, list.status());
  absl::StatusOr<engine::ListResponse> page = api_->ListVisible(*caller, *list);
  if (!page.ok()) return ReplyRaw(context, page.status());
  for (const engine::OperationRecord& record : page->operations) {
    OperationToLro(record, response->add_operations());
  }
  response->set_next_page_token(page->next_page_token);
  return ReplyRaw(context, absl::OkStatus());
}

grpc::ServerUnaryReactor* LroService::GetOperation(
    grpc::CallbackServerContext* context, const google::longrunning::GetOperationRequest* request,
    google::longrunning::Operation* response) {
  absl::StatusOr<Principal> caller =
      CallerPrincipal(context, *auth_.authenticator, auth_.unix_peers);
  if (!caller.ok()) return ReplyRaw(context, caller.status());
  absl::StatusOr<std::string> id = OperationIdFromLroName("name", request->name());
  if (!id.ok()) return ReplyRaw(context, id.status());
  absl::StatusOr<engine::OperationRecord> record = api_->ViewOperation(*caller, *id);
  if (!record.ok()) return ReplyRaw(context, record.status());
  OperationToLro(*record, response);
  return ReplyRaw(context, absl::OkStatus());
}

grpc::ServerUnaryReactor* LroService::DeleteOperation(
    grpc::CallbackServerContext* context,
    const google::longrunning::DeleteOperationRequest* request, google::protobuf::Empty* response) {
  absl::StatusOr<Principal> caller =
      CallerPrincipal(context, *auth_.authenticator, auth_.unix_peers);
  if (!caller.ok()) return ReplyRaw(context, caller.status());
  Principal principal = *std::move(caller);
  absl::StatusOr<std::string> id = OperationIdFromLroName("name", request->name());
  if (!id.ok()) return ReplyRaw(context, id.status());
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  blocking_.Post([this, reactor, principal, id = *id] {  // the store deletes: off the thread
    reactor->Finish(ToGrpcStatus(api_->DeleteOperation(principal, id)));
  });
  return reactor;
}

grpc::ServerUnaryReactor* LroService::CancelOperation(
    grpc::CallbackServerContext* context,
    const google::longrunning::CancelOperationRequest* request, google::protobuf::Empty* response) {
  absl::StatusOr<Principal> caller =
      CallerPrincipal(context, *auth_.authenticator, auth_.unix_peers);
  if (!caller.ok()) return ReplyRaw(context, caller.status());
  Principal principal = *std::move(caller);
  absl::StatusOr<std::string> id = OperationIdFromLroName("name", request->name());
  if (!id.ok()) return ReplyRaw(context, id.status());
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  blocking_.Post([this, reactor, principal, id = *id] {  // as gpop.v1 Cancel: off the thread
    reactor->Finish(ToGrpcStatus(api_->CancelOperation(principal, id).status()));
  });
  return reactor;
}

grpc::ServerUnaryReactor* LroService::WaitOperation(
    grpc::CallbackServerContext* context, const google::longrunning::WaitOperationRequest* request,
    google::longrunning::Operation* response) {
  absl::StatusOr<Principal> caller =
      CallerPrincipal(context, *auth_.authenticator, auth_.unix_peers);
  if (!caller.ok()) return ReplyRaw(context, caller.status());
  Principal principal = *std::move(caller);
  absl::StatusOr<std::string> id = OperationIdFromLroName("name", request->name());
  if (!id.ok()) return ReplyRaw(context, id.status());
  engine::Duration wait = api_->options().max_wait;
  if (request->has_timeout()) {
    // Longer than the cap is not an error: the wait simply ends at the cap (AIP-151).
    absl::StatusOr<engine::Duration> timeout =
        DurationFromProto("timeout", request->timeout(), std::chrono::hours(24 * 365 * 100));
    if (!timeout.ok()) return ReplyRaw(context, timeout.status());
    wait = std::min(wait, *timeout);
  }
  absl::StatusOr<engine::OperationRecord> record = api_->ViewOperation(principal, *id);
  if (!record.ok()) return ReplyRaw(context, record.status());
  if (core::IsTerminal(record->state)) {
    OperationToLro(*record, response);
    return ReplyRaw(context, absl::OkStatus());
  }
  absl::StatusOr<std::unique_ptr<engine::Cursor>> cursor =
      api_->OpenStatusCursor(principal, *id, record->last_sequence);
  if (!cursor.ok()) return ReplyRaw(context, cursor.status());
  auto* reactor = new WaitReactor(api_, principal, clock_, *id, response);
  reactor->Start(*std::move(cursor), clock_->Now() + wait);
  return reactor;
}

}  // namespace gpop::api
