// The audit log's entries (gpop.v1.AuditEntry) as service/api builds them from the calls it
// serves and the terminal events it follows. Pure functions; thread-safe.

#ifndef GPOP_SERVICE_API_AUDIT_ENTRIES_H_
#define GPOP_SERVICE_API_AUDIT_ENTRIES_H_

#include <optional>
#include <string>
#include <vector>

#include "gpop/v1/audit.pb.h"
#include "gpop/v1/operations.pb.h"
#include "service/core/operation.h"
#include "service/engine/types.h"

namespace gpop::api {

// AuditGposOf
//
// `gpos` as audit GPOs, each with its version from `known` (the backend's listing) when the
// listing has it by GUID or display name.
std::vector<v1::AuditGpo> AuditGposOf(const std::vector<core::GpoRef>& gpos,
                                      const std::vector<core::GpoInfo>& known);

// StartEntry
//
// START by `principal` of `record`, with the request as sent and the GPOs it touches.
v1::AuditEntry StartEntry(const std::string& principal, const engine::OperationRecord& record,
                          const v1::StartOperationRequest& request,
                          const std::vector<v1::AuditGpo>& gpos);

// CallEntry
//
// CANCEL or DELETE of `record` by `principal` at `time`, on `gpos` (the caller resolves them
// as on start: an import set's spec names none itself).
v1::AuditEntry CallEntry(v1::AuditAction action, const std::string& principal,
                         const engine::OperationRecord& record, engine::Time time,
                         const std::vector<v1::AuditGpo>& gpos);

// FinishEntry
//
// FINISH of the operation whose terminal event is `event`: who and which GPOs from its START
// entry `start` when there is one, else from `record` when the operation is still known;
// from_version from the START entry's GPO that the result names (restore, import); to_version
// from the result's GPO. A report's text is left out.
v1::AuditEntry FinishEntry(const engine::Event& event, const v1::AuditEntry* start,
                           const engine::OperationRecord* record);

}  // namespace gpop::api

#endif  // GPOP_SERVICE_API_AUDIT_ENTRIES_H_
