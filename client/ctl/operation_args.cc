// gpopctl's operation subcommands (see operation_args.h).

#include "client/ctl/operation_args.h"

#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "client/ctl/global_args.h"
#include "google/protobuf/util/json_util.h"

namespace gpop::ctl {
namespace {

constexpr char kKinds[][8] = {"backup", "restore", "import", "copy", "report"};

bool IsKind(const std::string& name) {
  for (const char* kind : kKinds) {
    if (name == kind) return true;
  }
  return false;
}

// The flags of `start` (every kind's) and of each kind subcommand, besides the global and the
// operation flags.
const std::map<std::string, std::vector<FlagSpec>>& KindFlags() {
  static const auto* flags = new std::map<std::string, std::vector<FlagSpec>>{
      {"start",
       {{"kind", true, false},
        {"spec", true, false},
        {"gpo", true, false},
        {"location", true, false},
        {"comment", true, false},
        {"backup-id", true, false},
        {"target", true, false},
        {"create-if-needed", true, false},
        {"migration-table", true, false},
        {"migration-table-only", false, false},
        {"new-name", true, false},
        {"copy-acl", false, false},
        {"no-safety-backup", false, false},
        {"dry-run", false, false},
        {"format", true, false},
        {"include-dacl", false, false},
        {"out", true, false}}},
      {"backup", {{"gpo", true, false}, {"location", true, false}, {"comment", true, false}}},
      {"restore",
       {{"backup-id", true, false},
        {"location", true, false},
        {"no-safety-backup", false, false},
        {"dry-run", false, false},
        {"out", true, false}}},
      {"import",
       {{"backup-id", true, false},
        {"location", true, false},
        {"target", true, false},
        {"create-if-needed", true, false},
        {"migration-table", true, false},
        {"migration-table-only", false, false},
        {"no-safety-backup", false, false},
        {"dry-run", false, false},
        {"out", true, false}}},
      {"copy",
       {{"gpo", true, false},
        {"new-name", true, false},
        {"migration-table", true, false},
        {"migration-table-only", false, false},
        {"copy-acl", false, false},
        {"dry-run", false, false},
        {"out", true, false}}},
      {"report",
       {{"gpo", true, false},
        {"backup-id", true, false},
        {"location", true, false},
        {"format", true, false},
        {"include-dacl", false, false},
        {"out", true, false}}},
  };
  return *flags;
}

v1::BackupRef BackupRefOf(const RawArgs& raw) {
  v1::BackupRef ref;
  ref.set_location(raw.Get("location"));
  ref.set_backup_id(raw.Get("backup-id"));
  return ref;
}

// Builds the spec of one kind from its flags.
absl::Status BuildSpec(const std::string& kind, const RawArgs& raw, v1::OperationSpec* spec) {
  if (kind == "backup") {
    if (absl::Status s = RequireFlag(raw, "gpo"); !s.ok()) return s;
    v1::BackupSpec* backup = spec->mutable_backup();
    *backup->mutable_gpo() = ParseGpoRef(raw.Get("gpo"));
    backup->set_location(raw.Get("location"));
    backup->set_comment(raw.Get("comment"));
    return absl::OkStatus();
  }
  if (kind == "restore") {
    if (absl::Status s = RequireFlag(raw, "backup-id"); !s.ok()) return s;
    *spec->mutable_restore()->mutable_backup() = BackupRefOf(raw);
    spec->mutable_restore()->set_skip_safety_backup(raw.Has("no-safety-backup"));
    spec->mutable_restore()->set_dry_run(raw.Has("dry-run"));
    return absl::OkStatus();
  }
  if (kind == "import") {
    if (absl::Status s = RequireFlag(raw, "backup-id"); !s.ok()) return s;
    if (absl::Status s = ExactlyOne(raw, "target", "create-if-needed"); !s.ok()) return s;
    v1::ImportSpec* import = spec->mutable_import();
    *import->mutable_backup() = BackupRefOf(raw);
    if (raw.Has("target")) {
      *import->mutable_target_gpo() = ParseGpoRef(raw.Get("target"));
    } else {
      import->set_create_if_needed_name(raw.Get("create-if-needed"));
    }
    import->set_migration_table(raw.Get("migration-table"));
    import->set_migration_table_only(raw.Has("migration-table-only"));
    import->set_skip_safety_backup(raw.Has("no-safety-backup"));
    import->set_dry_run(raw.Has("dry-run"));
    return absl::OkStatus();
  }
  if (kind == "copy") {
    if (absl::Status s = RequireFlag(raw, "gpo"); !s.ok()) return s;
    if (absl::Status s = RequireFlag(raw, "new-name"); !s.ok()) return s;
    v1::CopySpec* copy = spec->mutable_copy();
    *copy->mutable_source_gpo() = ParseGpoRef(raw.Get("gpo"));
    copy->set_new_display_name(raw.Get("new-name"));
    copy->set_migration_table(raw.Get("migration-table"));
    copy->set_migration_table_only(raw.Has("migration-table-only"));
    copy->set_copy_acl(raw.Has("copy-acl"));
    copy->set_dry_run(raw.Has("dry-run"));
    return absl::OkStatus();
  }
  if (kind == "report") {
    if (absl::Status s = ExactlyOne(raw, "gpo", "backup-id"); !s.ok()) return s;
    if (absl::Status s = RequireFlag(raw, "format"); !s.ok()) return s;
    v1::ReportSpec* report = spec->mutable_report();
    if (raw.Has("gpo")) {
      if (raw.Has("location")) return Usage("report: --location goes with --backup-id");
      *report->mutable_gpo() = ParseGpoRef(raw.Get("gpo"));
    } else {
      *report->mutable_backup() = BackupRefOf(raw);
    }
    std::string format = raw.Get("format");
    if (format == "xml" || format == "XML") {
      report->set_format(v1::XML);
    } else if (format == "html" || format == "HTML") {
      report->set_format(v1::HTML);
    } else if (format == "migtable" || format == "MIGRATION_TABLE") {
      report->set_format(v1::MIGRATION_TABLE);
    } else {
      return Usage(absl::StrCat("--format: expected xml, html or migtable, got '", format, "'"));
    }
    if (raw.Has("include-dacl")) {
      if (report->format() != v1::MIGRATION_TABLE) {
        return Usage("report: --include-dacl goes with --format migtable");
      }
      report->set_include_dacl_principals(true);
    }
    return absl::OkStatus();
  }
  return Usage(
      absl::StrCat("unknown kind '", kind, "' (expected backup, restore, import, copy or report)"));
}

// Flags that make sense for one kind only, rejected on the others (for `start --kind`).
absl::Status CheckKindFlags(const std::string& kind, const RawArgs& raw) {
  auto it = KindFlags().find(kind);
  for (const auto& [name, values] : raw.flags) {
    bool known = FindGlobalFlag(name) != nullptr || name == "kind" || name == "spec";
    for (const FlagSpec& spec : OperationFlags()) known = known || name == spec.name;
    for (const FlagSpec& spec : it->second) known = known || name == spec.name;
    if (!known) return Usage(absl::StrCat("--", name, " does not apply to kind ", kind));
  }
  return absl::OkStatus();
}

}  // namespace

const std::vector<FlagSpec>& OperationFlags() {
  static const auto* flags = new std::vector<FlagSpec>{
      {"label", true, true},  {"request-id", true, false},   {"timeout", true, false},
      {"wait", false, false}, {"wait-timeout", true, false}, {"cancel-on-interrupt", false, false},
  };
  return *flags;
}

absl::Status ParseOperation(const RawArgs& raw, Command* command) {
  v1::StartOperationRequest& request = command->start;
  std::string kind = command->name;
  if (kind == "start") {
    if (raw.Has("spec") == raw.Has("kind")) {
      return Usage(
          "'start' needs exactly one of --kind KIND (with that kind's flags) and "
          "--spec JSON");
    }
    if (raw.Has("spec")) {
      for (const auto& [name, values] : raw.flags) {
        if (FindGlobalFlag(name) == nullptr && name != "spec" && name != "out") {
          bool start_flag = false;
          for (const FlagSpec& spec : OperationFlags())
            start_flag = start_flag || name == spec.name;
          if (!start_flag) return Usage(absl::StrCat("--", name, " does not go with --spec"));
        }
      }
      google::protobuf::util::Status parsed =
          google::protobuf::util::JsonStringToMessage(raw.Get("spec"), request.mutable_spec());
      if (!parsed.ok()) {
        return Usage(absl::StrCat("--spec: not a gpop.v1.OperationSpec in JSON: ",
                                  parsed.message().as_string()));
      }
      if (request.spec().kind_case() == v1::OperationSpec::KIND_NOT_SET) {
        return Usage("--spec: no kind set (backup, restore, import, copy or report)");
      }
    } else {
      kind = raw.Get("kind");
      if (!IsKind(kind)) {
        return Usage(
            absl::StrCat("--kind: expected backup, restore, import, copy or report, "
                         "got '",
                         kind, "'"));
      }
      if (absl::Status s = CheckKindFlags(kind, raw); !s.ok()) return s;
    }
  }
  if (!request.has_spec()) {
    if (absl::Status s = BuildSpec(kind, raw, request.mutable_spec()); !s.ok()) return s;
  }

  request.set_request_id(raw.Get("request-id"));
  if (raw.Has("timeout")) {
    absl::StatusOr<absl::Duration> timeout = ParsePositiveDuration("timeout", raw.Get("timeout"));
    if (!timeout.ok()) return timeout.status();
    int64_t nanos = absl::ToInt64Nanoseconds(*timeout);
    request.mutable_timeout()->set_seconds(nanos / 1000000000);
    request.mutable_timeout()->set_nanos(static_cast<int32_t>(nanos % 1000000000));
  }
  auto labels = raw.flags.find("label");
  if (labels != raw.flags.end()) {
    for (const std::string& label : labels->second) {
      size_t eq = label.find('=');
      if (eq == std::string::npos || eq == 0) {
        return Usage(absl::StrCat("--label: expected KEY=VALUE, got '", label, "'"));
      }
      std::string key = label.substr(0, eq);
      if (!request.mutable_labels()->insert({key, label.substr(eq + 1)}).second) {
        return Usage(absl::StrCat("--label: key '", key, "' given twice"));
      }
    }
  }

  command->wait.wait = raw.Has("wait");
  command->wait.cancel_on_interrupt = raw.Has("cancel-on-interrupt");
  if (raw.Has("wait-timeout")) {
    absl::StatusOr<absl::Duration> timeout =
        ParsePositiveDuration("wait-timeout", raw.Get("wait-timeout"));
    if (!timeout.ok()) return timeout.status();
    command->wait.wait_timeout = *timeout;
  }
  if (raw.Has("out")) {
    v1::OperationSpec* spec = request.mutable_spec();
    const bool dry_run = (spec->has_restore() && spec->restore().dry_run()) ||
                         (spec->has_import() && spec->import().dry_run()) ||
                         (spec->has_copy() && spec->copy().dry_run());
    if (spec->kind_case() != v1::OperationSpec::kReport && !dry_run) {
      return Usage("--out applies to report operations and dry runs only");
    }
    // A dry run's --out is its HTML page: the prediction headed by every change.
    if (spec->has_restore()) spec->mutable_restore()->set_dry_run_report(true);
    if (spec->has_import()) spec->mutable_import()->set_dry_run_report(true);
    if (spec->has_copy()) spec->mutable_copy()->set_dry_run_report(true);
    if (raw.Get("out").empty()) return Usage("--out: empty file name");
    command->out_file = raw.Get("out");
    command->wait.wait = true;  // the content exists only once the report is done
  }
  if (!command->wait.wait && (command->wait.wait_timeout || command->wait.cancel_on_interrupt)) {
    return Usage("--wait-timeout and --cancel-on-interrupt need --wait");
  }
  return absl::OkStatus();
}

std::vector<SubcommandArgs> OperationSubcommands() {
  std::vector<SubcommandArgs> subcommands;
  for (const auto& [name, flags] : KindFlags()) {
    subcommands.push_back({name, flags, /*operation_flags=*/true, /*positional=*/false,
                           [](const RawArgs& raw, Command* command) {
                             command->verb = Verb::kStart;
                             return ParseOperation(raw, command);
                           }});
  }
  return subcommands;
}

}  // namespace gpop::ctl
