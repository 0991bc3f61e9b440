// Client: request building and paging over a Connection.

#include "client/client.h"

#include <algorithm>
#include <utility>

namespace gpop::client {

Client::Client(std::shared_ptr<Connection> connection, ResumeOptions resume)
    : connection_(std::move(connection)), resume_(std::move(resume)) {}

absl::StatusOr<v1::Operation> Client::StartOperation(const v1::StartOperationRequest& request) {
  return connection_->StartOperation(request);
}

absl::StatusOr<v1::Operation> Client::GetOperation(const std::string& operation_id) {
  v1::GetOperationRequest request;
  request.set_operation_id(operation_id);
  return connection_->GetOperation(request);
}

absl::StatusOr<v1::Operation> Client::Cancel(const std::string& operation_id) {
  v1::CancelRequest request;
  request.set_operation_id(operation_id);
  return connection_->Cancel(request);
}

absl::StatusOr<v1::ListOperationsResponse> Client::ListOperations(
    const v1::ListOperationsRequest& request) {
  return connection_->ListOperations(request);
}

absl::StatusOr<v1::ListOperationsResponse> Client::ListAllOperations(const std::string& filter,
                                                                     int32_t page_size) {
  v1::ListOperationsRequest request;
  request.set_filter(filter);
  request.set_page_size(page_size);
  v1::ListOperationsResponse all;
  bool first = true;
  do {
    absl::StatusOr<v1::ListOperationsResponse> page = connection_->ListOperations(request);
    if (!page.ok()) return page.status();
    if (first) all.set_revision(page->revision());
    first = false;
    for (v1::Operation& operation : *page->mutable_operations()) {
      *all.add_operations() = std::move(operation);
    }
    request.set_page_token(page->next_page_token());
  } while (!request.page_token().empty());
  return all;
}

absl::StatusOr<v1::ListGposResponse> Client::ListGpos() {
  return connection_->ListGpos(v1::ListGposRequest());
}

absl::StatusOr<v1::ListBackupsResponse> Client::ListBackups(const v1::ListBackupsRequest& request) {
  return connection_->ListBackups(request);
}

absl::StatusOr<v1::ListAuditEntriesResponse> Client::ListAuditEntries(
    const v1::ListAuditEntriesRequest& request) {
  return connection_->ListAuditEntries(request);
}

absl::StatusOr<v1::ListAuditEntriesResponse> Client::ListAllAuditEntries(
    v1::ListAuditEntriesRequest request) {
  v1::ListAuditEntriesResponse all;
  do {
    absl::StatusOr<v1::ListAuditEntriesResponse> page = connection_->ListAuditEntries(request);
    if (!page.ok()) return page.status();
    for (v1::AuditEntry& entry : *page->mutable_entries()) *all.add_entries() = std::move(entry);
    all.set_dropped_through_sequence(
        std::max(all.dropped_through_sequence(), page->dropped_through_sequence()));
    request.set_page_token(page->next_page_token());
  } while (!request.page_token().empty());
  return all;
}

std::unique_ptr<StatusStream> Client::StreamStatus(const std::string& operation_id,
                                                   uint64_t after_sequence, StreamOptions options) {
  return std::make_unique<StatusStream>(connection_, operation_id, after_sequence, resume_,
                                        options);
}

std::unique_ptr<WatchStream> Client::WatchOperations(uint64_t after_revision,
                                                     const std::string& filter,
                                                     StreamOptions options) {
  return std::make_unique<WatchStream>(connection_, filter, after_revision, resume_, options);
}

}  // namespace gpop::client
