// Report data model helpers (see report.h).

#include "service/backends/sysvol/format/report.h"

#include <map>

namespace gpop::sysvol {

bool ReportSecurity::operator==(const ReportSecurity& o) const {
  return accounts == o.accounts && audits == o.audits && user_rights == o.user_rights &&
         security_options == o.security_options && restricted_groups == o.restricted_groups &&
         services == o.services && files == o.files && registry_keys == o.registry_keys;
}

bool ReportSide::operator==(const ReportSide& o) const {
  return version_directory == o.version_directory && version_sysvol == o.version_sysvol &&
         enabled == o.enabled && policies == o.policies &&
         registry_settings == o.registry_settings && registry_entries == o.registry_entries &&
         security == o.security && advanced_audit == o.advanced_audit && scripts == o.scripts &&
         preferences == o.preferences && app_locker == o.app_locker && problems == o.problems;
}

bool Report::operator==(const Report& o) const {
  return guid == o.guid && domain == o.domain && name == o.name && comment == o.comment &&
         include_comments == o.include_comments && created_time == o.created_time &&
         modified_time == o.modified_time && read_time == o.read_time && sddl == o.sddl &&
         filter_data_available == o.filter_data_available && computer == o.computer &&
         user == o.user;
}

const std::string& ReportXmlElement::Attribute(std::string_view attribute) const {
  static const std::string* kEmpty = new std::string();
  for (const auto& [n, v] : attributes) {
    if (n == attribute) return v;
  }
  return *kEmpty;
}

std::string WellKnownSidName(const std::string& sid) {
  static const std::map<std::string, const char*> kNames = {
      {"S-1-1-0", "Everyone"},
      {"S-1-3-0", "CREATOR OWNER"},
      {"S-1-5-2", "NT AUTHORITY\\NETWORK"},
      {"S-1-5-4", "NT AUTHORITY\\INTERACTIVE"},
      {"S-1-5-6", "NT AUTHORITY\\SERVICE"},
      {"S-1-5-7", "NT AUTHORITY\\ANONYMOUS LOGON"},
      {"S-1-5-9", "NT AUTHORITY\\ENTERPRISE DOMAIN CONTROLLERS"},
      {"S-1-5-11", "NT AUTHORITY\\Authenticated Users"},
      {"S-1-5-13", "NT AUTHORITY\\TERMINAL SERVER USER"},
      {"S-1-5-14", "NT AUTHORITY\\REMOTE INTERACTIVE LOGON"},
      {"S-1-5-18", "NT AUTHORITY\\SYSTEM"},
      {"S-1-5-19", "NT AUTHORITY\\LOCAL SERVICE"},
      {"S-1-5-20", "NT AUTHORITY\\NETWORK SERVICE"},
      {"S-1-5-32-544", "BUILTIN\\Administrators"},
      {"S-1-5-32-545", "BUILTIN\\Users"},
      {"S-1-5-32-546", "BUILTIN\\Guests"},
      {"S-1-5-32-547", "BUILTIN\\Power Users"},
      {"S-1-5-32-548", "BUILTIN\\Account Operators"},
      {"S-1-5-32-549", "BUILTIN\\Server Operators"},
      {"S-1-5-32-550", "BUILTIN\\Print Operators"},
      {"S-1-5-32-551", "BUILTIN\\Backup Operators"},
      {"S-1-5-32-555", "BUILTIN\\Remote Desktop Users"},
      {"S-1-5-32-559", "BUILTIN\\Performance Log Users"},
      {"S-1-5-32-573", "BUILTIN\\Event Log Readers"},
      {"S-1-5-113", "NT AUTHORITY\\Local account"},
      {"S-1-5-114", "NT AUTHORITY\\Local account and member of Administrators group"},
      {"S-1-5-80-0", "NT SERVICE\\ALL SERVICES"},
  };
  auto it = kNames.find(sid);
  return it == kNames.end() ? std::string() : std::string(it->second);
}

}  // namespace gpop::sysvol
