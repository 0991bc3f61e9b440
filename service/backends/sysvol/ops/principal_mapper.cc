// Principal and UNC path lookups of a migration table (see principal_mapper.h).

#include "service/backends/sysvol/ops/principal_mapper.h"

#include <cctype>

#include "service/backends/sysvol/format/text_util.h"

namespace gpop::sysvol {
namespace {

using internal::AsciiLower;
using internal::EqualsNoCase;

std::string_view WithoutStar(std::string_view p) {
  if (!p.empty() && p.front() == '*') p.remove_prefix(1);
  return p;
}

}  // namespace

bool IsSid(std::string_view principal) {
  const std::string_view p = WithoutStar(internal::Trim(principal));
  return p.size() > 4 && AsciiLower(p.substr(0, 4)) == "s-1-";
}

bool IsDomainPrincipal(std::string_view p) {
  p = WithoutStar(internal::Trim(p));
  if (p.empty() || p.find('%') != std::string_view::npos) return false;  // unresolved variable
  const std::string lower = AsciiLower(p);
  if (lower.rfind("s-1-", 0) == 0) return lower.rfind("s-1-5-21-", 0) == 0;
  if (size_t slash = lower.find('\\'); slash != std::string::npos) {
    const std::string domain = lower.substr(0, slash);
    return domain != "nt authority" && domain != "builtin" && domain != "nt service" &&
           domain != "." && !domain.empty();
  }
  return lower.find('@') != std::string::npos;
}

bool IsUncPath(std::string_view s) { return s.size() > 2 && s[0] == '\\' && s[1] == '\\'; }

std::optional<std::string> PrincipalMapper::Principal(const std::string& value,
                                                      const std::string& setting) {
  const std::string_view trimmed = internal::Trim(value);
  if (trimmed.empty()) return value;
  const bool domain = IsDomainPrincipal(trimmed);
  if (domain) Reference(false, std::string(trimmed), setting);
  const MigrationMapping* m = Find(trimmed);
  if (m == nullptr) {
    if (domain) Unmapped(std::string(trimmed), setting, "principal");
    return value;
  }
  return Apply(*m, value, setting);
}

PrincipalMapper::AccountResult PrincipalMapper::Account(const std::string& name,
                                                        const std::string& sid,
                                                        const std::string& setting) {
  const std::string n(internal::Trim(name));
  const std::string s(internal::Trim(sid));
  if (IsDomainPrincipal(n)) Reference(false, n, setting);
  if (IsDomainPrincipal(s)) Reference(false, s, setting);
  const MigrationMapping* m = n.empty() ? nullptr : Find(n);
  std::string matched = n;
  if (m == nullptr && !s.empty()) {
    m = Find(s);
    matched = s;
  }
  AccountResult out;
  if (m == nullptr) {
    if (IsDomainPrincipal(n)) {
      Unmapped(n, setting, "principal");
    } else if (IsDomainPrincipal(s)) {
      Unmapped(s, setting, "principal");
    }
    return out;
  }
  std::optional<std::string> to = Apply(*m, matched, setting);
  if (!to) {
    out.kind = AccountResult::kRemove;
  } else if (*to != matched) {
    out.kind = AccountResult::kRename;
    out.destination = std::move(*to);
  }
  return out;
}

std::optional<std::string> PrincipalMapper::Apply(const MigrationMapping& m,
                                                  const std::string& value,
                                                  const std::string& setting) {
  switch (m.kind) {
    case MigrationDestination::kSameAsSource:
      return value;
    case MigrationDestination::kNone:
      return std::nullopt;
    case MigrationDestination::kExplicit:
      return m.destination;
    case MigrationDestination::kRelativeName: {
      if (std::optional<std::string> relative = Relative(internal::Trim(value), m)) {
        return relative;
      }
      Unmapped(std::string(internal::Trim(value)), setting,
               "principal (by relative name, but no account name is known for the SID offline: "
               "Backup.xml records none)");
      return value;
    }
  }
  return value;
}

std::optional<std::string> PrincipalMapper::Relative(std::string_view principal,
                                                     const MigrationMapping& m) const {
  std::string name(WithoutStar(principal));
  if (IsSid(name)) {
    // A SID has no name of its own: the name the table matched it by, else the one Backup.xml
    // records for it.
    name.clear();
    if (!IsSid(m.source)) name = std::string(WithoutStar(internal::Trim(m.source)));
    for (const SecurityGroup& g : groups_) {
      if (!name.empty()) break;
      if (g.sid.empty() || !EqualsNoCase(g.sid, WithoutStar(principal))) continue;
      if (!g.sam_account_name.empty() && !g.netbios_domain_name.empty()) {
        name = g.netbios_domain_name + "\\" + g.sam_account_name;
      } else if (!g.upn.empty()) {
        name = g.upn;
      }
    }
    if (name.empty()) return std::nullopt;
  }
  if (size_t slash = name.find('\\'); slash != std::string::npos) {
    std::string netbios = target_domain_.substr(0, target_domain_.find('.'));
    for (char& c : netbios) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return netbios + "\\" + name.substr(slash + 1);
  }
  if (size_t at = name.rfind('@'); at != std::string::npos) {
    return name.substr(0, at) + "@" + target_domain_;
  }
  return std::nullopt;
}

std::string PrincipalMapper::Path(const std::string& value, const std::string& setting) {
  if (!IsUncPath(value)) return value;
  Reference(true, value, setting);
  const MigrationMapping* m = table_.FindPath(value);
  if (m == nullptr) {
    Unmapped(value, setting, "UNC path");
    return value;
  }
  if (m->kind != MigrationDestination::kExplicit) return value;
  std::string_view source = m->source;
  while (source.size() > 2 && source.back() == '\\') source.remove_suffix(1);
  std::string dest = m->destination;
  while (dest.size() > 2 && dest.back() == '\\') dest.pop_back();
  return dest + value.substr(source.size());
}

void PrincipalMapper::NotASid(const std::string& sid, const std::string& destination,
                              const std::string& where) {
  if (!reported_.insert(AccountKey(sid)).second) return;
  core::StatusMessage msg;
  msg.object_path = display_;
  msg.settings_name = sid;
  msg.message = "the migration table maps the principal \"" + sid + "\" to \"" + destination +
                "\", which is not a SID: " + where +
                " by SID and gpop cannot resolve a name offline; the SID is kept as it is";
  msg.severity = core::Severity::kError;
  out_->unmapped.push_back(std::move(msg));
}

void PrincipalMapper::Note(const std::string& setting, const std::string& message,
                           core::Severity severity) {
  core::StatusMessage msg;
  msg.object_path = display_;
  msg.settings_name = setting;
  msg.message = message;
  msg.severity = severity;
  out_->notes.push_back(std::move(msg));
}

// The table's mapping of a principal; a SID is also looked up by the names the backup
// recorded for it (Backup.xml's SecurityGroups: "NETBIOS\\name" and the UPN), since tables
// name accounts, settings name SIDs.
const MigrationMapping* PrincipalMapper::Find(std::string_view principal) const {
  if (const MigrationMapping* m = table_.FindPrincipal(principal)) return m;
  std::string_view sid = WithoutStar(principal);
  for (const SecurityGroup& g : groups_) {
    if (g.sid.empty()) continue;
    if (!EqualsNoCase(g.sid, sid)) {
      // A name Backup.xml records for a SID the table maps.
      if (AccountKey(principal) != AsciiLower(g.sid)) continue;
      if (const MigrationMapping* m = table_.FindPrincipal(g.sid)) return m;
      continue;
    }
    if (!g.upn.empty()) {
      if (const MigrationMapping* m = table_.FindPrincipal(g.upn)) return m;
    }
    if (!g.sam_account_name.empty() && !g.netbios_domain_name.empty()) {
      const std::string name = g.netbios_domain_name + "\\" + g.sam_account_name;
      if (const MigrationMapping* m = table_.FindPrincipal(name)) return m;
    }
  }
  return nullptr;
}

void PrincipalMapper::Reference(bool unc_path, std::string value, const std::string& setting) {
  out_->references.push_back({unc_path, std::move(value), display_, setting});
}

// The account a principal names: its SID when Backup.xml records one for the SID or the
// name, else the principal itself (lower case).
std::string PrincipalMapper::AccountKey(std::string_view principal) const {
  std::string_view p = WithoutStar(principal);
  for (const SecurityGroup& g : groups_) {
    if (g.sid.empty()) continue;
    if (EqualsNoCase(g.sid, p) || (!g.upn.empty() && EqualsNoCase(g.upn, p)) ||
        (!g.netbios_domain_name.empty() && !g.sam_account_name.empty() &&
         EqualsNoCase(g.netbios_domain_name + "\\" + g.sam_account_name, p))) {
      return AsciiLower(g.sid);
    }
  }
  return AsciiLower(p);
}

// One message per account or path (the first place it is named), not per occurrence: a SID
// and the name Backup.xml records for it are one account.
void PrincipalMapper::Unmapped(const std::string& what, const std::string& setting,
                               const char* kind) {
  if (!reported_.insert(AccountKey(what)).second) return;
  core::StatusMessage msg;
  msg.object_path = display_;
  msg.settings_name = setting;
  msg.message = std::string("the migration table does not map the ") + kind + " \"" + what + "\"";
  msg.severity = core::Severity::kError;
  out_->unmapped.push_back(std::move(msg));
}

}  // namespace gpop::sysvol
