// The settings report's data model: what GPMC's gpreport.xml says about one GPO, as plain data.
// Built from parsed files by report_builder.h, written as GPMC's XML by report_xml.h and as HTML
// by report_html.h, read back from Windows' own gpreport.xml by report_xml.h.
//
// Every list is kept in a stable order (see report_builder.h), so that two reports of the same
// GPO are identical and two versions of a GPO diff cleanly.

#ifndef GPOP_SERVICE_BACKENDS_SYSVOL_FORMAT_REPORT_H_
#define GPOP_SERVICE_BACKENDS_SYSVOL_FORMAT_REPORT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gpop::sysvol {

struct PolEntry;  // registry_pol.h

// ReportPrincipal
//
// A trustee as GPMC prints it: SID (may be empty for a bare account name) and name (may be
// empty when the SID cannot be resolved offline; well-known SIDs are named).
struct ReportPrincipal {
  std::string sid;
  std::string name;

  bool operator==(const ReportPrincipal& o) const { return sid == o.sid && name == o.name; }
};

// ReportRegistryValue
//
// One value of a RegistrySetting. `type` is the REG_* number from Registry.pol. Exactly one of
// the data forms is used: `number` for REG_DWORD, REG_DWORD_BIG_ENDIAN and REG_QWORD;
// `strings` for REG_MULTI_SZ (one element per string); `text` for everything else (REG_SZ and
// REG_EXPAND_SZ decoded; REG_BINARY, REG_NONE with data, and undecodable data as lower-case hex
// pairs separated by spaces).
struct ReportRegistryValue {
  std::string name;
  uint32_t type = 0;
  std::optional<uint64_t> number;
  std::optional<std::string> text;
  std::vector<std::string> strings;

  bool operator==(const ReportRegistryValue& o) const {
    return name == o.name && type == o.type && number == o.number && text == o.text &&
           strings == o.strings;
  }
};

// ReportRegistrySetting
//
// GPMC's RegistrySetting: a key path and, unless the Registry.pol entry only creates the key
// (type REG_NONE, empty name, no data), one value. Special names ("**del.X", "**delvals.") are
// reported as the values they are, under their own names.
struct ReportRegistrySetting {
  std::string key_path;
  bool adm_setting = false;
  std::optional<ReportRegistryValue> value;

  bool operator==(const ReportRegistrySetting& o) const {
    return key_path == o.key_path && adm_setting == o.adm_setting && value == o.value;
  }
};

// ReportPolicyElement
//
// One part of an ADMX policy's presentation (a drop-down's choice, a number, a text, a check
// box): `kind` is the GPMC element name ("DropDownList", "Numeric", "EditText", "CheckBox",
// "ListBox"), `name` its label, `state` "Enabled"/"Disabled", `value` as displayed.
struct ReportPolicyElement {
  std::string kind;
  std::string name;
  std::string state;
  std::string value;

  bool operator==(const ReportPolicyElement& o) const {
    return kind == o.kind && name == o.name && state == o.state && value == o.value;
  }
};

// ReportPolicy
//
// An Administrative Template policy recognised through ADMX definitions (or read from Windows'
// report): display name, state ("Enabled", "Disabled"), explanation, supported-on text,
// category path ("Windows Components/BitLocker Drive Encryption").
struct ReportPolicy {
  std::string name;
  std::string state;
  std::string explain;
  std::string supported;
  std::string category;
  std::vector<ReportPolicyElement> elements;
  std::string comment;  // the side's comment.cmtx text for this policy ("" when none)

  bool operator==(const ReportPolicy& o) const {
    return name == o.name && state == o.state && explain == o.explain && supported == o.supported &&
           category == o.category && elements == o.elements && comment == o.comment;
  }
};

// ReportSetting
//
// A named setting with one typed value, as GPMC's Account and SecurityOptions elements hold it
// (SettingBoolean / SettingNumber / SettingString / SettingStrings).
struct ReportSettingValue {
  std::optional<bool> boolean;
  std::optional<int64_t> number;
  std::optional<std::string> text;
  std::vector<std::string> strings;
  bool has_strings = false;

  bool operator==(const ReportSettingValue& o) const {
    return boolean == o.boolean && number == o.number && text == o.text && strings == o.strings &&
           has_strings == o.has_strings;
  }
};

// ReportAccountSetting
//
// System Access / Kerberos Policy: `type` is "Password", "Account Lockout" or "Kerberos".
struct ReportAccountSetting {
  std::string name;
  ReportSettingValue value;
  std::string type;

  bool operator==(const ReportAccountSetting& o) const {
    return name == o.name && value == o.value && type == o.type;
  }
};

// ReportEventAudit
//
// Legacy audit policy (Event Audit): "AuditLogonEvents" etc. with success/failure flags.
struct ReportEventAudit {
  std::string name;
  bool success = false;
  bool failure = false;

