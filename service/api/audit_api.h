// gpop.v1.Audit without a transport: who may read the audit log, request validation and paging
// (sealed page tokens, as ListOperations'). The gRPC transport is audit_service.h.

#ifndef GPOP_SERVICE_API_AUDIT_API_H_
#define GPOP_SERVICE_API_AUDIT_API_H_

#include <string>

#include "absl/status/statusor.h"
#include "gpop/v1/audit.pb.h"
#include "service/api/auth/principal.h"
#include "service/api/page_tokens.h"
#include "service/audit/audit_log.h"

namespace gpop::api {

// The largest and the default page of ListAuditEntries.
inline constexpr int kMaxAuditPageSize = 1000;
inline constexpr int kDefaultAuditPageSize = 100;

// AuditApi
//
// Thread-safe; `log` (may be null: no audit log, every call FAILED_PRECONDITION) must outlive
// it. Blocking: reads the log (SQLite), so transports call it off their I/O threads.
//
// Who may read: a principal with an unscoped grant, of any role (policy.h's SeesEverything).
// Such a caller already sees every operation with its owner and spec; the log adds who
// cancelled and deleted what. A caller scoped to some kinds, GPOs or labels is refused
// (PERMISSION_DENIED): entries about operations outside its grants would leak their existence.
class AuditApi {
 public:
  AuditApi(audit::AuditLog* log, std::string page_token_key);

  absl::StatusOr<v1::ListAuditEntriesResponse> ListAuditEntries(
      const Principal& caller, const v1::ListAuditEntriesRequest& request);

 private:
  audit::AuditLog* const log_;
  const PageTokenSealer page_tokens_;
};

}  // namespace gpop::api

#endif  // GPOP_SERVICE_API_AUDIT_API_H_
