// The gpop.v1 operations as transport-neutral calls: request validation, the caller's principal,
// the engine call, proto conversion and the log line, in one place. gRPC
// (operations_service.cc) and HTTP/JSON (service/http) are two transports over this one
// implementation: they authenticate the caller, decode a request message, call here, and encode
// the answer or the status (status_mapping.h) in their own way.
//
// Authorization lives here, not in the transports: every call takes the caller's Principal (from
// auth/authenticator.h) and is checked against its grants (auth/policy.h) before the engine acts.
// Refusals are PERMISSION_DENIED (reason PERMISSION_DENIED). A caller that may not see every
// operation gets PERMISSION_DENIED also for unknown ids, so that it cannot probe for operations
// outside its grant; lists and watches show such a caller only what its grants cover.

#ifndef GPOP_SERVICE_API_OPERATIONS_API_H_
#define GPOP_SERVICE_API_OPERATIONS_API_H_

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "gpop/v1/operations.pb.h"
#include "service/api/auth/policy.h"
#include "service/api/auth/principal.h"
#include "service/api/blocking_pool.h"
#include "service/api/gpo_catalog.h"
#include "service/api/log.h"
#include "service/api/page_tokens.h"
#include "service/api/rate_limit.h"
#include "service/audit/audit_log.h"
#include "service/core/backend.h"
#include "service/core/mutex.h"
#include "service/engine/engine.h"

namespace gpop::api {

// ServiceOptions
//
// Request limits checked before the engine does.
struct ServiceOptions {
  // The longest StartOperationRequest.timeout accepted (keep equal to the engine's max_timeout).
  engine::Duration max_timeout = std::chrono::hours(24);
  // The longest WaitOperation waits; longer or unset timeouts are capped to it.
  engine::Duration max_wait = std::chrono::hours(24);
  // The HMAC key of page tokens (page_tokens.h); empty: a random key per process.
  std::string page_token_key;
  // StartOperation rate limit per principal (rate_limit.h): on average `start_rate_per_minute`
  // (0: unlimited; a principal's own "limit" line in the policy file overrides it), at most
  // `start_burst` at once. Past it: RESOURCE_EXHAUSTED, reason START_RATE_LIMITED, with a
  // google.rpc.RetryInfo delay. `clock` must outlive the api; null: no rate limit.
  double start_rate_per_minute = 0;
  int start_burst = 10;
  engine::Clock* clock = nullptr;
  // Where started, cancelled and deleted operations are recorded (service/audit); must outlive
  // the api. Null: no audit log.
  audit::AuditLog* audit_log = nullptr;
};

// OperationsApi
//
// gpop.v1.GroupPolicyOperations without a transport. Thread-safe; `engine` and `backend` must
// outlive it. Errors are absl::Status with gpop's ErrorInfo payload (service/core/error.h
// reasons); transports map them with status_mapping.h.
//
// Blocking: StartOperation and Cancel wait for a group commit (and Cancel runs the backend's
// cancel subscribers); ListGpos and ListBackups read the backend's store. Transports call those
// off their I/O threads. StartOperationAsync is StartOperation for transports with a reactor: it
// waits for nothing and answers from the group commit's completion. The other calls only take
// the engine's mutex.
class OperationsApi {
 public:
  OperationsApi(engine::Engine* engine, core::Backend* backend, ServiceOptions options);

  const ServiceOptions& options() const { return options_; }

  // Blocking calls.
  absl::StatusOr<v1::Operation> StartOperation(const Principal& caller,
                                               const v1::StartOperationRequest& request);

  // StartOperation without waiting: the same checks (validation, authorization, rate limit,
  // request_id, audit), then Engine::StartAsync; `done` is called exactly once with what
  // StartOperation would return, once the operation and its START audit entry are durable (or
  // at once, on this thread, for a refusal). The checks that may block (resolving a backup's
  // GPO by listing its location, or a GPO listing not cached) run on `pool`, and so does the
  // answer when the START entry must be appended after the commit to a log whose appends wait
  // for a commit; the rest runs on this thread (one made to wait for nothing: a gRPC callback
  // thread) and, for the answer, on the thread that led the group commit (with a durable
  // store, the engine's flusher). `done` must not block. `pool` must outlive every call.
  using StartDone = std::function<void(absl::StatusOr<v1::Operation>)>;
  void StartOperationAsync(const Principal& caller, v1::StartOperationRequest request,
                           BlockingPool* pool, StartDone done);
  absl::StatusOr<v1::Operation> Cancel(const Principal& caller, const v1::CancelRequest& request);
  absl::StatusOr<v1::ListGposResponse> ListGpos(const Principal& caller,
                                                const v1::ListGposRequest& request);
  absl::StatusOr<v1::ListBackupsResponse> ListBackups(const Principal& caller,
                                                      const v1::ListBackupsRequest& request);

  // Quick calls.
  absl::StatusOr<v1::Operation> GetOperation(const Principal& caller,
                                             const v1::GetOperationRequest& request);
  absl::StatusOr<v1::ListOperationsResponse> ListOperations(
      const Principal& caller, const v1::ListOperationsRequest& request);

  // Streams: validate the request and open the engine cursor. The transport pumps the cursor
  // (engine.h: Poll, Arm) and converts its items with conversion.h's StreamItemToProto.
  absl::StatusOr<std::unique_ptr<engine::Cursor>> OpenStatusStream(
      const Principal& caller, const v1::StreamStatusRequest& request);
  absl::StatusOr<std::unique_ptr<engine::Cursor>> OpenWatch(
      const Principal& caller, const v1::WatchOperationsRequest& request);

