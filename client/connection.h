// The Connection interface: one method per RPC of gpop.v1.GroupPolicyOperations, each a single
// attempt, with statuses already converted to absl::Status. `Client` builds retries and resumes
// on top; tests replace it with a fake.

#ifndef GPOP_CLIENT_CONNECTION_H_
#define GPOP_CLIENT_CONNECTION_H_

#include <chrono>
#include <memory>
#include <optional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gpop/v1/audit.pb.h"
#include "gpop/v1/operations.pb.h"

namespace gpop::client {

// StreamAttempt
//
// One server-streaming call: Read() until it returns false, then Finish() once for the status.
// Cancel() may be called from any thread at any time and makes a blocked Read() return false
// soon. Destroying an attempt before Finish() cancels and drains it. Otherwise not thread-safe.
template <typename Item>
class StreamAttempt {
 public:
  virtual ~StreamAttempt() = default;

  // Start
  //
  // Starts the call. Separate from construction so that the caller can register the attempt
  // first: a Cancel() from another thread then also ends a call that is still connecting.
  virtual void Start() {}

  // Read
  //
  // The next item; false when the stream has ended.
  virtual bool Read(Item* item) = 0;

  // Finish
  //
  // The stream's final status; call once, after Read() returned false.
  virtual absl::Status Finish() = 0;

  // Cancel
  //
  // Asks the call to end (thread-safe, idempotent).
  virtual void Cancel() = 0;
};

// Connection
//
// The transport under `Client`. Every method makes exactly one attempt and returns what the
// server (or the channel) said. Implementations are thread-safe.
class Connection {
 public:
  virtual ~Connection() = default;

  virtual absl::StatusOr<v1::Operation> StartOperation(
      const v1::StartOperationRequest& request) = 0;
  virtual absl::StatusOr<v1::Operation> Cancel(const v1::CancelRequest& request) = 0;
  virtual absl::StatusOr<v1::Operation> GetOperation(const v1::GetOperationRequest& request) = 0;
  virtual absl::StatusOr<v1::ListOperationsResponse> ListOperations(
      const v1::ListOperationsRequest& request) = 0;
  virtual absl::StatusOr<v1::ListGposResponse> ListGpos(const v1::ListGposRequest& request) = 0;
  virtual absl::StatusOr<v1::ListBackupsResponse> ListBackups(
      const v1::ListBackupsRequest& request) = 0;

  // ListAuditEntries
  //
  // gpop.v1.Audit's one call. Not pure, so that fakes without an audit log need not implement
  // it: the default answers UNIMPLEMENTED.
  virtual absl::StatusOr<v1::ListAuditEntriesResponse> ListAuditEntries(
      const v1::ListAuditEntriesRequest& request) {
    return absl::UnimplementedError("this connection has no audit log");
  }

  // StreamStatus
  //
  // Opens one StreamStatus call, ending at `deadline` if set.
  virtual std::unique_ptr<StreamAttempt<v1::StatusUpdate>> StreamStatus(
      const v1::StreamStatusRequest& request,
      std::optional<std::chrono::system_clock::time_point> deadline) = 0;

  // WatchOperations
  //
  // Opens one WatchOperations call, ending at `deadline` if set.
  virtual std::unique_ptr<StreamAttempt<v1::WatchOperationsResponse>> WatchOperations(
      const v1::WatchOperationsRequest& request,
      std::optional<std::chrono::system_clock::time_point> deadline) = 0;
};

}  // namespace gpop::client

#endif  // GPOP_CLIENT_CONNECTION_H_
