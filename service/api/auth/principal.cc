// Principals and roles (see principal.h).

#include "service/api/auth/principal.h"

namespace gpop::api {

const char* RoleName(Role role) {
  switch (role) {
    case Role::kViewer:
      return "viewer";
    case Role::kOperator:
      return "operator";
    case Role::kAdmin:
      return "admin";
  }
  return "viewer";
}

std::optional<Role> ParseRole(const std::string& name) {
  for (Role role : {Role::kViewer, Role::kOperator, Role::kAdmin}) {
    if (name == RoleName(role)) return role;
  }
  return std::nullopt;
}

Principal Principal::LocalAdmin() {
  Principal local;
  local.name = kLocalPrincipal;
  local.grants.push_back(Grant{Role::kAdmin, {}, {}, {}});
  return local;
}

}  // namespace gpop::api
