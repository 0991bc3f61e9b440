// Typed views of GptTmpl.inf sections (see security_template.h).

#include "service/backends/sysvol/format/security_template.h"

#include "service/backends/sysvol/format/format_error.h"
#include "service/backends/sysvol/format/text_util.h"

namespace gpop::sysvol {

namespace {

using internal::Trim;

bool IsSkippable(const InfLine& line) {
  std::string text = line.Text();
  std::string_view t = Trim(text);
  return t.empty() || t.front() == ';';
}

core::Error BadLine(std::string_view path, std::string_view section, const InfLine& line,
                    std::string_view problem) {
  return CorruptFile(
      path, "[" + std::string(section) + "] line \"" + line.Text() + "\": " + std::string(problem));
}

std::vector<std::string> SplitMembers(std::string_view value) {
  std::vector<std::string> out;
  if (Trim(value).empty()) return out;
  for (const std::string& m : internal::Split(value, ',')) out.emplace_back(Trim(m));
  return out;
}

std::string JoinMembers(const std::vector<std::string>& members) {
  std::string out;
  for (size_t i = 0; i < members.size(); ++i) {
    if (i > 0) out += ",";
    out += members[i];
  }
  return out;
}

// Splits `"a",2,"b"` into fields at commas outside double quotes; quotes are removed.
// nullopt when a quote is not closed.
std::optional<std::vector<std::string>> SplitQuotedRecord(std::string_view text) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (char c : text) {
    if (c == '"') {
      quoted = !quoted;
    } else if (c == ',' && !quoted) {
      fields.emplace_back();
    } else {
      fields.back().push_back(c);
    }
  }
  if (quoted) return std::nullopt;
  for (std::string& f : fields) f = std::string(Trim(f));
  return fields;
}

core::Status ReadSettings(const InfFile& inf, const char* section, std::string_view path,
                          std::vector<InfSetting>* out) {
  const InfSection* s = inf.FindSection(section);
  if (s == nullptr) return {};
  for (const InfLine& line : s->lines) {
    if (IsSkippable(line)) continue;
    if (!line.HasValue()) return BadLine(path, section, line, "expected Name = value");
    out->push_back(InfSetting{line.key, line.value});
  }
  return {};
}

core::Status ReadRecords(const InfFile& inf, const char* section, std::string_view path,
                         std::vector<std::vector<std::string>>* out) {
  const InfSection* s = inf.FindSection(section);
  if (s == nullptr) return {};
  for (const InfLine& line : s->lines) {
    if (IsSkippable(line)) continue;
    auto fields = SplitQuotedRecord(line.Text());
    if (!fields || fields->size() != 3 || !internal::ParseInt64((*fields)[1])) {
      return BadLine(path, section, line, "expected \"name\",mode,\"SDDL\"");
    }
    out->push_back(std::move(*fields));
  }
  return {};
}

std::string Quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

}  // namespace

std::optional<int64_t> InfSetting::Number() const { return internal::ParseInt64(Trim(value)); }

std::string InfSetting::Unquoted() const {
  std::string_view v = Trim(value);
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
  return std::string(v);
}

std::string RegistryValueSetting::Path() const { return key + "\\" + value_name; }

bool SecurityTemplate::operator==(const SecurityTemplate& o) const {
  return system_access == o.system_access && kerberos_policy == o.kerberos_policy &&
         event_audit == o.event_audit && registry_values == o.registry_values &&
         privilege_rights == o.privilege_rights && group_membership == o.group_membership &&
         services == o.services && registry_keys == o.registry_keys &&
         file_security == o.file_security;
}

bool IsSidMember(std::string_view member) { return member.size() > 1 && member[0] == '*'; }

std::string MemberSid(std::string_view member) {
  return std::string(IsSidMember(member) ? member.substr(1) : member);
}

