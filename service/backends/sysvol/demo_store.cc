// The demo store and the large-store generator (see demo_store.h).

#include "service/backends/sysvol/demo_store.h"

#include <cstdio>
#include <utility>

#include "service/backends/sysvol/format/audit_csv.h"
#include "service/backends/sysvol/format/gpo_version.h"
#include "service/backends/sysvol/format/gpt_ini.h"
#include "service/backends/sysvol/format/inf_file.h"
#include "service/backends/sysvol/format/registry_pol.h"
#include "service/backends/sysvol/format/security_template.h"
#include "service/backends/sysvol/gpo_store.h"
#include "service/backends/sysvol/safe_fs.h"

namespace gpop::sysvol {
namespace {

// What one GPO's GPT holds.
struct GptContent {
  DemoGpo gpo;
  uint32_t version = 0;
  RegistryPol machine_pol;
  RegistryPol user_pol;
  SecurityTemplate security;
  std::vector<AuditCsvRow> audit;
};

constexpr char kPolicies[] = "Software\\Policies\\Microsoft\\Windows";

core::Result<Dir> MakePath(const Dir& root, std::initializer_list<const char*> names) {
  core::Result<Dir> at = root.MakeSubdir(*names.begin());
  if (!at.ok()) return at;
  for (auto it = names.begin() + 1; it != names.end(); ++it) {
    core::Result<Dir> next = at->MakeSubdir(*it);
    if (!next.ok()) return next;
    at = std::move(next);
  }
  return at;
}

core::Status WriteGpt(const Dir& policies, const GptContent& c) {
  if (core::Status s = policies.RemoveTree(c.gpo.guid); !s.ok()) return s;
  core::Result<Dir> gpt = policies.MakeSubdir(c.gpo.guid);
  if (!gpt.ok()) return gpt.error();
  GptIni ini;
  ini.version = c.version;
  ini.display_name = c.gpo.display_name;
  if (core::Status s = gpt->WriteFile("GPT.INI", WriteGptIni(ini)); !s.ok()) return s;
  core::Result<Dir> machine = gpt->MakeSubdir("Machine");
  if (!machine.ok()) return machine.error();
  core::Result<Dir> user = gpt->MakeSubdir("User");
  if (!user.ok()) return user.error();
  for (auto [dir, pol] : {std::pair{&*machine, &c.machine_pol}, std::pair{&*user, &c.user_pol}}) {
    if (pol->entries.empty()) continue;
    core::Result<std::string> bytes = WriteRegistryPol(*pol);
    if (!bytes.ok()) return bytes.error();
    if (core::Status s = dir->WriteFile("Registry.pol", *bytes); !s.ok()) return s;
  }
  if (!(c.security == SecurityTemplate())) {
    core::Result<Dir> secedit = MakePath(*machine, {"Microsoft", "Windows NT", "SecEdit"});
    if (!secedit.ok()) return secedit.error();
    core::Result<std::string> bytes = WriteGptTmplInf(MakeSecurityTemplateInf(c.security));
    if (!bytes.ok()) return bytes.error();
    if (core::Status s = secedit->WriteFile("GptTmpl.inf", *bytes); !s.ok()) return s;
  }
  if (!c.audit.empty()) {
    core::Result<Dir> audit = MakePath(*machine, {"Microsoft", "Windows NT", "Audit"});
    if (!audit.ok()) return audit.error();
    if (core::Status s = audit->WriteFile("audit.csv", WriteAuditCsv(MakeAuditCsv(c.audit)));
        !s.ok()) {
      return s;
    }
  }
  return gpt->Sync();
}

core::Result<Dir> OpenPoliciesForWriting(const std::filesystem::path& sysvol_dir) {
  // The tool is pointed at a new folder: create its parents too (the backend never does).
  std::error_code ec;
  std::filesystem::create_directories(sysvol_dir, ec);
  core::Result<Dir> root = Dir::OpenRoot(sysvol_dir, "sysvol", /*create=*/true);
  if (!root.ok()) return root;
  core::Result<std::optional<DirEntry>> found = root->FindNoCase("Policies");
  if (!found.ok()) return found.error();
  return root->MakeSubdir(*found ? (*found)->name : std::string("Policies"));
}

AuditCsvRow AuditRow(const char* subcategory, const char* guid, int value) {
  static const char* const kInclusion[] = {"No Auditing", "Success", "Failure",
                                           "Success and Failure"};
  AuditCsvRow row;
  row.policy_target = "System";
  row.subcategory = subcategory;
  row.subcategory_guid = guid;
  row.inclusion_setting = kInclusion[value & 3];
  row.setting_value = std::to_string(value);
  return row;
}

RegistryValueSetting RegValue(const char* key, const char* name, uint32_t type, const char* data) {
  return RegistryValueSetting{key, name, type, data};
}

GptContent DefaultDomainPolicy() {
  GptContent c;
  c.gpo = {kDefaultDomainPolicyGuid, "Default Domain Policy"};
  c.version = MakeGpoVersion(0, 3);
  c.security.system_access = {{"MinimumPasswordAge", "1"},
                              {"MaximumPasswordAge", "60"},
                              {"MinimumPasswordLength", "14"},
                              {"PasswordComplexity", "1"},
                              {"PasswordHistorySize", "24"},
                              {"LockoutBadCount", "5"},
                              {"ResetLockoutCount", "15"},
                              {"LockoutDuration", "15"},
                              {"RequireLogonToChangePassword", "0"},
                              {"ForceLogoffWhenHourExpire", "0"},
                              {"ClearTextPassword", "0"},
                              {"LSAAnonymousNameLookup", "0"}};
  c.security.kerberos_policy = {{"MaxTicketAge", "10"},
                                {"MaxRenewAge", "7"},
                                {"MaxServiceAge", "600"},
                                {"MaxClockSkew", "5"},
                                {"TicketValidateClient", "1"}};
  c.security.registry_values = {
      RegValue("MACHINE\\System\\CurrentControlSet\\Control\\Lsa", "NoLMHash", 4, "1")};
  return c;
}

GptContent WorkstationBaseline() {
  GptContent c;
  c.gpo = {"{7C1A5B2E-3D4F-4A8B-9C6D-1E2F3A4B5C6D}", "Workstation Baseline"};
  c.version = MakeGpoVersion(2, 5);
  std::string wu = std::string(kPolicies) + "\\WindowsUpdate\\AU";
  std::string fw = "Software\\Policies\\Microsoft\\WindowsFirewall";
  c.machine_pol.entries = {
      MakeDwordEntry(wu, "NoAutoUpdate", 0),
      MakeDwordEntry(wu, "AUOptions", 4),
      MakeDwordEntry(wu, "ScheduledInstallDay", 0),
      MakeDwordEntry(wu, "ScheduledInstallTime", 3),
      MakeDwordEntry(fw + "\\DomainProfile", "EnableFirewall", 1),
      MakeDwordEntry(fw + "\\DomainProfile", "DefaultInboundAction", 1),
      MakeDwordEntry(fw + "\\PrivateProfile", "EnableFirewall", 1),
      MakeDwordEntry(fw + "\\PublicProfile", "EnableFirewall", 1),
      MakeDwordEntry(fw + "\\PublicProfile", "DisableNotifications", 1),
      MakeStringEntry(fw + "\\DomainProfile\\Logging", "LogFilePath",
                      "%systemroot%\\system32\\logfiles\\firewall\\domainfw.log",
                      reg_type::kExpandSz),
      MakeDwordEntry(fw + "\\DomainProfile\\Logging", "LogFileSize", 16384),
      MakeDwordEntry("Software\\Policies\\Microsoft\\Windows NT\\Terminal Services",
                     "fDenyTSConnections", 1),
      MakeDwordEntry(std::string(kPolicies) + "\\Personalization", "NoLockScreenCamera", 1),
      MakeDeleteValueEntry(std::string(kPolicies) + "\\System", "EnableSmartScreen"),
  };
  std::string desktop = "Software\\Policies\\Microsoft\\Windows\\Control Panel\\Desktop";
  c.user_pol.entries = {
      MakeStringEntry(desktop, "ScreenSaveActive", "1"),
      MakeStringEntry(desktop, "ScreenSaverIsSecure", "1"),
      MakeStringEntry(desktop, "ScreenSaveTimeOut", "900"),
      MakeStringEntry(desktop, "SCRNSAVE.EXE", "scrnsave.scr"),
      MakeDwordEntry("Software\\Microsoft\\Windows\\CurrentVersion\\Policies\\Explorer",
                     "NoDriveTypeAutoRun", 255),
      MakeMultiStringEntry("Software\\Policies\\Microsoft\\Internet Explorer\\Main", "TrustedSites",
                           {"https://intranet.gpop.test", "https://wiki.gpop.test"}),
  };
  c.security.registry_values = {
      RegValue("MACHINE\\System\\CurrentControlSet\\Services\\LanmanWorkstation\\Parameters",
               "RequireSecuritySignature", 4, "1"),
      RegValue("MACHINE\\System\\CurrentControlSet\\Services\\LanmanWorkstation\\Parameters",
               "EnablePlainTextPassword", 4, "0"),
      RegValue("MACHINE\\Software\\Microsoft\\Windows\\CurrentVersion\\Policies\\System",
               "InactivityTimeoutSecs", 4, "900"),
  };
  return c;
}

GptContent ServerHardening() {
  GptContent c;
  c.gpo = {"{2F8E4D6C-9B1A-4E3F-8D7C-6B5A4F3E2D1C}", "Server Hardening"};
  c.version = MakeGpoVersion(0, 7);
  c.machine_pol.entries = {
      MakeDwordEntry("Software\\Policies\\Microsoft\\Windows NT\\DNSClient", "EnableMulticast", 0),
      MakeDwordEntry(std::string(kPolicies) + "\\PowerShell\\ScriptBlockLogging",
                     "EnableScriptBlockLogging", 1),
      MakeDwordEntry(std::string(kPolicies) + "\\WinRM\\Service", "AllowBasic", 0),
      MakeDwordEntry(std::string(kPolicies) + "\\WinRM\\Service", "DisableRunAs", 1),
      MakeQwordEntry(std::string(kPolicies) + "\\EventLog\\Security", "MaxSizeBytes",
                     uint64_t{4} << 30),
      MakeBinaryEntry(std::string(kPolicies) + "\\Gpop\\Demo", "Blob",
                      std::string("\x01\x02\x03\xFF", 4)),
      MakeDeleteAllValuesEntry(std::string(kPolicies) + "\\Gpop\\Stale"),
  };
  const char* lanman = "MACHINE\\System\\CurrentControlSet\\Services\\LanManServer\\Parameters";
  c.security.system_access = {{"EnableGuestAccount", "0"},
                              {"NewAdministratorName", "\"LocalAdmin\""}};
  c.security.registry_values = {
      RegValue(lanman, "RequireSecuritySignature", 4, "1"),
      RegValue(lanman, "EnableSecuritySignature", 4, "1"),
      RegValue("MACHINE\\System\\CurrentControlSet\\Control\\Lsa", "LmCompatibilityLevel", 4, "5"),
      RegValue("MACHINE\\System\\CurrentControlSet\\Control\\Lsa", "RestrictAnonymous", 4, "1"),
      RegValue("MACHINE\\System\\CurrentControlSet\\Control\\Lsa\\MSV1_0", "NTLMMinServerSec", 4,
               "537395200"),
  };
  c.security.privilege_rights = {
      {"SeRemoteInteractiveLogonRight", {"*S-1-5-32-544"}},
      {"SeDenyNetworkLogonRight", {"*S-1-5-32-546"}},
      {"SeDebugPrivilege", {"*S-1-5-32-544"}},
      {"SeBackupPrivilege", {"*S-1-5-32-544", "*S-1-5-32-551"}},
  };
  c.security.group_membership = {
      {"*S-1-5-32-544", GroupMembership::Relation::kMembers, {"GPOP\\Server Admins"}}};
  c.security.services = {{"RemoteRegistry", 4, ""}, {"Spooler", 4, ""}};
  c.security.file_security = {
      {"%SystemRoot%\\System32\\config", 2, "D:PAR(A;OICI;FA;;;BA)(A;OICI;FA;;;SY)"}};
  return c;
}

GptContent AuditPolicy() {
  GptContent c;
  c.gpo = {"{9A3B5C7D-1E2F-4061-8293-A4B5C6D7E8F9}", "Audit Policy"};
  c.version = MakeGpoVersion(0, 2);
  c.security.event_audit = {
      {"AuditSystemEvents", "3"},    {"AuditLogonEvents", "3"},  {"AuditObjectAccess", "2"},
      {"AuditPrivilegeUse", "2"},    {"AuditPolicyChange", "3"}, {"AuditAccountManage", "3"},
      {"AuditProcessTracking", "0"}, {"AuditDSAccess", "0"},     {"AuditAccountLogon", "3"}};
  c.security.registry_values = {RegValue("MACHINE\\System\\CurrentControlSet\\Control\\Lsa",
                                         "SCENoApplyLegacyAuditPolicy", 4, "1")};
  c.audit = {
      AuditRow("Audit Credential Validation", "{0cce923f-69ae-11d9-bed3-505054503030}", 3),
      AuditRow("Audit Security Group Management", "{0cce9237-69ae-11d9-bed3-505054503030}", 1),
      AuditRow("Audit User Account Management", "{0cce9235-69ae-11d9-bed3-505054503030}", 3),
      AuditRow("Audit Process Creation", "{0cce922b-69ae-11d9-bed3-505054503030}", 1),
      AuditRow("Audit Account Lockout", "{0cce9217-69ae-11d9-bed3-505054503030}", 2),
      AuditRow("Audit Logoff", "{0cce9216-69ae-11d9-bed3-505054503030}", 1),
      AuditRow("Audit Logon", "{0cce9215-69ae-11d9-bed3-505054503030}", 3),
      AuditRow("Audit Audit Policy Change", "{0cce922f-69ae-11d9-bed3-505054503030}", 3),
      AuditRow("Audit Sensitive Privilege Use", "{0cce9228-69ae-11d9-bed3-505054503030}", 3),
      AuditRow("Audit Security System Extension", "{0cce9211-69ae-11d9-bed3-505054503030}", 1),
  };
  return c;
}

}  // namespace

core::Result<std::vector<DemoGpo>> WriteDemoStore(const std::filesystem::path& sysvol_dir) {
  core::Result<Dir> policies = OpenPoliciesForWriting(sysvol_dir);
  if (!policies.ok()) return policies.error();
  std::vector<DemoGpo> out;
  for (const GptContent& c :
       {DefaultDomainPolicy(), WorkstationBaseline(), ServerHardening(), AuditPolicy()}) {
    if (core::Status s = WriteGpt(*policies, c); !s.ok()) return s.error();
    out.push_back(c.gpo);
  }
  if (core::Status s = policies->Sync(); !s.ok()) return s.error();
  return out;
}

core::Result<std::vector<DemoGpo>> WriteLargeStore(const std::filesystem::path& sysvol_dir,
                                                   int gpo_count, int megabytes) {
  if (gpo_count < 1 || gpo_count > 100000 || megabytes < 0 || megabytes > 100000) {
    return core::InvalidField("gpos/megabytes", "out of range (1..100000 GPOs, 0..100000 MB)");
  }
  core::Result<Dir> policies = OpenPoliciesForWriting(sysvol_dir);
  if (!policies.ok()) return policies.error();
  const uint64_t per_gpo = (static_cast<uint64_t>(megabytes) << 20) / gpo_count;
  std::vector<DemoGpo> out;
  for (int i = 1; i <= gpo_count; ++i) {
    GptContent c;
    char guid[64];
    std::snprintf(guid, sizeof(guid), "{6E0F0000-0000-4000-8000-%012X}", i);
    char name[64];
    std::snprintf(name, sizeof(name), "Generated GPO %04d", i);
    c.gpo = {guid, name};
    c.version = MakeGpoVersion(1, static_cast<uint16_t>(1 + i % 100));
    // Each entry is ~200 bytes of UTF-16: fill the GPO's share of the total.
    uint64_t bytes = 0;
    for (int n = 0; bytes < per_gpo || n == 0; ++n) {
      std::string key = std::string(kPolicies) + "\\Generated\\Area" + std::to_string(n % 50);
      std::string value = "Value" + std::to_string(n);
      PolEntry e = (n % 3 == 0) ? MakeDwordEntry(key, value, static_cast<uint32_t>(n))
                                : MakeStringEntry(key, value,
                                                  "generated setting " + std::to_string(i) + "/" +
                                                      std::to_string(n) + " for load tests");
      bytes += 2 * (key.size() + value.size() + 8) + e.data.size();
      c.machine_pol.entries.push_back(std::move(e));
    }
    c.user_pol.entries = {
        MakeStringEntry("Software\\Policies\\Microsoft\\Windows\\Control Panel\\Desktop",
                        "ScreenSaveTimeOut", std::to_string(300 + i))};
    c.security.system_access = {{"MinimumPasswordLength", std::to_string(8 + i % 8)}};
    c.audit = {AuditRow("Audit Logon", "{0cce9215-69ae-11d9-bed3-505054503030}", i % 4)};
    if (core::Status s = WriteGpt(*policies, c); !s.ok()) return s.error();
    out.push_back(c.gpo);
  }
  if (core::Status s = policies->Sync(); !s.ok()) return s.error();
  return out;
}

}  // namespace gpop::sysvol
