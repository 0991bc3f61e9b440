#include "service/core/backend.h"

#include <algorithm>
#include <cctype>

#include "service/core/guid.h"

namespace gpop::core {
namespace {

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// A display name, location or table name: printable, bounded, no path separators.
Status ValidateName(const std::string& field, const std::string& value, bool required) {
  if (value.empty()) {
    return required ? Status(InvalidField(field, "is required")) : Status();
  }
  if (value.size() > 255) return InvalidField(field, "is longer than 255 bytes");
  for (unsigned char c : value) {
    if (c < 0x20 || c == 0x7F) return InvalidField(field, "contains a control character");
  }
  return Status();
}

Status ValidateSimpleName(const std::string& field, const std::string& value) {
  Status s = ValidateName(field, value, false);
  if (!s.ok()) return s;
  if (value == "." || value == ".." || value.find_first_of("/\\:") != std::string::npos) {
    return InvalidField(field, "must be a plain name, not a path");
  }
  return Status();
}

Status ValidateGpo(const std::string& field, const GpoRef& gpo) {
  if (gpo.guid.empty() == gpo.display_name.empty()) {
    return InvalidField(field, "exactly one of guid or display_name is required");
  }
  if (!gpo.guid.empty() && !NormalizeGuid(gpo.guid)) {
    return InvalidField(field + ".guid", "is not a GUID");
  }
  return ValidateName(field + ".display_name", gpo.display_name, false);
}

Status ValidateBackup(const std::string& field, const BackupRef& backup) {
  if (backup.backup_id.empty()) return InvalidField(field + ".backup_id", "is required");
  if (!NormalizeGuid(backup.backup_id)) {
    return InvalidField(field + ".backup_id", "is not a GUID");
  }
  return ValidateSimpleName(field + ".location", backup.location);
}

std::string GpoResource(const GpoRef& gpo) {
  if (!gpo.guid.empty()) return "gpo:" + NormalizeGuid(gpo.guid).value_or(gpo.guid);
  return "gpo-name:" + Lower(gpo.display_name);
}

std::string LocationResource(const std::string& location) {
  return "backup-location:" + Lower(location);
}

}  // namespace

Status ValidateSpec(const OperationSpec& spec) {
  struct Visitor {
    Status operator()(const BackupSpec& s) const {
      if (Status st = ValidateGpo("backup.gpo", s.gpo); !st.ok()) return st;
      if (Status st = ValidateSimpleName("backup.location", s.location); !st.ok()) return st;
      // Count UTF-16 code units, as GPMC does: a 4-byte UTF-8 sequence is a surrogate pair.
      size_t units = 0;
      for (unsigned char c : s.comment) {
        if ((c & 0xC0) != 0x80) units += c >= 0xF0 ? 2 : 1;
        // XML 1.0 (manifest.xml, bkupInfo.xml) cannot carry other C0 controls.
        if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F) {
          return InvalidField("backup.comment", "contains a control character");
        }
      }
      if (units > kMaxCommentChars) {
        return InvalidField("backup.comment", "is longer than 2047 characters");
      }
      return Status();
    }
    Status operator()(const RestoreSpec& s) const {
      if (s.dry_run_report && !s.dry_run) {
        return InvalidField("restore.dry_run_report", "needs dry_run");
      }
      return ValidateBackup("restore.backup", s.backup);
    }
    Status operator()(const ImportSpec& s) const {
      if (s.dry_run_report && !s.dry_run) {
        return InvalidField("import.dry_run_report", "needs dry_run");
      }
      if (Status st = ValidateBackup("import.backup", s.backup); !st.ok()) return st;
      if (s.create_if_needed) {
        if (s.target.display_name.empty() || !s.target.guid.empty()) {
          return InvalidField("import.create_if_needed_name",
                              "create-if-needed takes a display name, not a GUID");
        }
      }
      if (Status st = ValidateGpo("import.target", s.target); !st.ok()) return st;
      if (s.migration_table_only && s.migration_table.empty()) {
        return InvalidField("import.migration_table", "is required with migration_table_only");
      }
      return ValidateSimpleName("import.migration_table", s.migration_table);
    }
    Status operator()(const CopySpec& s) const {
      if (s.dry_run_report && !s.dry_run)
        return InvalidField("copy.dry_run_report", "needs dry_run");
      if (Status st = ValidateGpo("copy.source", s.source); !st.ok()) return st;
      if (Status st = ValidateName("copy.new_display_name", s.new_display_name, true); !st.ok()) {
        return st;
      }
      if (s.migration_table_only && s.migration_table.empty()) {
        return InvalidField("copy.migration_table", "is required with migration_table_only");
      }
      return ValidateSimpleName("copy.migration_table", s.migration_table);
    }
    Status operator()(const ReportSpec& s) const {
      if (s.format != ReportFormat::kXml && s.format != ReportFormat::kHtml &&
          s.format != ReportFormat::kMigrationTable) {
        return InvalidField("report.format", "must be XML, HTML or MIGRATION_TABLE");
      }
      if (s.include_dacl_principals && s.format != ReportFormat::kMigrationTable) {
        return InvalidField("report.include_dacl_principals", "needs format MIGRATION_TABLE");
      }
      if (const auto* gpo = std::get_if<GpoRef>(&s.subject)) return ValidateGpo("report.gpo", *gpo);
      return ValidateBackup("report.backup", std::get<BackupRef>(s.subject));
    }
    Status operator()(const ImportSetSpec& s) const {
      if (s.backup_ids.empty()) return InvalidField("import_set.backup_ids", "is required");
      if (s.backup_ids.size() > kMaxImportSetBackups) {
        return InvalidField("import_set.backup_ids", "names more than 1000 backups");
      }
      std::vector<std::string> seen;
      for (size_t i = 0; i < s.backup_ids.size(); ++i) {
        const std::string field = "import_set.backup_ids[" + std::to_string(i) + "]";
        std::optional<std::string> id = NormalizeGuid(s.backup_ids[i]);
        if (!id) return InvalidField(field, "is not a GUID");
        if (std::find(seen.begin(), seen.end(), *id) != seen.end()) {
          return InvalidField(field, "is repeated");
        }
        seen.push_back(*id);
      }
      if (Status st = ValidateSimpleName("import_set.location", s.location); !st.ok()) return st;
      if (s.migration_table_only && s.migration_table.empty()) {
        return InvalidField("import_set.migration_table", "is required with migration_table_only");
      }
      return ValidateSimpleName("import_set.migration_table", s.migration_table);
    }
  };
  return std::visit(Visitor{}, spec);
}