core::Result<SecurityTemplate> ReadSecurityTemplate(const InfFile& inf, std::string_view path) {
  SecurityTemplate t;
  if (auto s = ReadSettings(inf, kSectionSystemAccess, path, &t.system_access); !s.ok()) {
    return s.error();
  }
  if (auto s = ReadSettings(inf, kSectionKerberosPolicy, path, &t.kerberos_policy); !s.ok()) {
    return s.error();
  }
  if (auto s = ReadSettings(inf, kSectionEventAudit, path, &t.event_audit); !s.ok()) {
    return s.error();
  }
  if (const InfSection* s = inf.FindSection(kSectionRegistryValues)) {
    for (const InfLine& line : s->lines) {
      if (IsSkippable(line)) continue;
      size_t slash = line.key.rfind('\\');
      size_t comma = line.value.find(',');
      std::optional<uint32_t> type = comma == std::string::npos
                                         ? std::nullopt
                                         : internal::ParseUint32(Trim(line.value.substr(0, comma)));
      if (!line.HasValue() || slash == std::string::npos || !type) {
        return BadLine(path, kSectionRegistryValues, line,
                       "expected MACHINE\\path\\name=type,value");
      }
      t.registry_values.push_back(RegistryValueSetting{line.key.substr(0, slash),
                                                       line.key.substr(slash + 1), *type,
                                                       line.value.substr(comma + 1)});
    }
  }
  if (const InfSection* s = inf.FindSection(kSectionPrivilegeRights)) {
    for (const InfLine& line : s->lines) {
      if (IsSkippable(line)) continue;
      if (!line.HasValue()) {
        return BadLine(path, kSectionPrivilegeRights, line, "expected SeRight = members");
      }
      t.privilege_rights.push_back(PrivilegeRight{line.key, SplitMembers(line.value)});
    }
  }
  if (const InfSection* s = inf.FindSection(kSectionGroupMembership)) {
    for (const InfLine& line : s->lines) {
      if (IsSkippable(line)) continue;
      size_t sep = line.key.rfind("__");
      std::string relation =
          sep == std::string::npos ? "" : internal::AsciiLower(line.key.substr(sep + 2));
      if (!line.HasValue() || (relation != "members" && relation != "memberof")) {
        return BadLine(path, kSectionGroupMembership, line,
                       "expected <group>__Members = ... or <group>__Memberof = ...");
      }
      t.group_membership.push_back(GroupMembership{line.key.substr(0, sep),
                                                   relation == "members"
                                                       ? GroupMembership::Relation::kMembers
                                                       : GroupMembership::Relation::kMemberOf,
                                                   SplitMembers(line.value)});
    }
  }
  std::vector<std::vector<std::string>> records;
  if (auto s = ReadRecords(inf, kSectionServiceGeneralSetting, path, &records); !s.ok()) {
    return s.error();
  }
  for (auto& r : records) {
    t.services.push_back(ServiceSetting{r[0], static_cast<int>(*internal::ParseInt64(r[1])), r[2]});
  }
  records.clear();
  if (auto s = ReadRecords(inf, kSectionRegistryKeys, path, &records); !s.ok()) return s.error();
  for (auto& r : records) {
    t.registry_keys.push_back(
        ObjectSecurity{r[0], static_cast<int>(*internal::ParseInt64(r[1])), r[2]});
  }
  records.clear();
  if (auto s = ReadRecords(inf, kSectionFileSecurity, path, &records); !s.ok()) return s.error();
  for (auto& r : records) {
    t.file_security.push_back(
        ObjectSecurity{r[0], static_cast<int>(*internal::ParseInt64(r[1])), r[2]});
  }
  return t;
}

InfFile MakeSecurityTemplateInf(const SecurityTemplate& t) {
  InfFile inf;
  inf.sections.push_back(InfSection{"Unicode", "", {MakeInfLine("Unicode", "yes", "=")}});
  const auto add_settings = [&inf](const char* name, const std::vector<InfSetting>& settings) {
    if (settings.empty()) return;
    InfSection& s = inf.GetOrAddSection(name);
    for (const InfSetting& v : settings) s.lines.push_back(MakeInfLine(v.name, v.value));
  };
  add_settings(kSectionSystemAccess, t.system_access);
  add_settings(kSectionKerberosPolicy, t.kerberos_policy);
  add_settings(kSectionEventAudit, t.event_audit);
  if (!t.registry_values.empty()) {
    InfSection& s = inf.GetOrAddSection(kSectionRegistryValues);
    for (const auto& v : t.registry_values) {
      s.lines.push_back(MakeInfLine(v.Path(), std::to_string(v.type) + "," + v.data, "="));
    }
  }
  inf.sections.push_back(InfSection{
      "Version",
      "",
      {MakeInfLine("signature", "\"$CHICAGO$\"", "="), MakeInfLine("Revision", "1", "=")}});
  const auto member_line = [](std::string key, const std::vector<std::string>& members) {
    // Windows writes "Name =" (no trailing blank) for an empty list.
    return members.empty() ? MakeInfLine(std::move(key), "", " =")
                           : MakeInfLine(std::move(key), JoinMembers(members));
  };
  if (!t.privilege_rights.empty()) {
    InfSection& s = inf.GetOrAddSection(kSectionPrivilegeRights);
    for (const auto& r : t.privilege_rights) s.lines.push_back(member_line(r.name, r.members));
  }
  if (!t.group_membership.empty()) {
    InfSection& s = inf.GetOrAddSection(kSectionGroupMembership);
    for (const auto& g : t.group_membership) {
      const char* suffix =
          g.relation == GroupMembership::Relation::kMembers ? "__Members" : "__Memberof";
      s.lines.push_back(member_line(g.group + suffix, g.members));
    }
  }
  const auto record = [](std::string_view name, int mode, std::string_view sddl) {
    return SplitInfLine(Quote(name) + "," + std::to_string(mode) + "," + Quote(sddl));
  };
  if (!t.services.empty()) {
    InfSection& s = inf.GetOrAddSection(kSectionServiceGeneralSetting);
    for (const auto& v : t.services) s.lines.push_back(record(v.name, v.startup_mode, v.sddl));
  }
  if (!t.registry_keys.empty()) {
    InfSection& s = inf.GetOrAddSection(kSectionRegistryKeys);
    for (const auto& v : t.registry_keys) s.lines.push_back(record(v.path, v.mode, v.sddl));
  }
  if (!t.file_security.empty()) {
    InfSection& s = inf.GetOrAddSection(kSectionFileSecurity);
    for (const auto& v : t.file_security) s.lines.push_back(record(v.path, v.mode, v.sddl));
  }
  return inf;
}

}  // namespace gpop::sysvol
