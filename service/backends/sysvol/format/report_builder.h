// Builds the settings report (report.h) of one GPO from its parsed files: Registry.pol values
// as RegistrySetting (or as ADMX Policy elements when a catalog defines them, or as AppLocker
// rule collections: report_applocker.h), the security template's settings, advanced audit,
// scripts, Group Policy Preferences and comments.
//
// Ordering (stable, so that reports diff cleanly): policies by category then name; registry
// settings by key then value name (case-insensitive, file order among equals); account
// settings, audits, user rights, services by name; security options by key name, then System
// Access options by name; restricted groups by group, files and registry keys by path. Advanced
// audit settings stay in audit.csv's order (as GPMC lists them). Scripts: scripts.ini's, then
// psscripts.ini's, each by type (Startup, Shutdown, Logon, Logoff) then number. Preference
// extensions by folder name, each file's items in file order.

#ifndef GPOP_SERVICE_BACKENDS_SYSVOL_FORMAT_REPORT_BUILDER_H_
#define GPOP_SERVICE_BACKENDS_SYSVOL_FORMAT_REPORT_BUILDER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "service/backends/sysvol/format/admx.h"
#include "service/backends/sysvol/format/audit_csv.h"
#include "service/backends/sysvol/format/comments.h"
#include "service/backends/sysvol/format/registry_pol.h"
#include "service/backends/sysvol/format/report.h"
#include "service/backends/sysvol/format/scripts_ini.h"
#include "service/backends/sysvol/format/security_template.h"

namespace gpop::sysvol {

// ReportSideFiles
//
// The parsed files of one side (null: the file is absent), and the problems met reading the
// side's files (copied to ReportSide::problems). Pointers are not kept after BuildReport.
struct ReportSideFiles {
  const RegistryPol* registry_pol = nullptr;
  const SecurityTemplate* security = nullptr;                  // computer side only in practice
  const AuditCsv* audit = nullptr;                             // computer side only in practice
  const ScriptsIni* scripts = nullptr;                         // Scripts/scripts.ini
  const ScriptsIni* psscripts = nullptr;                       // Scripts/psscripts.ini
  const std::vector<ReportPreference>* preferences = nullptr;  // Preferences/*/*.xml
  const PolicyComments* comments = nullptr;                    // comment.cmtx
  std::vector<std::string> problems;
};

// ReportIdentity
//
// The container half: identity, times (texts, see Report), the directory's version number,
// GPT.INI's version, and the GPO flags (1 user part disabled, 2 computer part disabled).
struct ReportIdentity {
  std::string guid;
  std::string domain;
  std::string name;
  std::string comment;  // GPO.cmt
  std::string created_time;
  std::string modified_time;
  std::string read_time;
  std::string sddl;
  uint32_t directory_version = 0;
  uint32_t sysvol_version = 0;
  uint32_t flags = 0;
};

// BuildReport
//
// The report of one GPO. `admx` may be null (no central store: every value stays a
// RegistrySetting). With `registry_by_reference` the RegistrySettings are left as pointers to
// their entries (ReportSide::registry_entries) for the XML writers, which then need the parsed
// files alive; a report for anything else (HTML, diffs, comparisons) is built without it.
Report BuildReport(const ReportIdentity& identity, const ReportSideFiles& computer,
                   const ReportSideFiles& user, const AdmxCatalog* admx = nullptr,
                   bool registry_by_reference = false);

// RegistrySettingFromEntry
//
// How one Registry.pol entry appears as a RegistrySetting (see ReportRegistryValue).
ReportRegistrySetting RegistrySettingFromEntry(const PolEntry& entry);

// ScriptsFromIni
//
// The report's scripts for one parsed scripts.ini (`powershell` false) or psscripts.ini.
std::vector<ReportScript> ScriptsFromIni(const ScriptsIni& ini, bool powershell);

// SecurityFromTemplate
//
// The SecuritySettings part of a report for one template.
ReportSecurity SecurityFromTemplate(const SecurityTemplate& tmpl);

}  // namespace gpop::sysvol

#endif  // GPOP_SERVICE_BACKENDS_SYSVOL_FORMAT_REPORT_BUILDER_H_
