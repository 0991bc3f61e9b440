// Authorization: whether a principal's grants allow an action on an operation. OperationsApi
// calls this for every gpop.v1 and google.longrunning call, so that every transport enforces the
// same rules. Pure functions; thread-safe.

#ifndef GPOP_SERVICE_API_AUTH_POLICY_H_
#define GPOP_SERVICE_API_AUTH_POLICY_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "service/api/auth/principal.h"
#include "service/core/operation.h"
#include "service/engine/types.h"

namespace gpop::api {

// Action
//
// What a caller asks to do. kView covers Get, List, StreamStatus, WatchOperations and LRO Wait;
// kList covers ListGpos and ListBackups (any grant at all suffices).
enum class Action : int { kView, kList, kStart, kCancel, kDelete };
const char* ActionName(Action action);

// OperationScope
//
// The facts about an operation that grants are matched against: its kind, the GPOs it touches
// (each named by GUID, display name or both, as far as they are known), its labels and the
// principal that started it (empty for an operation being started).
struct OperationScope {
  core::OperationKind kind = core::OperationKind::kBackup;
  std::vector<core::GpoRef> gpos;
  std::map<std::string, std::string> labels;
  std::string owner;
};

// The GPOs `spec` names itself: backup's GPO, import's target, copy's source and new name,
// report's GPO. A restore, or a report of a backup, names a backup whose GPO only the backend
// knows (OperationsApi resolves it on start).
std::vector<core::GpoRef> GposNamedBy(const core::OperationSpec& spec);

// ScopeOf
//
// An operation record's scope (from its spec; see GposNamedBy).
OperationScope ScopeOf(const engine::OperationRecord& record);

// IsDefaultDomainGpo
//
// The Default Domain Policy {31B2F340-016D-11D2-945F-00C04FB984F9} or the Default Domain
// Controllers Policy {6AC1786C-016F-11D2-945F-00C04FB984F9}, by GUID or display name.
bool IsDefaultDomainGpo(const core::GpoRef& gpo);

// GpoPatternMatches
//
// One Grant::gpos entry against a GPO: a "{GUID}" entry against its GUID, any other entry as a
// '*'-pattern against its display name; ASCII case-insensitive.
bool GpoPatternMatches(const std::string& pattern, const core::GpoRef& gpo);

// RequiredRole
//
// The least role `action` needs on `scope` when done by `caller_name`: viewer to view or list,
// operator to start and to cancel or delete one's own operation, admin to cancel or delete
// another's and to restore or import (one backup, or a set: kImportSet) into a default domain GPO.
Role RequiredRole(Action action, const OperationScope& scope, const std::string& caller_name);

// Authorize
//
// OK when one of `principal`'s grants has at least RequiredRole and covers `scope`; otherwise
// PERMISSION_DENIED, reason PERMISSION_DENIED, metadata "action", "required_role" and
// "principal", with a message that says what was missing.
absl::Status Authorize(const Principal& principal, Action action, const OperationScope& scope);

// AuthorizeList
//
// ListGpos / ListBackups: any grant at all.
absl::Status AuthorizeList(const Principal& principal);

// SeesEverything
//
// True when `principal` has an unscoped grant (any role): it may view every operation, so that
// lists and watches need no filtering.
bool SeesEverything(const Principal& principal);

}  // namespace gpop::api

#endif  // GPOP_SERVICE_API_AUTH_POLICY_H_
