// google.longrunning.Operations over gRPC (see lro_service.h).

#include "service/api/lro_service.h"

#include <algorithm>
#include <memory>
#include <string>
#include <utility>

#include "google/protobuf/empty.pb.h"
#include "service/api/conversion.h"
#include "service/api/cursor_stream.h"
#include "service/api/principal.h"
#include "service/api/raw_calls.h"
#include "service/api/status_mapping.h"
#include "service/core/mutex.h"

namespace gpop::api {
namespace {

namespace lro = google::longrunning;

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
              grpc::ByteBuffer* response)
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
      CursorReady next = PollOrArm(*cursor_, [this] { Wake(); });
      if (std::holds_alternative<Armed>(next)) return;
      if (auto* end = std::get_if<engine::Cursor::End>(&next)) {
        if (end->status.ok()) {
          FinishWithCurrentLocked();
        } else {
          FinishLocked(ToGrpcStatus(end->status));
        }
        return;
      }
      // Progress, heartbeats and other events: keep waiting for the terminal one.
      const auto* event = std::get_if<engine::Event>(&std::get<engine::StreamItem>(next));
      if (event != nullptr && core::IsTerminal(event->state)) FinishWithCurrentLocked();
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
    google::longrunning::Operation operation;
    OperationToLro(*record, &operation);
    SerializeRaw(operation, response_);
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
  grpc::ByteBuffer* const response_;
  core::Mutex mu_;
  std::unique_ptr<engine::Cursor> cursor_ GPOP_GUARDED_BY(mu_);
  engine::Clock::TimerId timer_ GPOP_GUARDED_BY(mu_) = 0;
  bool finished_ GPOP_GUARDED_BY(mu_) = false;
};

}  // namespace

LroService::LroService(OperationsApi* api, CallAuthentication auth, engine::Clock* clock)
    : api_(api), auth_(auth), clock_(clock) {}

grpc::ServerUnaryReactor* LroService::ListOperations(grpc::CallbackServerContext* context,
                                                     const grpc::ByteBuffer* request,
                                                     grpc::ByteBuffer* response) {
  return AnswerUnary<lro::ListOperationsRequest>(
      context, auth_.Authenticate(context), request, response, nullptr,
      [this](const Principal& caller,
             const lro::ListOperationsRequest& req) -> absl::StatusOr<lro::ListOperationsResponse> {
        absl::StatusOr<engine::ListRequest> list = ListRequestFromProto(req);
        if (!list.ok()) return list.status();
        absl::StatusOr<engine::ListResponse> page = api_->ListVisible(caller, *list);
        if (!page.ok()) return page.status();
        lro::ListOperationsResponse out;
        for (const engine::OperationRecord& record : page->operations) {
          OperationToLro(record, out.add_operations());
        }
        out.set_next_page_token(page->next_page_token);
        return out;
      });
}

grpc::ServerUnaryReactor* LroService::GetOperation(grpc::CallbackServerContext* context,
                                                   const grpc::ByteBuffer* request,
                                                   grpc::ByteBuffer* response) {
  return AnswerUnary<lro::GetOperationRequest>(
      context, auth_.Authenticate(context), request, response, nullptr,
      [this](const Principal& caller,
             const lro::GetOperationRequest& req) -> absl::StatusOr<lro::Operation> {
        absl::StatusOr<std::string> id = OperationIdFromLroName("name", req.name());
        if (!id.ok()) return id.status();
        absl::StatusOr<engine::OperationRecord> record = api_->ViewOperation(caller, *id);
        if (!record.ok()) return record.status();
        lro::Operation out;
        OperationToLro(*record, &out);
        return out;
      });
}

grpc::ServerUnaryReactor* LroService::DeleteOperation(grpc::CallbackServerContext* context,
                                                      const grpc::ByteBuffer* request,
                                                      grpc::ByteBuffer* response) {
  // The store deletes: off the callback thread.
  return AnswerUnary<lro::DeleteOperationRequest>(
      context, auth_.Authenticate(context), request, response, &blocking_,
      [this](const Principal& caller,
             const lro::DeleteOperationRequest& req) -> absl::StatusOr<google::protobuf::Empty> {
        absl::StatusOr<std::string> id = OperationIdFromLroName("name", req.name());
        if (!id.ok()) return id.status();
        if (absl::Status s = api_->DeleteOperation(caller, *id); !s.ok()) return s;
        return google::protobuf::Empty();
      });
}

grpc::ServerUnaryReactor* LroService::CancelOperation(grpc::CallbackServerContext* context,
                                                      const grpc::ByteBuffer* request,
                                                      grpc::ByteBuffer* response) {
  // As gpop.v1 Cancel: off the callback thread.
  return AnswerUnary<lro::CancelOperationRequest>(
      context, auth_.Authenticate(context), request, response, &blocking_,
      [this](const Principal& caller,
             const lro::CancelOperationRequest& req) -> absl::StatusOr<google::protobuf::Empty> {
        absl::StatusOr<std::string> id = OperationIdFromLroName("name", req.name());
        if (!id.ok()) return id.status();
        if (absl::Status s = api_->CancelOperation(caller, *id).status(); !s.ok()) return s;
        return google::protobuf::Empty();
      });
}

grpc::ServerUnaryReactor* LroService::WaitOperation(grpc::CallbackServerContext* context,
                                                    const grpc::ByteBuffer* request,
                                                    grpc::ByteBuffer* response) {
  absl::StatusOr<Principal> caller = auth_.Authenticate(context);
  if (!caller.ok()) return ReplyRaw(context, caller.status());
  absl::StatusOr<lro::WaitOperationRequest> parsed = ParseRaw<lro::WaitOperationRequest>(request);
  if (!parsed.ok()) return ReplyRaw(context, parsed.status());
  Principal principal = *std::move(caller);
  absl::StatusOr<std::string> id = OperationIdFromLroName("name", parsed->name());
  if (!id.ok()) return ReplyRaw(context, id.status());
  engine::Duration wait = api_->options().max_wait;
  if (parsed->has_timeout()) {
    // Longer than the cap is not an error: the wait simply ends at the cap (AIP-151).
    absl::StatusOr<engine::Duration> timeout =
        DurationFromProto("timeout", parsed->timeout(), std::chrono::hours(24 * 365 * 100));
    if (!timeout.ok()) return ReplyRaw(context, timeout.status());
    wait = std::min(wait, *timeout);
  }
  absl::StatusOr<engine::OperationRecord> record = api_->ViewOperation(principal, *id);
  if (!record.ok()) return ReplyRaw(context, record.status());
  if (core::IsTerminal(record->state)) {
    lro::Operation out;
    OperationToLro(*record, &out);
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    FinishRaw(reactor, absl::StatusOr<lro::Operation>(std::move(out)), response);
    return reactor;
  }
  absl::StatusOr<std::unique_ptr<engine::Cursor>> cursor =
      api_->OpenStatusCursor(principal, *id, record->last_sequence);
  if (!cursor.ok()) return ReplyRaw(context, cursor.status());
  auto* reactor = new WaitReactor(api_, principal, clock_, *id, response);
  reactor->Start(*std::move(cursor), clock_->Now() + wait);
  return reactor;
}

}  // namespace gpop::api