  bool operator==(const ReportEventAudit& o) const {
    return name == o.name && success == o.success && failure == o.failure;
  }
};

// ReportUserRight
//
// Privilege Rights: the right's name and its members (empty: assigned to nobody).
struct ReportUserRight {
  std::string name;
  std::vector<ReportPrincipal> members;

  bool operator==(const ReportUserRight& o) const { return name == o.name && members == o.members; }
};

// ReportSecurityOption
//
// A security option: either a registry value of the template (`key_name`,
// "MACHINE\...\Name") or a System Access option (`system_access_policy_name`, e.g.
// "EnableGuestAccount").
struct ReportSecurityOption {
  std::string key_name;
  std::string system_access_policy_name;
  ReportSettingValue value;

  bool operator==(const ReportSecurityOption& o) const {
    return key_name == o.key_name && system_access_policy_name == o.system_access_policy_name &&
           value == o.value;
  }
};

// ReportRestrictedGroup
//
// Group Membership: the group, its enforced members and the groups it is made a member of.
struct ReportRestrictedGroup {
  ReportPrincipal group;
  std::vector<ReportPrincipal> members;
  std::vector<ReportPrincipal> member_of;
  bool has_members = false;    // a "__Members" line was present
  bool has_member_of = false;  // a "__Memberof" line was present

  bool operator==(const ReportRestrictedGroup& o) const {
    return group == o.group && members == o.members && member_of == o.member_of &&
           has_members == o.has_members && has_member_of == o.has_member_of;
  }
};

// ReportService
//
// Service General Setting: startup mode as GPMC names it ("Automatic", "Manual", "Disabled",
// or the number) and the SDDL (may be empty).
struct ReportService {
  std::string name;
  std::string startup_mode;
  std::string sddl;

  bool operator==(const ReportService& o) const {
    return name == o.name && startup_mode == o.startup_mode && sddl == o.sddl;
  }
};

// ReportObjectSecurity
//
// File Security / Registry Keys: path, propagation mode ("Propagate", "Ignore", "Replace", or
// the number) and SDDL.
struct ReportObjectSecurity {
  std::string path;
  std::string propagation_mode;
  std::string sddl;

  bool operator==(const ReportObjectSecurity& o) const {
    return path == o.path && propagation_mode == o.propagation_mode && sddl == o.sddl;
  }
};

// ReportSecurity
//
// The security template's settings, GPMC's SecuritySettings extension.
struct ReportSecurity {
  std::vector<ReportAccountSetting> accounts;
  std::vector<ReportEventAudit> audits;
  std::vector<ReportUserRight> user_rights;
  std::vector<ReportSecurityOption> security_options;
  std::vector<ReportRestrictedGroup> restricted_groups;
  std::vector<ReportService> services;
  std::vector<ReportObjectSecurity> files;
  std::vector<ReportObjectSecurity> registry_keys;

  bool empty() const {
    return accounts.empty() && audits.empty() && user_rights.empty() && security_options.empty() &&
           restricted_groups.empty() && services.empty() && files.empty() && registry_keys.empty();
  }
  bool operator==(const ReportSecurity& o) const;
};

// ReportAuditSetting
//
// Advanced audit (audit.csv): one subcategory. `setting_value` 0 none, 1 success, 2 failure,
// 3 both.
struct ReportAuditSetting {
  std::string policy_target;
  std::string subcategory_name;
  std::string subcategory_guid;
  int setting_value = 0;

  bool operator==(const ReportAuditSetting& o) const {
    return policy_target == o.policy_target && subcategory_name == o.subcategory_name &&
           subcategory_guid == o.subcategory_guid && setting_value == o.setting_value;
  }
};

// ReportScript
//
// One script of scripts.ini or psscripts.ini, as GPMC's Scripts extension lists it: the
// command and its parameters as written, `type` "Startup", "Shutdown", "Logon" or "Logoff",
// `order` its number within its file's section (the "0" of "0CmdLine"), `run_order`
// "PSNotConfigured" for scripts.ini and, for psscripts.ini, "PSFirst", "PSLast" or
// "PSNotConfigured" from its [ScriptsConfig] section. `powershell` tells which file it came
// from (gpop's own; GPMC's XML does not say).
struct ReportScript {
  std::string command;
  std::string parameters;
  std::string type;
  int order = 0;
  std::string run_order;
  bool powershell = false;

  bool operator==(const ReportScript& o) const {
    return command == o.command && parameters == o.parameters && type == o.type &&
           order == o.order && run_order == o.run_order && powershell == o.powershell;
  }
};

