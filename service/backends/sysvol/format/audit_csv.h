// audit.csv: Advanced Audit Policy Configuration (Machine/Microsoft/Windows NT/Audit/audit.csv).
// Plain CSV, CRLF, no BOM in the fixtures (a UTF-8 BOM is accepted and kept), header line
// "Machine Name,Policy Target,Subcategory,Subcategory GUID,Inclusion Setting,Exclusion Setting,
// Setting Value", one row per subcategory or global option ("Option:CrashOnAuditFail", ...).

#ifndef GPOP_SERVICE_BACKENDS_SYSVOL_FORMAT_AUDIT_CSV_H_
#define GPOP_SERVICE_BACKENDS_SYSVOL_FORMAT_AUDIT_CSV_H_

#include <string>
#include <string_view>
#include <vector>

#include "service/core/error.h"

namespace gpop::sysvol {

// AuditCsvRow
//
// One row. `setting_value`: 0 no auditing, 1 success, 2 failure, 3 both (for subcategories).
struct AuditCsvRow {
  std::string machine_name;
  std::string policy_target;      // "System", or "File System" / "Registry" for global SACLs
  std::string subcategory;        // "Audit Logon"
  std::string subcategory_guid;   // "{0cce9215-69ae-11d9-bed3-505054503030}"
  std::string inclusion_setting;  // "Success and Failure"
  std::string exclusion_setting;
  std::string setting_value;  // "3"

  bool operator==(const AuditCsvRow& o) const;
};

// AuditCsv
//
// The header fields as read (the standard header when made by MakeAuditCsv), the rows, and
// how the file was laid out so a rewrite gives back the same bytes.
struct AuditCsv {
  std::vector<std::string> header;
  std::vector<AuditCsvRow> rows;
  bool utf8_bom = false;
  bool final_newline = true;

  bool operator==(const AuditCsv& o) const {
    return header == o.header && rows == o.rows && utf8_bom == o.utf8_bom &&
           final_newline == o.final_newline;
  }
};

// MakeAuditCsv
//
// An AuditCsv with the standard header and `rows`.
AuditCsv MakeAuditCsv(std::vector<AuditCsvRow> rows);

// ParseAuditCsv
//
// Errors (CORRUPT_FILE naming `display_path` and the line): a row with another field count
// than 7, an unterminated quoted field, NUL bytes, invalid UTF-8, a file over 16 MiB.
core::Result<AuditCsv> ParseAuditCsv(std::string_view bytes, std::string_view display_path);

// WriteAuditCsv
//
// CRLF lines; fields that hold ',', '"' or line breaks are quoted (quotes doubled).
std::string WriteAuditCsv(const AuditCsv& csv);

}  // namespace gpop::sysvol

#endif  // GPOP_SERVICE_BACKENDS_SYSVOL_FORMAT_AUDIT_CSV_H_
