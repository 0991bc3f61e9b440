// BackupInst: the record that describes one GPMC backup, stored alone in
// <backup>/bkupInfo.xml and once per backup in the backup folder's manifest.xml.
//
// Shape (from the fixtures): no XML declaration, element <BackupInst> in namespace
// http://www.microsoft.com/GroupPolicy/GPOOperations/Manifest, children in this order, each
// value in one CDATA section: GPOGuid, GPODomain, GPODomainGuid, GPODomainController,
// BackupTime (UTC, "2016-12-09T15:16:54", no zone), ID (the backup ID), Comment, GPODisplayName.

#ifndef GPOP_SERVICE_BACKENDS_SYSVOL_FORMAT_BACKUP_INST_H_
#define GPOP_SERVICE_BACKENDS_SYSVOL_FORMAT_BACKUP_INST_H_

#include <chrono>
#include <optional>
#include <pugixml.hpp>
#include <string>
#include <string_view>

#include "service/core/error.h"

namespace gpop::sysvol {

// kManifestNamespace
//
// The namespace of BackupInst and of manifest.xml.
inline constexpr char kManifestNamespace[] =
    "http://www.microsoft.com/GroupPolicy/GPOOperations/Manifest";

// BackupInst
//
// One backup record. Values are the texts as stored: GUIDs braced ("{...}", the domain GUID in
// the lower case Windows writes), BackupTime in FormatBackupTime's form.
struct BackupInst {
  std::string gpo_guid;
  std::string gpo_domain;
  std::string gpo_domain_guid;
  std::string gpo_domain_controller;
  std::string backup_time;
  std::string id;
  std::string comment;
  std::string gpo_display_name;

  bool operator==(const BackupInst& o) const;
  bool operator!=(const BackupInst& o) const { return !(*this == o); }
};

// ParseBkupInfo
//
// Reads a bkupInfo.xml (a BackupInst root element). Missing children read as empty strings;
// a root element with another name is CORRUPT_FILE.
core::Result<BackupInst> ParseBkupInfo(std::string_view bytes, std::string_view display_path);

// WriteBkupInfo
//
// The bytes of a bkupInfo.xml for `inst`, in the fixtures' exact shape (one line, no XML
// declaration, CDATA values, ending with CRLF as Windows' files do).
std::string WriteBkupInfo(const BackupInst& inst);

// ReadBackupInstElement / AppendBackupInstElement
//
// The same record as a child of another document (manifest.xml).
BackupInst ReadBackupInstElement(pugi::xml_node backup_inst);
void AppendBackupInstElement(pugi::xml_node parent, const BackupInst& inst);

// FormatBackupTime
//
// "YYYY-MM-DDTHH:MM:SS" in UTC, seconds truncated, as BackupTime holds it.
std::string FormatBackupTime(std::chrono::system_clock::time_point time);

// ParseBackupTime
//
// The inverse of FormatBackupTime (also accepts fractional seconds and a trailing 'Z', as
// gpreport.xml's ReadTime has them); nullopt when the text is not such a time.
std::optional<std::chrono::system_clock::time_point> ParseBackupTime(std::string_view text);

}  // namespace gpop::sysvol

#endif  // GPOP_SERVICE_BACKENDS_SYSVOL_FORMAT_BACKUP_INST_H_