// ReportXmlElement
//
// An XML element kept as data: local name, attributes in document order, text (PCDATA and
// CDATA concatenated, surrounding whitespace of mixed content dropped) and child elements.
struct ReportXmlElement {
  std::string name;
  std::vector<std::pair<std::string, std::string>> attributes;
  std::string text;
  std::vector<ReportXmlElement> children;

  // The value of attribute `name` (exact), or "".
  const std::string& Attribute(std::string_view name) const;

  bool operator==(const ReportXmlElement& o) const {
    return name == o.name && attributes == o.attributes && text == o.text && children == o.children;
  }
};

// ReportPreference
//
// One Group Policy Preferences extension of a side (Preferences/<folder>/<file>.xml), as
// GPMC's report embeds it: `folder` ("Groups"), `extension_name` ("Local Users and Groups"),
// the report's namespace and xsi:type, and `root` the file's root element with its items
// (Group, Registry, Collection, TaskV2, ...) as the file holds them. The writer adds what
// GPMC adds (GPOSettingOrder, Filters) and renames the root where GPMC does
// (Groups -> LocalUsersAndGroups); the reader removes it again.
struct ReportPreference {
  std::string folder;
  std::string extension_name;
  std::string xml_namespace;
  std::string xsi_type;
  ReportXmlElement root;

  bool operator==(const ReportPreference& o) const {
    return folder == o.folder && extension_name == o.extension_name &&
           xml_namespace == o.xml_namespace && xsi_type == o.xsi_type && root == o.root;
  }
};

// ReportAppLockerCollection
//
// One AppLocker rule collection (GPMC's "Application Control Policies", read from Registry.pol's
// Software\Policies\Microsoft\Windows\SrpV2 values): `type` "Appx", "Dll", "Exe", "Msi" or
// "Script", `enforcement_mode` as GPMC names it ("Disabled" for 0, "Enabled" for 1, else the
// number; "" when the collection has no EnforcementMode value), and the rules as their XML holds
// them (FilePublisherRule, FilePathRule, FileHashRule; GPMC's order: by kind in that order,
// then by Id).
struct ReportAppLockerCollection {
  std::string type;
  std::string enforcement_mode;
  std::vector<ReportXmlElement> rules;

  bool operator==(const ReportAppLockerCollection& o) const {
    return type == o.type && enforcement_mode == o.enforcement_mode && rules == o.rules;
  }
};

// ReportSide
//
// The Computer or User half. Extensions with no settings are absent from the XML; `problems`
// lists files that could not be read ("Machine/registry.pol: bad signature"), which the
// renderers show instead of silently dropping the settings.
struct ReportSide {
  uint32_t version_directory = 0;
  uint32_t version_sysvol = 0;
  bool enabled = true;
  std::vector<ReportPolicy> policies;
  std::vector<ReportRegistrySetting> registry_settings;
  // The Registry.pol entries that registry_settings stands for, not decoded into it: filled
  // instead of it by BuildReport with `registry_by_reference` (a backup's gpreport.xml, where a
  // registry-heavy GPO has hundreds of thousands), in report order, pointing into the parsed
  // files, which must outlive the report. The XML writers write them as the RegistrySettings
  // they are (the same bytes); the HTML renderer and the diff do not read them.
  std::vector<const PolEntry*> registry_entries;
  ReportSecurity security;
  std::vector<ReportAuditSetting> advanced_audit;
  std::vector<ReportScript> scripts;                  // scripts.ini, then psscripts.ini
  std::vector<ReportPreference> preferences;          // by folder name, case-insensitively
  std::vector<ReportAppLockerCollection> app_locker;  // by type, case-insensitively
  std::vector<std::string> problems;

  bool operator==(const ReportSide& o) const;
};

// Report
//
// A whole report. Times are texts as GPMC writes them ("2016-12-08T22:14:24"; ReadTime with
// fractional seconds and 'Z'); empty ones are omitted. `sddl` is the GPO's security descriptor
// in SDDL when known (omitted when empty).
struct Report {
  std::string guid;     // "{356FB116-26CD-4FBF-830B-6D736B802FD7}"
  std::string domain;   // "idl.local"
  std::string name;     // display name
  std::string comment;  // the GPO's own comment (GPO.cmt), "" when none
  bool include_comments = true;
  std::string created_time;
  std::string modified_time;
  std::string read_time;
  std::string sddl;
  bool filter_data_available = true;
  ReportSide computer;
  ReportSide user;

  bool operator==(const Report& o) const;
};

// WellKnownSidName
//
// "BUILTIN\Administrators" for "S-1-5-32-544" and the other well-known SIDs GPMC names
// offline; "" for anything else (domain SIDs need a directory).
std::string WellKnownSidName(const std::string& sid);

}  // namespace gpop::sysvol

#endif  // GPOP_SERVICE_BACKENDS_SYSVOL_FORMAT_REPORT_H_