std::vector<ResourceClaim> DefaultClaims(const OperationSpec& spec) {
  using A = ResourceClaim::Access;
  struct Visitor {
    std::vector<ResourceClaim> operator()(const BackupSpec& s) const {
      return {{GpoResource(s.gpo), A::kRead}, {LocationResource(s.location), A::kWrite}};
    }
    std::vector<ResourceClaim> operator()(const RestoreSpec& s) const {
      // The GPO restored is only known once the backup is read: lock the whole location's
      // restore target set by the backup id.
      return {{LocationResource(s.backup.location), A::kRead},
              {"backup-restore:" + NormalizeGuid(s.backup.backup_id).value_or(""), A::kWrite}};
    }
    std::vector<ResourceClaim> operator()(const ImportSpec& s) const {
      return {{LocationResource(s.backup.location), A::kRead}, {GpoResource(s.target), A::kWrite}};
    }
    std::vector<ResourceClaim> operator()(const CopySpec& s) const {
      return {{GpoResource(s.source), A::kRead},
              {"gpo-name:" + Lower(s.new_display_name), A::kWrite}};
    }
    std::vector<ResourceClaim> operator()(const ReportSpec& s) const {
      if (const auto* gpo = std::get_if<GpoRef>(&s.subject)) return {{GpoResource(*gpo), A::kRead}};
      return {{LocationResource(std::get<BackupRef>(s.subject).location), A::kRead}};
    }
    std::vector<ResourceClaim> operator()(const ImportSetSpec& s) const {
      // As a restore's: the GPOs written are only known once the backups are read.
      std::vector<ResourceClaim> claims = {{LocationResource(s.location), A::kRead}};
      for (const std::string& id : s.backup_ids) {
        claims.push_back({"backup-restore:" + NormalizeGuid(id).value_or(""), A::kWrite});
      }
      return claims;
    }
  };
  return std::visit(Visitor{}, spec);
}

Status Backend::Validate(const OperationSpec&) const { return Status(); }

std::vector<ResourceClaim> Backend::Claims(const OperationSpec& spec) const {
  return DefaultClaims(spec);
}

std::optional<Outcome> Backend::Recover(const std::string&) { return std::nullopt; }

Result<std::vector<GpoInfo>> Backend::ListGpos() const {
  return MakeError(Code::kUnimplemented, reason::kUnsupported,
                   "the " + name() + " backend does not list GPOs");
}

Result<std::vector<BackupInfo>> Backend::ListBackups(const BackupQuery&) const {
  return MakeError(Code::kUnimplemented, reason::kUnsupported,
                   "the " + name() + " backend does not list backups");
}

}  // namespace gpop::core
