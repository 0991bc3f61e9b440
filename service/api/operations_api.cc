// gpop.v1 calls without a transport (see operations_api.h).

#include "service/api/operations_api.h"

#include <string>
#include <utility>

#include "service/api/conversion.h"
#include "service/api/log.h"
#include "service/engine/status_convert.h"

namespace gpop::api {

OperationsApi::OperationsApi(engine::Engine* engine, core::Backend* backend, ServiceOptions options)
    : engine_(engine), backend_(backend), options_(options) {}

absl::StatusOr<v1::Operation> OperationsApi::StartOperation(
    const Principal& caller, const v1::StartOperationRequest& request) {
  LogTags tags{"", request.request_id(), caller.name};
  absl::StatusOr<engine::StartRequest> start =
      StartRequestFromProto(request, caller.name, options_.max_timeout, backend_);
  if (!start.ok()) {
    Log(LogLevel::kInfo, tags, "start refused: " + std::string(start.status().message()));
    return start.status();
  }
  absl::StatusOr<engine::OperationRecord> record = engine_->Start(*start);
  if (!record.ok()) {
    Log(LogLevel::kInfo, tags, "start refused: " + std::string(record.status().message()));
    return record.status();
  }
  tags.operation_id = record->id;
  Log(LogLevel::kInfo, tags,
      std::string("start ") + core::KindName(record->kind) + ": " + core::StateName(record->state));
  v1::Operation response;
  OperationToProto(*record, &response);
  return response;
}

absl::StatusOr<v1::Operation> OperationsApi::Cancel(const Principal& caller,
                                                    const v1::CancelRequest& request) {
  if (absl::Status s = ValidateOperationId("operation_id", request.operation_id()); !s.ok()) {
    return s;
  }
  absl::StatusOr<engine::OperationRecord> record = engine_->Cancel(request.operation_id());
  if (!record.ok()) return record.status();
  Log(LogLevel::kInfo, LogTags{record->id, record->request_id, caller.name},
      std::string("cancel requested: ") + core::StateName(record->state));
  v1::Operation response;
  OperationToProto(*record, &response);
  return response;
}

absl::StatusOr<v1::ListGposResponse> OperationsApi::ListGpos(const Principal& caller,
                                                             const v1::ListGposRequest& request) {
  core::Result<std::vector<core::GpoInfo>> gpos = backend_->ListGpos();
  if (!gpos.ok()) return engine::ToStatus(gpos.error());
  v1::ListGposResponse response;
  for (const core::GpoInfo& gpo : *gpos) GpoToProto(gpo, response.add_gpos());
  return response;
}

absl::StatusOr<v1::ListBackupsResponse> OperationsApi::ListBackups(
    const Principal& caller, const v1::ListBackupsRequest& request) {
  absl::StatusOr<core::Backend::BackupQuery> query = BackupQueryFromProto(request);
  if (!query.ok()) return query.status();
  core::Result<std::vector<core::BackupInfo>> backups = backend_->ListBackups(*query);
  if (!backups.ok()) return engine::ToStatus(backups.error());
  v1::ListBackupsResponse response;
  for (const core::BackupInfo& backup : *backups) BackupToProto(backup, response.add_backups());
  return response;
}

absl::StatusOr<v1::Operation> OperationsApi::GetOperation(const Principal& caller,
                                                          const v1::GetOperationRequest& request) {
  if (absl::Status s = ValidateOperationId("operation_id", request.operation_id()); !s.ok()) {
    return s;
  }
  absl::StatusOr<engine::OperationRecord> record = engine_->Get(request.operation_id());
  if (!record.ok()) return record.status();
  v1::Operation response;
  OperationToProto(*record, &response);
  return response;
}

absl::StatusOr<v1::ListOperationsResponse> OperationsApi::ListOperations(
    const Principal& caller, const v1::ListOperationsRequest& request) {
  absl::StatusOr<engine::ListRequest> list = ListRequestFromProto(request);
  if (!list.ok()) return list.status();
  absl::StatusOr<engine::ListResponse> page = engine_->List(*list);
  if (!page.ok()) return page.status();
  v1::ListOperationsResponse response;
  for (const engine::OperationRecord& record : page->operations) {
    OperationToProto(record, response.add_operations());
  }
  response.set_next_page_token(page->next_page_token);
  response.set_revision(page->revision);
  return response;
}

absl::StatusOr<std::unique_ptr<engine::Cursor>> OperationsApi::OpenStatusStream(
    const Principal& caller, const v1::StreamStatusRequest& request) {
  if (absl::Status s = ValidateOperationId("operation_id", request.operation_id()); !s.ok()) {
    return s;
  }
  return engine_->OpenStatusStream(caller.name, request.operation_id(), request.after_sequence());
}

absl::StatusOr<std::unique_ptr<engine::Cursor>> OperationsApi::OpenWatch(
    const Principal& caller, const v1::WatchOperationsRequest& request) {
  absl::StatusOr<std::string> filter = WatchFilterFromProto(request);
  if (!filter.ok()) return filter.status();
  return engine_->OpenWatch(caller.name, request.after_revision(), *filter);
}

}  // namespace gpop::api
