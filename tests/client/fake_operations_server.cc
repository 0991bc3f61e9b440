// FakeOperationsServer: scripted streams over a real gRPC server on 127.0.0.1:0.

#include "tests/client/fake_operations_server.h"

#include <algorithm>
#include <string>
#include <utility>

#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"

namespace gpop::testing {

FakeOperationsServer::FakeOperationsServer(int event_count) : event_count_(event_count) {}

FakeOperationsServer::~FakeOperationsServer() {
  if (server_ != nullptr) server_->Shutdown();
}

std::shared_ptr<grpc::Channel> FakeOperationsServer::Start() {
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(this);
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || port == 0) return nullptr;
  return grpc::CreateChannel("127.0.0.1:" + std::to_string(port),
                             grpc::InsecureChannelCredentials());
}

void FakeOperationsServer::AddStreamAttempt(Attempt attempt) {
  core::MutexLock lock(&mu_);
  stream_script_.push_back(std::move(attempt));
}

void FakeOperationsServer::AddWatchAttempt(Attempt attempt) {
  core::MutexLock lock(&mu_);
  watch_script_.push_back(std::move(attempt));
}

std::vector<uint64_t> FakeOperationsServer::stream_requests() const {
  core::MutexLock lock(&mu_);
  return stream_requests_;
}

std::vector<uint64_t> FakeOperationsServer::watch_requests() const {
  core::MutexLock lock(&mu_);
  return watch_requests_;
}

std::string FakeOperationsServer::last_authorization() const {
  core::MutexLock lock(&mu_);
  return last_authorization_;
}

grpc::Status FakeOperationsServer::ErrorWithInfo(grpc::StatusCode code, const std::string& message,
                                                 const std::string& reason, const std::string& key,
                                                 const std::string& value) {
  google::rpc::ErrorInfo info;
  info.set_reason(reason);
  info.set_domain("gpop.dev");
  if (!key.empty()) (*info.mutable_metadata())[key] = value;
  google::rpc::Status status;
  status.set_code(static_cast<int>(code));
  status.set_message(message);
  status.add_details()->PackFrom(info);
  return grpc::Status(code, message, status.SerializeAsString());
}

v1::Event FakeOperationsServer::MakeEvent(uint64_t sequence) const {
  v1::Event event;
  event.set_operation_id(kOperationId);
  event.set_sequence(sequence);
  event.set_revision(kRevisionBase + sequence);
  event.set_kind(v1::BACKUP);
  if (sequence == static_cast<uint64_t>(event_count_)) {
    event.set_state(v1::SUCCEEDED);
    event.set_effects(v1::APPLIED);
  } else {
    event.set_state(sequence == 1 ? v1::QUEUED : v1::RUNNING);
    event.add_messages()->set_message("step " + std::to_string(sequence));
  }
  return event;
}

void FakeOperationsServer::RecordAuthorization(grpc::ServerContext* context) {
  std::string authorization;
  auto it = context->client_metadata().find("authorization");
  if (it != context->client_metadata().end()) {
    authorization.assign(it->second.data(), it->second.size());
  }
  core::MutexLock lock(&mu_);
  last_authorization_ = authorization;
}

grpc::Status FakeOperationsServer::StartOperation(grpc::ServerContext* context,
                                                  const v1::StartOperationRequest* request,
                                                  v1::Operation* response) {
  RecordAuthorization(context);
  if (request->request_id() == "reused") {
    return ErrorWithInfo(grpc::StatusCode::ALREADY_EXISTS, "request_id used for another request",
                         "REQUEST_ID_REUSED", "request_id", request->request_id());
  }
  response->set_id(kOperationId);
  response->set_kind(static_cast<v1::OperationKind>(request->spec().kind_case()));
  response->set_state(v1::QUEUED);
  *response->mutable_spec() = request->spec();
  *response->mutable_labels() = request->labels();
  response->set_request_id(request->request_id());
  return grpc::Status::OK;
}

void FakeOperationsServer::SetGetOperationError(grpc::Status status) {
  core::MutexLock lock(&mu_);
  get_operation_error_ = std::move(status);
}

grpc::Status FakeOperationsServer::GetOperation(grpc::ServerContext* context,
                                                const v1::GetOperationRequest* request,
                                                v1::Operation* response) {
  RecordAuthorization(context);
  {
    core::MutexLock lock(&mu_);
    if (!get_operation_error_.ok()) return get_operation_error_;
  }
  if (request->operation_id() != kOperationId) {
    return ErrorWithInfo(grpc::StatusCode::NOT_FOUND, "no such operation", "OPERATION_NOT_FOUND",
                         "operation_id", request->operation_id());
  }
  response->set_id(kOperationId);
  response->set_kind(v1::REPORT);
  response->set_state(v1::SUCCEEDED);
  response->set_last_sequence(event_count_);
  response->mutable_result()->mutable_report()->set_format(v1::XML);
  response->mutable_result()->mutable_report()->set_content("<report/>");
  return grpc::Status::OK;
}

grpc::Status FakeOperationsServer::Cancel(grpc::ServerContext* context,
                                          const v1::CancelRequest* request,
                                          v1::Operation* response) {
  RecordAuthorization(context);
  if (request->operation_id() != kOperationId) {
    return ErrorWithInfo(grpc::StatusCode::NOT_FOUND, "no such operation", "OPERATION_NOT_FOUND",
                         "operation_id", request->operation_id());
  }
  response->set_id(kOperationId);
  response->set_state(v1::CANCELLING);
  response->set_cancel_requested(true);
  return grpc::Status::OK;
}

