// gpop::client::Client: what applications call to run and watch Group Policy operations on a
// gpop server.
//
//   gpop::client::ConnectionOptions options;
//   options.target = "127.0.0.1:50051";
//   auto connection = gpop::client::MakeGrpcConnection(options);  // StatusOr
//   gpop::client::Client client(*connection);
//   auto op = client.StartOperation(request);
//   auto stream = client.StreamStatus(op->id());
//   gpop::v1::StatusUpdate update;
//   while (stream->Read(&update)) { ... }
//   if (!stream->status().ok()) { ... GetErrorInfo(stream->status()) ... }

#ifndef GPOP_CLIENT_CLIENT_H_
#define GPOP_CLIENT_CLIENT_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "client/connection.h"
#include "client/error_info.h"
#include "client/options.h"
#include "client/resumable_stream.h"
#include "gpop/v1/operations.pb.h"

namespace gpop::client {

// Client
//
// The gpop.v1 API over a Connection. Unary methods make one attempt (StartOperation is safe to
// retry by the caller when the request carries a request_id); streams resume by themselves as
// ResumeOptions says. Errors keep their AIP-193 details: see GetErrorInfo(). Thread-safe; cheap
// to copy (copies share the connection).
class Client {
 public:
  explicit Client(std::shared_ptr<Connection> connection, ResumeOptions resume = {});

  // StartOperation
  //
  // Records and queues an operation; returns it in state QUEUED (or as it is, for a retried
  // request_id).
  absl::StatusOr<v1::Operation> StartOperation(const v1::StartOperationRequest& request);

  // GetOperation
  //
  // The operation's current record.
  absl::StatusOr<v1::Operation> GetOperation(const std::string& operation_id);

  // Cancel
  //
  // Requests a cancel (best effort, idempotent); returns the operation as it then is.
  absl::StatusOr<v1::Operation> Cancel(const std::string& operation_id);

  // ListOperations
  //
  // One page of operations, newest first.
  absl::StatusOr<v1::ListOperationsResponse> ListOperations(
      const v1::ListOperationsRequest& request);

  // ListAllOperations
  //
  // Every page of operations that match `filter`, concatenated; `revision` is the first page's
  // (the one to watch from) and `next_page_token` is empty.
  absl::StatusOr<v1::ListOperationsResponse> ListAllOperations(const std::string& filter,
                                                               int32_t page_size = 0);

  // ListGpos
  //
  // The GPOs of the server's domain.
  absl::StatusOr<v1::ListGposResponse> ListGpos();

  // ListBackups
  //
  // The backups of a backup location, latest first.
  absl::StatusOr<v1::ListBackupsResponse> ListBackups(const v1::ListBackupsRequest& request);

  // ListAuditEntries
  //
  // One page of the audit log, oldest first (gpop.v1.Audit).
  absl::StatusOr<v1::ListAuditEntriesResponse> ListAuditEntries(
      const v1::ListAuditEntriesRequest& request);

  // ListAllAuditEntries
  //
  // Every page of the audit log that `request` selects (from its page_token on), concatenated;
  // `next_page_token` is empty.
  absl::StatusOr<v1::ListAuditEntriesResponse> ListAllAuditEntries(
      v1::ListAuditEntriesRequest request);

  // StreamStatus
  //
  // The operation's events after `after_sequence`, its progress and heartbeats, until the
  // terminal event; cut streams are resumed from the last sequence read. Never null.
  std::unique_ptr<StatusStream> StreamStatus(const std::string& operation_id,
                                             uint64_t after_sequence = 0,
                                             StreamOptions options = {});

  // WatchOperations
  //
  // Every event of operations that match `filter` with a revision after `after_revision`, then
  // live; cut streams are resumed from the last revision read. CURSOR_EXPIRED ends the stream
  // (see WatchStream). Never null.
  std::unique_ptr<WatchStream> WatchOperations(uint64_t after_revision,
                                               const std::string& filter = "",
                                               StreamOptions options = {});

 private:
  std::shared_ptr<Connection> connection_;
  ResumeOptions resume_;
};

}  // namespace gpop::client

#endif  // GPOP_CLIENT_CLIENT_H_
