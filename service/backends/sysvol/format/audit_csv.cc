// audit.csv reader and writer (see audit_csv.h).

#include "service/backends/sysvol/format/audit_csv.h"

#include "service/backends/sysvol/format/format_error.h"
#include "service/backends/sysvol/format/utf16.h"

namespace gpop::sysvol {

namespace {

constexpr size_t kMaxAuditCsvBytes = 16u << 20;
constexpr size_t kFieldCount = 7;

// Reads CSV records (RFC 4180 quoting; CRLF or LF) into `records`. Returns false with the
// offset of an unterminated quote.
bool ReadRecords(std::string_view text, std::vector<std::vector<std::string>>* records,
                 bool* final_newline, size_t* bad_offset) {
  std::vector<std::string> record(1);
  bool quoted = false;
  bool in_record = false;
  size_t quote_start = 0;
  *final_newline = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    in_record = true;
    *final_newline = false;
    if (quoted) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          record.back().push_back('"');
          ++i;
        } else {
          quoted = false;
        }
      } else {
        record.back().push_back(c);
      }
    } else if (c == '"') {
      quoted = true;
      quote_start = i;
    } else if (c == ',') {
      record.emplace_back();
    } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      continue;  // the '\n' ends the record
    } else if (c == '\n') {
      records->push_back(std::move(record));
      record.assign(1, std::string());
      in_record = false;
      *final_newline = true;
    } else {
      record.back().push_back(c);
    }
  }
  if (quoted) {
    *bad_offset = quote_start;
    return false;
  }
  if (in_record) records->push_back(std::move(record));
  return true;
}

std::string Field(const std::string& s) {
  // A field that starts with a UTF-8 BOM is quoted too: unquoted at the start of the file it
  // would read back as the file's BOM.
  if (s.find_first_of(",\"\r\n") == std::string::npos && s.rfind(kUtf8Bom, 0) != 0) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

}  // namespace

bool AuditCsvRow::operator==(const AuditCsvRow& o) const {
  return machine_name == o.machine_name && policy_target == o.policy_target &&
         subcategory == o.subcategory && subcategory_guid == o.subcategory_guid &&
         inclusion_setting == o.inclusion_setting && exclusion_setting == o.exclusion_setting &&
         setting_value == o.setting_value;
}

AuditCsv MakeAuditCsv(std::vector<AuditCsvRow> rows) {
  AuditCsv csv;
  csv.header = {"Machine Name",      "Policy Target",     "Subcategory",  "Subcategory GUID",
                "Inclusion Setting", "Exclusion Setting", "Setting Value"};
  csv.rows = std::move(rows);
  return csv;
}

core::Result<AuditCsv> ParseAuditCsv(std::string_view bytes, std::string_view path) {
  if (bytes.size() > kMaxAuditCsvBytes) return CorruptFile(path, "file is larger than 16 MiB");
  AuditCsv csv;
  if (bytes.substr(0, 3) == kUtf8Bom) {
    csv.utf8_bom = true;
    bytes.remove_prefix(3);
  }
  if (size_t nul = bytes.find('\0'); nul != std::string_view::npos) {
    return CorruptFile(path, "NUL byte (audit.csv is not UTF-16)", nul);
  }
  if (!IsValidUtf8(bytes)) return CorruptFile(path, "invalid UTF-8");
  std::vector<std::vector<std::string>> records;
  size_t bad = 0;
  if (!ReadRecords(bytes, &records, &csv.final_newline, &bad)) {
    return CorruptFile(path, "unterminated quoted field", bad);
  }
  if (records.empty() || (records[0].size() == 1 && records[0][0].empty())) {
    return CorruptFile(path, "no header line");
  }
  csv.header = std::move(records[0]);
  for (size_t i = 1; i < records.size(); ++i) {
    auto& r = records[i];
    if (r.size() == 1 && r[0].empty()) continue;  // a blank line (dropped on rewrite)
    if (r.size() != kFieldCount) {
      return CorruptFile(path, "line " + std::to_string(i + 1) + " has " +
                                   std::to_string(r.size()) + " fields, not 7");
    }
    csv.rows.push_back(AuditCsvRow{r[0], r[1], r[2], r[3], r[4], r[5], r[6]});
  }
  return csv;
}

std::string WriteAuditCsv(const AuditCsv& csv) {
  std::vector<std::string> lines;
  const auto join = [](const std::vector<std::string>& fields) {
    std::string line;
    for (size_t i = 0; i < fields.size(); ++i) {
      if (i > 0) line += ",";
      line += Field(fields[i]);
    }
    return line;
  };
  lines.push_back(join(csv.header));
  for (const AuditCsvRow& r : csv.rows) {
    lines.push_back(join({r.machine_name, r.policy_target, r.subcategory, r.subcategory_guid,
                          r.inclusion_setting, r.exclusion_setting, r.setting_value}));
  }
  std::string out = csv.utf8_bom ? std::string(kUtf8Bom) : std::string();
  for (size_t i = 0; i < lines.size(); ++i) {
    out += lines[i];
    if (i + 1 < lines.size() || csv.final_newline) out += "\r\n";
  }
  return out;
}

}  // namespace gpop::sysvol