grpc::Status FakeOperationsServer::ListOperations(grpc::ServerContext* context,
                                                  const v1::ListOperationsRequest* request,
                                                  v1::ListOperationsResponse* response) {
  RecordAuthorization(context);
  constexpr int kTotal = 5;
  int page_size = request->page_size() > 0 ? request->page_size() : 2;
  int start = request->page_token().empty() ? 0 : std::stoi(request->page_token());
  int end = std::min(kTotal, start + page_size);
  for (int i = start; i < end; ++i) {
    v1::Operation* op = response->add_operations();
    op->set_id("op-" + std::to_string(i));
    op->set_state(v1::SUCCEEDED);
  }
  if (end < kTotal) response->set_next_page_token(std::to_string(end));
  // A later page reflects a later revision, which the client must not take.
  response->set_revision(start == 0 ? 42 : 43);
  return grpc::Status::OK;
}

grpc::Status FakeOperationsServer::StreamStatus(grpc::ServerContext* context,
                                                const v1::StreamStatusRequest* request,
                                                grpc::ServerWriter<v1::StatusUpdate>* writer) {
  if (request->operation_id() != kOperationId) {
    return ErrorWithInfo(grpc::StatusCode::NOT_FOUND, "no such operation", "OPERATION_NOT_FOUND",
                         "operation_id", request->operation_id());
  }
  uint64_t after = request->after_sequence();
  Attempt attempt;
  {
    core::MutexLock lock(&mu_);
    stream_requests_.push_back(after);
    if (!stream_script_.empty()) {
      attempt = stream_script_.front();
      stream_script_.pop_front();
    }
  }
  if (after > static_cast<uint64_t>(event_count_)) {
    return ErrorWithInfo(grpc::StatusCode::OUT_OF_RANGE, "after_sequence is beyond the operation",
                         "SEQUENCE_OUT_OF_RANGE", "after_sequence", std::to_string(after));
  }
  if (attempt.progress_first) {
    v1::StatusUpdate update;
    update.mutable_progress()->set_numerator(static_cast<int64_t>(after));
    update.mutable_progress()->set_denominator(event_count_);
    update.mutable_progress()->set_after_sequence(after);
    if (!writer->Write(update)) return grpc::Status::CANCELLED;
  }
  uint64_t first = after > static_cast<uint64_t>(attempt.replay_overlap)
                       ? after - attempt.replay_overlap + 1
                       : 1;
  uint64_t last = static_cast<uint64_t>(event_count_);
  if (attempt.max_events >= 0) last = std::min(last, after + attempt.max_events);
  for (uint64_t sequence = first; sequence <= last; ++sequence) {
    if (context->IsCancelled()) return grpc::Status::CANCELLED;
    v1::StatusUpdate update;
    *update.mutable_event() = MakeEvent(sequence);
    if (!writer->Write(update)) return grpc::Status::CANCELLED;
  }
  if (last == static_cast<uint64_t>(event_count_)) return grpc::Status::OK;
  if (attempt.heartbeat_last) {
    v1::StatusUpdate update;
    update.mutable_heartbeat()->set_sequence(last);
    if (!writer->Write(update)) return grpc::Status::CANCELLED;
  }
  return attempt.end;
}

grpc::Status FakeOperationsServer::WatchOperations(
    grpc::ServerContext* context, const v1::WatchOperationsRequest* request,
    grpc::ServerWriter<v1::WatchOperationsResponse>* writer) {
  uint64_t after = request->after_revision();
  Attempt attempt;
  attempt.end = grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "watch script used up");
  {
    core::MutexLock lock(&mu_);
    watch_requests_.push_back(after);
    if (!watch_script_.empty()) {
      attempt = watch_script_.front();
      watch_script_.pop_front();
    }
  }
  if (after < kRevisionBase / 2) {
    return ErrorWithInfo(grpc::StatusCode::FAILED_PRECONDITION, "revision no longer retained",
                         "CURSOR_EXPIRED", "after_revision", std::to_string(after));
  }
  uint64_t after_sequence = after > kRevisionBase ? after - kRevisionBase : 0;
  uint64_t first = after_sequence > static_cast<uint64_t>(attempt.replay_overlap)
                       ? after_sequence - attempt.replay_overlap + 1
                       : 1;
  uint64_t last = static_cast<uint64_t>(event_count_);
  if (attempt.max_events >= 0) last = std::min(last, after_sequence + attempt.max_events);
  for (uint64_t sequence = first; sequence <= last; ++sequence) {
    if (context->IsCancelled()) return grpc::Status::CANCELLED;
    v1::WatchOperationsResponse response;
    *response.mutable_event() = MakeEvent(sequence);
    if (!writer->Write(response)) return grpc::Status::CANCELLED;
  }
  if (attempt.heartbeat_last) {
    // A bookmark beyond every event: nothing else matched up to there.
    v1::WatchOperationsResponse response;
    response.mutable_heartbeat()->set_revision(kRevisionBase + event_count_ + 10);
    if (!writer->Write(response)) return grpc::Status::CANCELLED;
  }
  return attempt.end;
}

}  // namespace gpop::testing
