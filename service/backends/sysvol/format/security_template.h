// Typed views of the security template (GptTmpl.inf) sections that gpo-formats.md lists: System
// Access, Kerberos Policy, Event Audit, Registry Values, Privilege Rights, Group Membership,
// Service General Setting, Registry Keys and File Security.
//
// The view is read from an InfFile and never replaces it: operations that change a template
// (migration tables) edit the InfFile's lines so that everything else is kept byte for byte.
// Values are kept as written (numbers stay text) so that nothing is lost in the view either.

#ifndef GPOP_SERVICE_BACKENDS_SYSVOL_FORMAT_SECURITY_TEMPLATE_H_
#define GPOP_SERVICE_BACKENDS_SYSVOL_FORMAT_SECURITY_TEMPLATE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "service/backends/sysvol/format/inf_file.h"
#include "service/core/error.h"

namespace gpop::sysvol {

// Section names as Windows writes them.
inline constexpr char kSectionSystemAccess[] = "System Access";
inline constexpr char kSectionKerberosPolicy[] = "Kerberos Policy";
inline constexpr char kSectionEventAudit[] = "Event Audit";
inline constexpr char kSectionRegistryValues[] = "Registry Values";
inline constexpr char kSectionPrivilegeRights[] = "Privilege Rights";
inline constexpr char kSectionGroupMembership[] = "Group Membership";
inline constexpr char kSectionServiceGeneralSetting[] = "Service General Setting";
inline constexpr char kSectionRegistryKeys[] = "Registry Keys";
inline constexpr char kSectionFileSecurity[] = "File Security";

// InfSetting
//
// "Name = value" from System Access, Kerberos Policy or Event Audit. `value` as written (a
// number such as "-1", or a quoted string such as "\"Visitor\"").
struct InfSetting {
  std::string name;
  std::string value;

  // Number
  //
  // The value as a signed 64-bit decimal, or nullopt when it is not one.
  std::optional<int64_t> Number() const;

  // Unquoted
  //
  // The value without one pair of surrounding double quotes.
  std::string Unquoted() const;

  bool operator==(const InfSetting& o) const { return name == o.name && value == o.value; }
};

// RegistryValueSetting
//
// "MACHINE\path\name=type,data" from Registry Values. `key` is the path up to the last '\'
// ("MACHINE\System\CurrentControlSet\Control\Lsa"), `value_name` the part after it, `type` the
// REG_* number, `data` the text after the first ',' exactly as written (`1`, `"1"`, a quoted
// SDDL, or comma-separated strings for REG_MULTI_SZ).
struct RegistryValueSetting {
  std::string key;
  std::string value_name;
  uint32_t type = 0;
  std::string data;

  // Path
  //
  // key + "\" + value_name, as the file writes it.
  std::string Path() const;

  bool operator==(const RegistryValueSetting& o) const {
    return key == o.key && value_name == o.value_name && type == o.type && data == o.data;
  }
};

// PrivilegeRight
//
// "SeXxx = *S-1-5-32-544,Name" from Privilege Rights: members as written (SIDs with their '*',
// or account names); an empty list when the right is assigned to nobody.
struct PrivilegeRight {
  std::string name;
  std::vector<std::string> members;

  bool operator==(const PrivilegeRight& o) const { return name == o.name && members == o.members; }
};

// GroupMembership
//
// "*SID__Memberof = ..." or "*SID__Members = ..." from Group Membership (Restricted Groups).
// `group` as written ("*S-1-5-32-544" or a name), `members` as written.
struct GroupMembership {
  enum class Relation { kMembers, kMemberOf };
  std::string group;
  Relation relation = Relation::kMembers;
  std::vector<std::string> members;

  bool operator==(const GroupMembership& o) const {
    return group == o.group && relation == o.relation && members == o.members;
  }
};

// ServiceSetting
//
// "\"name\",mode,\"SDDL\"" from Service General Setting: startup mode 2 automatic, 3 manual,
// 4 disabled; the SDDL may be empty.
struct ServiceSetting {
  std::string name;
  int startup_mode = 0;
  std::string sddl;

  bool operator==(const ServiceSetting& o) const {
    return name == o.name && startup_mode == o.startup_mode && sddl == o.sddl;
  }
};

// ObjectSecurity
//
// "\"path\",mode,\"SDDL\"" from Registry Keys or File Security: mode 0 configure and propagate
// inheritable permissions, 1 do not allow replacement, 2 replace existing permissions.
struct ObjectSecurity {
  std::string path;
  int mode = 0;
  std::string sddl;

  bool operator==(const ObjectSecurity& o) const {
    return path == o.path && mode == o.mode && sddl == o.sddl;
  }
};

// SecurityTemplate
//
// Every setting of the known sections, in file order. Sections absent from the file are empty.
struct SecurityTemplate {
  std::vector<InfSetting> system_access;
  std::vector<InfSetting> kerberos_policy;
  std::vector<InfSetting> event_audit;
  std::vector<RegistryValueSetting> registry_values;
  std::vector<PrivilegeRight> privilege_rights;
  std::vector<GroupMembership> group_membership;
  std::vector<ServiceSetting> services;
  std::vector<ObjectSecurity> registry_keys;
  std::vector<ObjectSecurity> file_security;

  bool operator==(const SecurityTemplate& o) const;
};

// ReadSecurityTemplate
//
// The typed view of `inf`. Comments and blank lines are skipped; a line of a known section that
// does not have that section's shape is a CORRUPT_FILE error naming `display_path`, the section
// and the line.
core::Result<SecurityTemplate> ReadSecurityTemplate(const InfFile& inf,
                                                    std::string_view display_path);

// MakeSecurityTemplateInf
//
// A new GptTmpl.inf holding `tmpl`, laid out as the fixtures' Windows-made files: [Unicode]
// Unicode=yes, System Access, Kerberos Policy, Event Audit, Registry Values, [Version]
// signature="$CHICAGO$" Revision=1, then Privilege Rights, Group Membership, Service General
// Setting, Registry Keys, File Security (empty sections omitted). For writers (the demo store);
// ReadSecurityTemplate(MakeSecurityTemplateInf(t)) == t.
InfFile MakeSecurityTemplateInf(const SecurityTemplate& tmpl);

// IsSidMember
//
// True for a member written as a SID ("*S-1-5-32-544"); MemberSid strips the '*'.
bool IsSidMember(std::string_view member);
std::string MemberSid(std::string_view member);

}  // namespace gpop::sysvol

#endif  // GPOP_SERVICE_BACKENDS_SYSVOL_FORMAT_SECURITY_TEMPLATE_H_