  // By operation id (validated by the caller), for google.longrunning and other transports.
  // ViewOperation, ListVisible and OpenStatusCursor are quick; CancelOperation and
  // DeleteOperation block (a commit).
  absl::StatusOr<engine::OperationRecord> ViewOperation(const Principal& caller,
                                                        const std::string& id);
  absl::StatusOr<engine::ListResponse> ListVisible(const Principal& caller,
                                                   const engine::ListRequest& request);
  absl::StatusOr<engine::OperationRecord> CancelOperation(const Principal& caller,
                                                          const std::string& id);
  absl::Status DeleteOperation(const Principal& caller, const std::string& id);
  absl::StatusOr<std::unique_ptr<engine::Cursor>> OpenStatusCursor(const Principal& caller,
                                                                   const std::string& id,
                                                                   uint64_t after_sequence);

 private:
  // A StartOperation between its checks and its answer (operations_api.cc).
  struct PreparedStart;
  // The checks of a Start, up to the engine's call: the request converted, authorized, rate
  // limited, its START audit entry handed to the log.
  absl::StatusOr<std::shared_ptr<PreparedStart>> PrepareStart(const Principal& caller,
                                                              v1::StartOperationRequest request);
  // A Start's answer once the engine answered: logged, audited (unless the entry rode in the
  // commit), converted.
  absl::StatusOr<v1::Operation> FinishStart(PreparedStart& prepared,
                                            absl::StatusOr<engine::OperationRecord> record)
      GPOP_EXCLUDES(start_audit_mu_);
  // True when FinishStart would append to an audit log whose appends wait for a commit.
  bool FinishMayBlock(PreparedStart& prepared, const engine::OperationRecord& record);
  // True when PrepareStart may block: the backend's listings are read to resolve the GPOs.
  bool PrepareMayBlock(const v1::StartOperationRequest& request);
  // Engine::StartAsync of a prepared Start (or `done` with its refusal), answered through
  // FinishStart (on `pool` when FinishMayBlock).
  void StartPrepared(absl::StatusOr<std::shared_ptr<PreparedStart>> prepared, BlockingPool* pool,
                     StartDone done);
  // The record of `id` if `caller` may do `action` on it. NOT_FOUND stays NOT_FOUND only for
  // callers that see every operation; others get PERMISSION_DENIED.
  absl::StatusOr<engine::OperationRecord> AuthorizedRecord(const Principal& caller,
                                                           const std::string& id, Action action);
  // The GPOs an operation with `spec` touches, resolved through the backend as far as it knows
  // them: the GPO of a restored or reported backup, an import set's targets (its backups' GPOs,
  // by display name), and each GPO named both by GUID and display name. The backend's GPO
  // listing (cached, gpo_catalog.h) goes to `known` when it was read; `with_versions` reads it
  // even when every name is complete.
  std::vector<core::GpoRef> ResolvedGpos(const core::OperationSpec& spec, bool with_versions,
                                         GpoCatalog::Listing* known);
  // The GPOs of the backups `backup_ids` of `location` (each found one; by a cache, since a
  // backup's GPO never changes, filled from one listing of the location on a miss).
  std::vector<core::GpoRef> BackupGpos(const std::string& location,
                                       const std::vector<std::string>& backup_ids)
      GPOP_EXCLUDES(backups_mu_);
  // The scope of an operation about to start (always with the listing when there is an audit
  // log: it records every GPO's version before the operation).
  OperationScope StartScope(const engine::StartRequest& start, GpoCatalog::Listing* known);
  // The scope of a stored operation as `caller`'s grants are matched against it: its GPOs
  // resolved as on start when a grant of the caller is GPO-scoped (ScopeOf alone knows only the
  // GPOs its spec names itself: an import set would have none, and GPO-scoped viewers would not
  // see it).
  OperationScope RecordScope(const Principal& caller, const engine::OperationRecord& record);
  // The GPOs a CANCEL or DELETE audit entry of `record` names: resolved as on start (an import
  // set's targets, a restored backup's GPO, each GPO by GUID and name); none without a log.
  std::vector<v1::AuditGpo> CallGpos(const engine::OperationRecord& record);
  // Appends `entry` to the audit log, if there is one. A failed append is logged as an error:
  // the call it records has already happened.
  void Audit(v1::AuditEntry entry, const LogTags& tags);
  engine::Time Now() const;

  engine::Engine* const engine_;
  core::Backend* const backend_;
  const ServiceOptions options_;
  const PageTokenSealer page_tokens_;
  std::unique_ptr<RateLimiter> start_rate_;  // null: unlimited
  GpoCatalog gpo_catalog_;

  // Held while FinishStart looks for a START entry and appends one when there is none.
  core::Mutex start_audit_mu_;

  static constexpr size_t kMaxCachedBackups = 100000;
  core::Mutex backups_mu_;
  // (location, normalized backup id) -> the GPO the backup was taken of.
  std::map<std::pair<std::string, std::string>, core::GpoRef> backup_gpos_
      GPOP_GUARDED_BY(backups_mu_);
};

}  // namespace gpop::api

#endif  // GPOP_SERVICE_API_OPERATIONS_API_H_
