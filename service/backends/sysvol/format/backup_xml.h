// Backup.xml: the container half of a GPO and the file list of each extension, inside a GPMC
// backup (<backup>/Backup.xml).
//
// Shape (fixtures): `<?xml version="1.0" encoding="utf-8"?>`, a copyright comment, root
// <GroupPolicyBackupScheme bkp:version="2.0" bkp:type="GroupPolicyBackupTemplate"
// xmlns:bkp="...GPOOperations" xmlns="...GPOOperations"> holding <GroupPolicyObject> with, in
// order: SecurityGroups (Group*: Sid, SamAccountName, Type, NetBIOSDomainName, DnsDomainName,
// UPN, optional bkp:Source="FromDACL"), FilePaths, GroupPolicyCoreSettings (ID, Domain,
// SecurityDescriptor as space-separated hex bytes, DisplayName, Options, UserVersionNumber,
// MachineVersionNumber, MachineExtensionGuids, UserExtensionGuids, WMIFilter), then one
// GroupPolicyExtension (bkp:ID, bkp:DescName) per extension listing FSObjectFile / FSObjectDir
// (bkp:Path, bkp:SourceExpandedPath, optional bkp:ReEvaluateFunction, optional bkp:Location).
// Values are CDATA; empty values are empty elements (<Sid/>).

#ifndef GPOP_SERVICE_BACKENDS_SYSVOL_FORMAT_BACKUP_XML_H_
#define GPOP_SERVICE_BACKENDS_SYSVOL_FORMAT_BACKUP_XML_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "service/core/error.h"

namespace gpop::sysvol {

// kBackupNamespace
//
// The namespace of Backup.xml (bound both as default and as "bkp").
inline constexpr char kBackupNamespace[] = "http://www.microsoft.com/GroupPolicy/GPOOperations";

// Well-known client-side extension GUIDs (gpo-formats.md).
inline constexpr char kRegistryExtensionGuid[] = "{35378EAC-683F-11D2-A89A-00C04FBBCFA2}";
inline constexpr char kSecurityExtensionGuid[] = "{827D319E-6EAC-11D2-A4EA-00C04F79F83A}";
inline constexpr char kScriptsExtensionGuid[] = "{42B5FAAE-6536-11D2-AE5A-0000F87571E3}";
inline constexpr char kAdvancedAuditExtensionGuid[] = "{F3CCC681-B74C-4060-9F26-CD84525DCA2A}";
inline constexpr char kUnknownExtensionGuid[] = "{F15C46CD-82A0-4C2D-A210-5D0D3182A418}";

// SecurityGroup
//
// A principal that the GPO's DACL or settings name. `source` is the bkp:Source attribute
// ("FromDACL") or empty when absent.
struct SecurityGroup {
  std::string sid;
  std::string sam_account_name;
  std::string type;  // "Unknown", "UniversalGroup", "GlobalGroup", "User", ...
  std::string netbios_domain_name;
  std::string dns_domain_name;
  std::string upn;
  std::string source;

  bool operator==(const SecurityGroup& o) const;
};

// GpoCoreSettings
//
// GroupPolicyCoreSettings. `security_descriptor` holds the raw self-relative descriptor bytes
// (the file writes them as lower-case hex pairs separated by spaces). The two version numbers are
// the 32-bit values as stored. Extension GUID lists are the "[{CSE}{tool}]..." strings.
struct GpoCoreSettings {
  std::string id;
  std::string domain;
  std::string security_descriptor;
  std::string display_name;
  uint32_t options = 0;  // GPO flags: 1 user part disabled, 2 computer part disabled
  uint32_t user_version_number = 0;
  uint32_t machine_version_number = 0;
  std::string machine_extension_guids;
  std::string user_extension_guids;
  std::string wmi_filter;

  bool operator==(const GpoCoreSettings& o) const;
};

// FsObject
//
// One FSObjectFile (is_dir false) or FSObjectDir entry. `path` uses the %GPO_MACH_FSPATH%,
// %GPO_USER_FSPATH% or %GPO_FSPATH% prefixes; `location` is the backup-relative path
// ("DomainSysvol\GPO\Machine\registry.pol"), empty when the object was not copied (a wildcard
// such as "%GPO_FSPATH%\Adm\*.*"). A wildcard object lists what it matched as `children`
// (the Scripts extension: "%GPO_MACH_FSPATH%\Scripts\Startup\*" holding each script file).
struct FsObject {
  bool is_dir = false;
  std::string path;
  std::string source_expanded_path;
  std::string re_evaluate_function;
  std::string location;
  std::vector<FsObject> children;

  bool operator==(const FsObject& o) const;
};

// BackupExtension
//
// One GroupPolicyExtension: the CSE GUID, its description and its objects in order.
struct BackupExtension {
  std::string id;
  std::string desc_name;
  std::vector<FsObject> objects;

  bool operator==(const BackupExtension& o) const {
    return id == o.id && desc_name == o.desc_name && objects == o.objects;
  }
};

// BackupXml
//
// The whole file. `file_paths` holds FilePaths' children's texts (the fixtures only have empty
// FilePaths; the writer emits one <Path> per entry).
struct BackupXml {
  std::vector<SecurityGroup> security_groups;
  std::vector<std::string> file_paths;
  GpoCoreSettings core;
  std::vector<BackupExtension> extensions;

  bool operator==(const BackupXml& o) const {
    return security_groups == o.security_groups && file_paths == o.file_paths && core == o.core &&
           extensions == o.extensions;
  }
};

// ParseBackupXml
//
// Errors (CORRUPT_FILE naming `display_path`): not XML, wrong root, no GroupPolicyObject or
// GroupPolicyCoreSettings, a SecurityDescriptor that is not hex pairs, a number that is not a
// decimal uint32.
core::Result<BackupXml> ParseBackupXml(std::string_view bytes, std::string_view display_path);

// WriteBackupXml
//
// The bytes of a Backup.xml for `backup` with the fixtures' declaration, element names,
// attribute names and order, indented by four spaces. (Windows' files also carry a Microsoft
// copyright comment after the declaration; gpop does not claim one.)
std::string WriteBackupXml(const BackupXml& backup);

// FormatHexBytes / ParseHexBytes
//
// "01 00 04 9c" <-> raw bytes. ParseHexBytes fails (CORRUPT_FILE) on anything but hex pairs
// separated by whitespace.
std::string FormatHexBytes(std::string_view bytes);
core::Result<std::string> ParseHexBytes(std::string_view text, std::string_view display_path);

}  // namespace gpop::sysvol

#endif  // GPOP_SERVICE_BACKENDS_SYSVOL_FORMAT_BACKUP_XML_H_
