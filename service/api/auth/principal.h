// Who a caller is and what it may do: the principal an Authenticator yields, with its roles and
// grants. Transport-neutral (no gRPC, no HTTP): both transports hand the same Principal to
// OperationsApi, which authorizes every call with it (policy.h).

#ifndef GPOP_SERVICE_API_AUTH_PRINCIPAL_H_
#define GPOP_SERVICE_API_AUTH_PRINCIPAL_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "service/core/operation.h"

namespace gpop::api {

// The implicit admin that callers act as when no credentials are configured (gpopd then listens
// on loopback only, or on an address the operator opened explicitly with --insecure).
inline constexpr char kLocalPrincipal[] = "local";

// Role
//
// viewer < operator < admin. A viewer gets, lists, streams and watches; an operator also starts
// operations and cancels (or deletes) its own; an admin does everything, including cancelling
// others' operations and restoring or importing into the two default domain GPOs.
enum class Role : int { kViewer = 1, kOperator = 2, kAdmin = 3 };

const char* RoleName(Role role);  // "viewer", "operator", "admin"
std::optional<Role> ParseRole(const std::string& name);

// Grant
//
// A role over a scope. An operation is in scope when its kind is one of `kinds` (empty: every
// kind), every GPO it touches matches one of `gpos` (empty: every GPO, and operations that
// touch none), and it carries every label of `labels` with the same value (empty: any labels).
// A `gpos` entry is a GUID in braces ("{31B2F340-016D-11D2-945F-00C04FB984F9}", compared
// case-insensitively) or a display-name pattern where '*' matches any run of characters
// ("Finance *", case-insensitive).
struct Grant {
  Role role = Role::kViewer;
  std::vector<core::OperationKind> kinds;
  std::vector<std::string> gpos;
  std::map<std::string, std::string> labels;

  // True when the grant covers every operation (no kind, GPO or label restriction).
  bool unscoped() const { return kinds.empty() && gpos.empty() && labels.empty(); }
};

// Principal
//
// An authenticated caller. `name` keys idempotency, limits, the operation's recorded owner and
// the audit log; `grants` say what it may do (none: it may do nothing).
struct Principal {
  std::string name;
  std::vector<Grant> grants;
  // This principal's StartOperation rate (per minute), overriding the server's; none: the
  // server's (ServiceOptions::start_rate_per_minute).
  std::optional<double> starts_per_minute;

  // The implicit admin kLocalPrincipal: one unscoped admin grant.
  static Principal LocalAdmin();
};

}  // namespace gpop::api

#endif  // GPOP_SERVICE_API_AUTH_PRINCIPAL_H_
