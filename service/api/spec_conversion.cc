// gpop.v1.OperationSpec <-> core::OperationSpec (see spec_conversion.h).

#include "service/api/spec_conversion.h"

#include <optional>
#include <utility>

#include "absl/strings/match.h"
#include "service/engine/status_convert.h"

namespace gpop::api {
namespace {

absl::Status Invalid(const std::string& field, const std::string& problem) {
  return engine::ToStatus(core::InvalidField(field, problem));
}

core::BackupRef BackupRefFromProto(const v1::BackupRef& backup) {
  return core::BackupRef{backup.location(), backup.backup_id()};
}

// The proto path of a field that core::ValidateSpec names by the core struct's members.
std::string ProtoSpecPath(const std::string& core_field, const core::OperationSpec& spec) {
  auto rename = [&](const std::string& from, const std::string& to) -> std::optional<std::string> {
    if (core_field == from) return to;
    if (absl::StartsWith(core_field, from + ".")) return to + core_field.substr(from.size());
    return std::nullopt;
  };
  if (auto path = rename("copy.source", "copy.source_gpo")) return *path;
  if (const auto* import = std::get_if<core::ImportSpec>(&spec)) {
    if (import->create_if_needed && absl::StartsWith(core_field, "import.target")) {
      return "import.create_if_needed_name";
    }
    if (core_field != "import.target") {
      if (auto path = rename("import.target", "import.target_gpo")) return *path;
    }
  }
  return core_field;
}

// Rewrites a validator's INVALID_FIELD error so that it names the proto path under `prefix`.
// The proto path (under `prefix`) of the backup location `spec` names, if it names one.
std::optional<std::string> LocationField(const std::string& prefix,
                                         const core::OperationSpec& spec) {
  if (std::holds_alternative<core::BackupSpec>(spec)) return prefix + ".backup.location";
  if (std::holds_alternative<core::RestoreSpec>(spec)) return prefix + ".restore.backup.location";
  if (std::holds_alternative<core::ImportSpec>(spec)) return prefix + ".import.backup.location";
  if (const auto* report = std::get_if<core::ReportSpec>(&spec);
      report != nullptr && std::holds_alternative<core::BackupRef>(report->subject)) {
    return prefix + ".report.backup.location";
  }
  return std::nullopt;
}

absl::Status RenameField(const core::Error& error, const std::string& prefix,
                         const core::OperationSpec& spec) {
  // A backend that knows no such location cannot name the request field; the spec can.
  if (error.reason == core::reason::kLocationNotFound && error.metadata.count("field") == 0) {
    core::Error named = error;
    if (std::optional<std::string> field = LocationField(prefix, spec)) {
      named.metadata["field"] = *field;
    }
    return engine::ToStatus(named);
  }
  auto it = error.metadata.find("field");
  if (error.code != core::Code::kInvalidArgument || it == error.metadata.end()) {
    return engine::ToStatus(error);
  }
  const std::string& core_field = it->second;
  std::string problem = error.message;
  if (absl::StartsWith(problem, core_field + ": ")) problem = problem.substr(core_field.size() + 2);
  core::Error renamed = error;
  std::string field = prefix + "." + ProtoSpecPath(core_field, spec);
  renamed.metadata["field"] = field;
  renamed.message = field + ": " + problem;
  return engine::ToStatus(renamed);
}

absl::StatusOr<core::OperationSpec> StructuralSpecFromProto(const v1::OperationSpec& spec,
                                                            const std::string& prefix) {
  switch (spec.kind_case()) {
    case v1::OperationSpec::kBackup: {
      const v1::BackupSpec& s = spec.backup();
      return core::OperationSpec(
          core::BackupSpec{GpoFromProto(s.gpo()), s.location(), s.comment()});
    }
    case v1::OperationSpec::kRestore:
      return core::OperationSpec(core::RestoreSpec{
          BackupRefFromProto(spec.restore().backup()), !spec.restore().skip_safety_backup(),
          spec.restore().dry_run(), spec.restore().dry_run_report()});
    case v1::OperationSpec::kImport: {
      const v1::ImportSpec& s = spec.import();
      core::ImportSpec out;
      out.backup = BackupRefFromProto(s.backup());
      switch (s.target_case()) {
        case v1::ImportSpec::kTargetGpo:
          out.target = GpoFromProto(s.target_gpo());
          break;
        case v1::ImportSpec::kCreateIfNeededName:
          out.target.display_name = s.create_if_needed_name();
          out.create_if_needed = true;
          if (s.create_if_needed_name().empty()) {
            return Invalid(prefix + ".import.create_if_needed_name", "must not be empty");
          }
          break;
        case v1::ImportSpec::TARGET_NOT_SET:
          return Invalid(prefix + ".import.target",
                         "exactly one of target_gpo or create_if_needed_name is required");
      }
      out.migration_table = s.migration_table();
      out.migration_table_only = s.migration_table_only();
      out.safety_backup = !s.skip_safety_backup();
      out.dry_run = s.dry_run();
      out.dry_run_report = s.dry_run_report();
      return core::OperationSpec(std::move(out));
    }
    case v1::OperationSpec::kCopy: {
      const v1::CopySpec& s = spec.copy();
      core::CopySpec out;
      out.source = GpoFromProto(s.source_gpo());
      out.new_display_name = s.new_display_name();
      out.migration_table = s.migration_table();
      out.migration_table_only = s.migration_table_only();
      out.copy_acl = s.copy_acl();
      out.dry_run = s.dry_run();
      out.dry_run_report = s.dry_run_report();
      return core::OperationSpec(std::move(out));
    }
    case v1::OperationSpec::kReport: {
      const v1::ReportSpec& s = spec.report();
      core::ReportSpec out;
      switch (s.subject_case()) {
        case v1::ReportSpec::kGpo:
          out.subject = GpoFromProto(s.gpo());
          break;
        case v1::ReportSpec::kBackup:
          out.subject = BackupRefFromProto(s.backup());
          break;
        case v1::ReportSpec::SUBJECT_NOT_SET:
          return Invalid(prefix + ".report.subject", "exactly one of gpo or backup is required");
      }
      // Unknown and unspecified formats pass through as is; ValidateSpec rejects them.
      out.format = static_cast<core::ReportFormat>(s.format());
      out.include_dacl_principals = s.include_dacl_principals();
      return core::OperationSpec(std::move(out));
    }
    case v1::OperationSpec::kImportSet: {
      const v1::ImportSetSpec& s = spec.import_set();
      core::ImportSetSpec out;
      out.location = s.location();
      out.backup_ids.assign(s.backup_ids().begin(), s.backup_ids().end());
      out.migration_table = s.migration_table();
      out.migration_table_only = s.migration_table_only();
      out.safety_backup = !s.skip_safety_backup();
      out.dry_run = s.dry_run();
      return core::OperationSpec(std::move(out));
    }
    case v1::OperationSpec::KIND_NOT_SET:
      break;
  }
  return Invalid(prefix,
                 "exactly one of backup, restore, import, copy, report or import_set is required");
}

void GpoRefToProto(const core::GpoRef& gpo, v1::GpoRef* out) {
  if (!gpo.guid.empty()) {
    out->set_guid(gpo.guid);
  } else {
    out->set_display_name(gpo.display_name);
  }
}

void BackupRefToProto(const core::BackupRef& backup, v1::BackupRef* out) {
  out->set_location(backup.location);
  out->set_backup_id(backup.backup_id);
}

}  // namespace

core::GpoRef GpoFromProto(const v1::GpoRef& gpo) {
  core::GpoRef out;
  if (gpo.ref_case() == v1::GpoRef::kGuid) out.guid = gpo.guid();
  if (gpo.ref_case() == v1::GpoRef::kDisplayName) out.display_name = gpo.display_name();
  return out;
}

absl::StatusOr<core::OperationSpec> SpecFromProto(const v1::OperationSpec& spec,
                                                  const std::string& field_prefix,
                                                  const core::Backend* backend) {
  absl::StatusOr<core::OperationSpec> out = StructuralSpecFromProto(spec, field_prefix);
  if (!out.ok()) return out.status();
  if (core::Status s = core::ValidateSpec(*out); !s.ok()) {
    return RenameField(s.error(), field_prefix, *out);
  }
  if (backend != nullptr) {
    if (core::Status s = backend->Validate(*out); !s.ok()) {
      return RenameField(s.error(), field_prefix, *out);
    }
  }
  return out;
}

void SpecToProto(const core::OperationSpec& spec, v1::OperationSpec* out) {
  struct Visitor {
    v1::OperationSpec* out;
    void operator()(const core::BackupSpec& s) const {
      v1::BackupSpec* b = out->mutable_backup();
      GpoRefToProto(s.gpo, b->mutable_gpo());
      b->set_location(s.location);
      b->set_comment(s.comment);
    }
    void operator()(const core::RestoreSpec& s) const {
      BackupRefToProto(s.backup, out->mutable_restore()->mutable_backup());
      out->mutable_restore()->set_skip_safety_backup(!s.safety_backup);
      out->mutable_restore()->set_dry_run(s.dry_run);
      out->mutable_restore()->set_dry_run_report(s.dry_run_report);
    }
    void operator()(const core::ImportSpec& s) const {
      v1::ImportSpec* i = out->mutable_import();
      BackupRefToProto(s.backup, i->mutable_backup());
      if (s.create_if_needed) {
        i->set_create_if_needed_name(s.target.display_name);
      } else {
        GpoRefToProto(s.target, i->mutable_target_gpo());
      }
      i->set_migration_table(s.migration_table);
      i->set_migration_table_only(s.migration_table_only);
      i->set_skip_safety_backup(!s.safety_backup);
      i->set_dry_run(s.dry_run);
      i->set_dry_run_report(s.dry_run_report);
    }
    void operator()(const core::CopySpec& s) const {
      v1::CopySpec* c = out->mutable_copy();
      GpoRefToProto(s.source, c->mutable_source_gpo());
      c->set_new_display_name(s.new_display_name);
      c->set_migration_table(s.migration_table);
      c->set_migration_table_only(s.migration_table_only);
      c->set_copy_acl(s.copy_acl);
      c->set_dry_run(s.dry_run);
      c->set_dry_run_report(s.dry_run_report);
    }
    void operator()(const core::ReportSpec& s) const {
      v1::ReportSpec* r = out->mutable_report();
      if (const auto* gpo = std::get_if<core::GpoRef>(&s.subject)) {
        GpoRefToProto(*gpo, r->mutable_gpo());
      } else {
        BackupRefToProto(std::get<core::BackupRef>(s.subject), r->mutable_backup());
      }
      r->set_format(static_cast<v1::ReportFormat>(s.format));
      r->set_include_dacl_principals(s.include_dacl_principals);
    }
    void operator()(const core::ImportSetSpec& s) const {
      v1::ImportSetSpec* i = out->mutable_import_set();
      i->set_location(s.location);
      for (const std::string& id : s.backup_ids) i->add_backup_ids(id);
      i->set_migration_table(s.migration_table);
      i->set_migration_table_only(s.migration_table_only);
      i->set_skip_safety_backup(!s.safety_backup);
      i->set_dry_run(s.dry_run);
    }
  };
  out->Clear();
  std::visit(Visitor{out}, spec);
}

}  // namespace gpop::api
