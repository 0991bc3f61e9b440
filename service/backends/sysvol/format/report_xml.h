// The settings report as GPMC's XML (gpreport.xml), and a reader for Windows' own reports.
//
// Writer: root <GPO> in http://www.microsoft.com/GroupPolicy/Settings with the xsd/xsi
// namespaces, children Identifier (Identifier, Domain in .../GroupPolicy/Types), Name,
// IncludeComments, CreatedTime, ModifiedTime, ReadTime, SecurityDescriptor (when SDDL is
// known), FilterDataAvailable, Computer, User (VersionDirectory, VersionSysvol, Enabled, then one
// ExtensionData per extension with settings: Security (.../Settings/Security), Advanced Audit
// Configuration (.../Settings/Auditing), Registry (.../Settings/Registry), Scripts
// (.../Settings/Scripts: Script{Command, Parameters when not empty, Type, Order, RunOrder}),
// Application Control Policies (.../Settings/SRPV2: RuleCollection Type=... with the rules and
// EnforcementMode{Mode}),
// then one per Group Policy Preferences extension (the file's tree embedded as GPMC embeds it:
// see gpp.h and ReportPreference), with prefixes q1, q2, ... in that order as GPMC numbers
// them). Two-space indentation, as Windows writes it.
// gpop additions not seen in Windows' gpreport.xml: the GPO's comment as <Comment> after
// <Name>, a policy's comment as <Comment> after its <Category>; RegistrySetting values carry a
// <Type>REG_...</Type> after their data (the type is part of a value), REG_MULTI_SZ values one
// <String> per string, and files that could not be read appear as XML comments "gpop: <file>:
// <problem>" in their side. Line ends are LF in both encodings.

#ifndef GPOP_SERVICE_BACKENDS_SYSVOL_FORMAT_REPORT_XML_H_
#define GPOP_SERVICE_BACKENDS_SYSVOL_FORMAT_REPORT_XML_H_

#include <functional>
#include <string>
#include <string_view>

#include "service/backends/sysvol/format/report.h"
#include "service/core/error.h"

namespace gpop::sysvol {

// Namespaces of gpreport.xml.
inline constexpr char kSettingsNamespace[] = "http://www.microsoft.com/GroupPolicy/Settings";
inline constexpr char kTypesNamespace[] = "http://www.microsoft.com/GroupPolicy/Types";
inline constexpr char kTypesSecurityNamespace[] =
    "http://www.microsoft.com/GroupPolicy/Types/Security";
inline constexpr char kRegistrySettingsNamespace[] =
    "http://www.microsoft.com/GroupPolicy/Settings/Registry";
inline constexpr char kSecuritySettingsNamespace[] =
    "http://www.microsoft.com/GroupPolicy/Settings/Security";
inline constexpr char kAuditingSettingsNamespace[] =
    "http://www.microsoft.com/GroupPolicy/Settings/Auditing";
inline constexpr char kScriptsSettingsNamespace[] =
    "http://www.microsoft.com/GroupPolicy/Settings/Scripts";

// WriteReportXml
//
// UTF-8 bytes, declaration `encoding="utf-8"` (for API responses).
std::string WriteReportXml(const Report& report);

// WriteReportXmlUtf16
//
// UTF-16LE bytes with a BOM, declaration `encoding="utf-16"` (gpreport.xml inside a backup).
std::string WriteReportXmlUtf16(const Report& report);

// WriteReportXmlUtf16To
//
// The same bytes as WriteReportXmlUtf16, handed to `sink` in pieces of about 256 KiB (a report
// of any size then needs one piece of memory, not the whole file). False when the report's text
// is not valid UTF-8 or `sink` returned false (pieces may have been handed over by then).
bool WriteReportXmlUtf16To(const Report& report, const std::function<bool(std::string_view)>& sink);

// ParseReportXml
//
// Reads a gpreport.xml (UTF-16LE with BOM or UTF-8): identity, name, times, per side the
// versions, Enabled, every RegistrySetting (key, name, Number/String data, Type when present;
// without Type a Number reads as REG_DWORD and a String as REG_SZ) and every Policy (name,
// state, category, explain, supported; not its elements), account settings, user rights,
// security options, advanced audit settings, AppLocker rule collections, scripts (not whether each
// came from psscripts.ini: GPMC's XML does not say), preference extensions (as ReportPreference,
// the additions of the writer removed) and the comments. Other extensions are skipped. Errors:
// CORRUPT_FILE (see LoadXml) and a root element other than GPO.
core::Result<Report> ParseReportXml(std::string_view bytes, std::string_view display_path);

}  // namespace gpop::sysvol

#endif  // GPOP_SERVICE_BACKENDS_SYSVOL_FORMAT_REPORT_XML_H_
