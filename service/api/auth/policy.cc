// Authorization (see policy.h).

#include "service/api/auth/policy.h"

#include <algorithm>
#include <cctype>
#include <variant>

#include "service/api/auth/authenticator.h"
#include "service/engine/status_convert.h"

namespace gpop::api {
namespace {

constexpr const char* kDefaultDomainGuids[] = {"{31B2F340-016D-11D2-945F-00C04FB984F9}",
                                               "{6AC1786C-016F-11D2-945F-00C04FB984F9}"};
constexpr const char* kDefaultDomainNames[] = {"Default Domain Policy",
                                               "Default Domain Controllers Policy"};

char Lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

bool EqualsIgnoreCase(const std::string& a, const std::string& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [](char x, char y) { return Lower(x) == Lower(y); });
}

// '*' matches any run (also empty); everything else one character, case-insensitively.
bool WildcardMatches(const std::string& pattern, const std::string& text) {
  size_t p = 0, t = 0, star = std::string::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (p < pattern.size() && Lower(pattern[p]) == Lower(text[t])) {
      ++p;
      ++t;
    } else if (star != std::string::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

bool GrantCovers(const Grant& grant, const OperationScope& scope) {
  if (!grant.kinds.empty() &&
      std::find(grant.kinds.begin(), grant.kinds.end(), scope.kind) == grant.kinds.end()) {
    return false;
  }
  if (!grant.gpos.empty()) {
    // Fail closed: an operation whose GPOs are unknown is outside every GPO-scoped grant.
    if (scope.gpos.empty()) return false;
    for (const core::GpoRef& gpo : scope.gpos) {
      bool matched = std::any_of(grant.gpos.begin(), grant.gpos.end(),
                                 [&](const std::string& p) { return GpoPatternMatches(p, gpo); });
      if (!matched) return false;
    }
  }
  for (const auto& [key, value] : grant.labels) {
    auto it = scope.labels.find(key);
    if (it == scope.labels.end() || it->second != value) return false;
  }
  return true;
}

}  // namespace

const char* ActionName(Action action) {
  switch (action) {
    case Action::kView:
      return "view";
    case Action::kList:
      return "list";
    case Action::kStart:
      return "start";
    case Action::kCancel:
      return "cancel";
    case Action::kDelete:
      return "delete";
  }
  return "view";
}

std::vector<core::GpoRef> GposNamedBy(const core::OperationSpec& spec) {
  std::vector<core::GpoRef> gpos;
  if (const auto* backup = std::get_if<core::BackupSpec>(&spec)) {
    gpos.push_back(backup->gpo);
  } else if (const auto* import = std::get_if<core::ImportSpec>(&spec)) {
    gpos.push_back(import->target);
  } else if (const auto* copy = std::get_if<core::CopySpec>(&spec)) {
    gpos.push_back(copy->source);
    gpos.push_back(core::GpoRef{"", copy->new_display_name});
  } else if (const auto* report = std::get_if<core::ReportSpec>(&spec)) {
    if (const auto* gpo = std::get_if<core::GpoRef>(&report->subject)) gpos.push_back(*gpo);
  }
  return gpos;
}

OperationScope ScopeOf(const engine::OperationRecord& record) {
  OperationScope scope;
  scope.kind = record.kind;
  scope.gpos = GposNamedBy(record.spec);
  scope.labels = record.labels;
  scope.owner = record.principal;
  return scope;
}

bool IsDefaultDomainGpo(const core::GpoRef& gpo) {
  for (const char* guid : kDefaultDomainGuids) {
    if (EqualsIgnoreCase(gpo.guid, guid)) return true;
  }
  for (const char* name : kDefaultDomainNames) {
    if (EqualsIgnoreCase(gpo.display_name, name)) return true;
  }
  return false;
}

bool GpoPatternMatches(const std::string& pattern, const core::GpoRef& gpo) {
  if (!pattern.empty() && pattern.front() == '{') return EqualsIgnoreCase(pattern, gpo.guid);
  return !gpo.display_name.empty() && WildcardMatches(pattern, gpo.display_name);
}

Role RequiredRole(Action action, const OperationScope& scope, const std::string& caller_name) {
  switch (action) {
    case Action::kView:
    case Action::kList:
      return Role::kViewer;
    case Action::kStart:
      if (scope.kind == core::OperationKind::kRestore ||
          scope.kind == core::OperationKind::kImport ||
          scope.kind == core::OperationKind::kImportSet) {
        for (const core::GpoRef& gpo : scope.gpos) {
          if (IsDefaultDomainGpo(gpo)) return Role::kAdmin;
        }
      }
      return Role::kOperator;
    case Action::kCancel:
    case Action::kDelete:
      return scope.owner == caller_name ? Role::kOperator : Role::kAdmin;
  }
  return Role::kAdmin;
}

absl::Status Authorize(const Principal& principal, Action action, const OperationScope& scope) {
  Role required = RequiredRole(action, scope, principal.name);
  for (const Grant& grant : principal.grants) {
    if (grant.role >= required && GrantCovers(grant, scope)) return absl::OkStatus();
  }
  std::string why;
  if ((action == Action::kCancel || action == Action::kDelete) && scope.owner != principal.name) {
    why = ": the operation belongs to another principal, which needs admin";
  } else if (required == Role::kAdmin && action == Action::kStart) {
    why = ": restore and import into a default domain GPO need admin";
  } else {
    why =
        std::string(": needs ") + RoleName(required) + " on this operation's kind, GPO and labels";
  }
  return engine::MakeStatus(core::Code::kPermissionDenied, reason::kPermissionDenied,
                            "principal " + principal.name + " may not " + ActionName(action) + " " +
                                core::KindName(scope.kind) + " operations here" + why,
                            {{"action", ActionName(action)},
                             {"required_role", RoleName(required)},
                             {"principal", principal.name}});
}

absl::Status AuthorizeList(const Principal& principal) {
  if (!principal.grants.empty()) return absl::OkStatus();
  return engine::MakeStatus(core::Code::kPermissionDenied, reason::kPermissionDenied,
                            "principal " + principal.name + " has no grant",
                            {{"action", ActionName(Action::kList)},
                             {"required_role", RoleName(Role::kViewer)},
                             {"principal", principal.name}});
}

bool SeesEverything(const Principal& principal) {
  return std::any_of(principal.grants.begin(), principal.grants.end(),
                     [](const Grant& g) { return g.unscoped(); });
}

}  // namespace gpop::api
