// gpopctl's command-line parser: a flag table per subcommand, then validation and request
// building per subcommand.

#include "client/ctl/args.h"

#include <map>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/ctl/exit_codes.h"
#include "client/ctl/import_set_args.h"
#include "google/protobuf/util/json_util.h"
#include "service/core/guid.h"

namespace gpop::ctl {
namespace {

// One flag a subcommand accepts.
struct FlagSpec {
  const char* name;  // without the leading dashes
  bool takes_value;
  bool repeatable;
};

constexpr FlagSpec kGlobalFlags[] = {
    {"server", true, false}, {"output", true, false},  {"token", true, false},
    {"tls", false, false},   {"ca-file", true, false}, {"call-timeout", true, false},
    {"cert", true, false},   {"key", true, false},     {"reconnect-for", true, false},
    {"help", false, false},
};

constexpr FlagSpec kStartFlags[] = {
    {"label", true, true},  {"request-id", true, false},   {"timeout", true, false},
    {"wait", false, false}, {"wait-timeout", true, false}, {"cancel-on-interrupt", false, false},
};

// The flags of each subcommand besides the global and (for kinds) the start flags.
const std::map<std::string, std::vector<FlagSpec>>& SubcommandFlags() {
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
      {"watch",
       {{"after", true, false},
        {"wait-timeout", true, false},
        {"cancel-on-interrupt", false, false}}},
      {"cancel", {}},
      {"get", {}},
      {"ls", {{"filter", true, false}, {"page-size", true, false}, {"all", false, false}}},
      {"gpos", {}},
      {"backups", {{"location", true, false}, {"gpo", true, false}}},
      {"events", {{"filter", true, false}, {"after-revision", true, false}}},
      {"audit",
       {{"principal", true, false},
        {"operation", true, false},
        {"action", true, false},
        {"since", true, false},
        {"until", true, false},
        {"page-size", true, false},
        {"all", false, false}}},
      {"import-set",
       {{"backup-id", true, true},
        {"upload", true, false},
        {"all", false, false},
        {"location", true, false},
        {"migration-table", true, false},
        {"migration-table-only", false, false},
        {"no-safety-backup", false, false},
        {"dry-run", false, false}}},
      {"upload", {{"location", true, false}}},
      {"download-backup", {{"location", true, false}, {"out", true, false}, {"set", false, false}}},
      {"version", {}},
      {"help", {}},
  };
  return *flags;
}

bool IsKind(const std::string& name) {
  return name == "backup" || name == "restore" || name == "import" || name == "copy" ||
         name == "report";
}

absl::Status Usage(const std::string& message) { return absl::InvalidArgumentError(message); }

// The flags and positional arguments of one command line.
struct RawArgs {
  std::string subcommand;
  std::map<std::string, std::vector<std::string>> flags;  // bool flags: {""}
  std::vector<std::string> positional;

  bool Has(const std::string& name) const { return flags.count(name) > 0; }
  std::string Get(const std::string& name) const {
    auto it = flags.find(name);
    return it == flags.end() ? std::string() : it->second.back();
  }
};

const FlagSpec* FindFlag(const std::string& subcommand, const std::string& name) {
  for (const FlagSpec& spec : kGlobalFlags) {
    if (name == spec.name) return &spec;
  }
  if (subcommand == "start" || IsKind(subcommand) || subcommand == "import-set") {
    for (const FlagSpec& spec : kStartFlags) {
      if (name == spec.name) return &spec;
    }
  }
  auto it = SubcommandFlags().find(subcommand);
  if (it == SubcommandFlags().end()) return nullptr;
  for (const FlagSpec& spec : it->second) {
    if (name == spec.name) return &spec;
  }
  return nullptr;
}

// Splits the command line: the first positional argument is the subcommand; flags may come
// before or after it (global flags before it, since the subcommand is not known yet).
absl::StatusOr<RawArgs> Tokenize(const std::vector<std::string>& args) {
  RawArgs raw;
  bool flags_done = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (flags_done || arg.size() < 2 || arg[0] != '-') {
      if (raw.subcommand.empty()) {
        raw.subcommand = arg;
      } else {
        raw.positional.push_back(arg);
      }
      continue;
    }
    if (arg == "--") {
      flags_done = true;
      continue;
    }
    std::string name;
    std::optional<std::string> value;
    if (arg == "-o") {
      name = "output";
    } else if (arg == "-h") {
      name = "help";
    } else if (arg.rfind("--", 0) == 0) {
      name = arg.substr(2);
      size_t eq = name.find('=');
      if (eq != std::string::npos) {
        value = name.substr(eq + 1);
        name = name.substr(0, eq);
      }
    } else {
      return Usage(absl::StrCat("unknown flag ", arg));
    }
    const FlagSpec* spec = FindFlag(raw.subcommand, name);
    if (spec == nullptr) {
      if (raw.subcommand.empty()) return Usage(absl::StrCat("unknown global flag --", name));
      return Usage(absl::StrCat("unknown flag --", name, " for '", raw.subcommand, "'"));
    }
    if (spec->takes_value) {
      if (!value.has_value()) {
        if (i + 1 >= args.size()) return Usage(absl::StrCat("--", name, " needs a value"));
        value = args[++i];
      }
    } else if (value.has_value()) {
      return Usage(absl::StrCat("--", name, " takes no value"));
    } else {
      value = "";
    }
    std::vector<std::string>& values = raw.flags[name];
    if (!values.empty() && !spec->repeatable) {
      return Usage(absl::StrCat("--", name, " given twice"));
    }
    values.push_back(*value);
  }
  return raw;
}

// --since / --until: an RFC 3339 time ("2026-12-02T10:00:00Z").
absl::Status ParseAuditTime(const RawArgs& raw, const std::string& flag,
                            google::protobuf::Timestamp* out) {
  absl::Time time;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, raw.Get(flag), &time, &error)) {
    return Usage(absl::StrCat("--", flag, ": expected an RFC 3339 time such as ",
                              "2026-12-02T10:00:00Z, got '", raw.Get(flag), "'"));
  }
  const int64_t nanos = absl::ToUnixNanos(time);
  out->set_seconds(nanos / 1000000000 - (nanos % 1000000000 < 0 ? 1 : 0));
  out->set_nanos(static_cast<int32_t>(((nanos % 1000000000) + 1000000000) % 1000000000));
  return absl::OkStatus();
}

absl::Status ParseAudit(const RawArgs& raw, Command* command) {
  v1::ListAuditEntriesRequest& audit = command->audit;
  audit.set_principal(raw.Get("principal"));
  audit.set_operation_id(raw.Get("operation"));
  if (raw.Has("action")) {
    v1::AuditAction action;
    if (!v1::AuditAction_Parse(
            absl::StrCat("AUDIT_ACTION_", absl::AsciiStrToUpper(raw.Get("action"))), &action) ||
        action == v1::AUDIT_ACTION_UNSPECIFIED) {
      return Usage(absl::StrCat("--action: expected start, cancel, delete or finish, got '",
                                raw.Get("action"), "'"));
    }
    audit.set_action(action);
  }
  if (raw.Has("since")) {
    if (absl::Status s = ParseAuditTime(raw, "since", audit.mutable_start_time()); !s.ok()) {
      return s;
    }
  }
  if (raw.Has("until")) {
    if (absl::Status s = ParseAuditTime(raw, "until", audit.mutable_end_time()); !s.ok()) {
      return s;
    }
  }
  if (raw.Has("page-size")) {
    int32_t page_size = 0;
    if (!absl::SimpleAtoi(raw.Get("page-size"), &page_size) || page_size <= 0 || page_size > 1000) {
      return Usage(absl::StrCat("--page-size: expected 1..1000, got '", raw.Get("page-size"), "'"));
    }
    audit.set_page_size(page_size);
  }
  command->audit_all = raw.Has("all");
  return absl::OkStatus();
}

absl::StatusOr<absl::Duration> ParsePositiveDuration(const std::string& flag,
                                                     const std::string& text) {
  absl::Duration duration;
  if (!absl::ParseDuration(text, &duration) || duration <= absl::ZeroDuration() ||
      duration == absl::InfiniteDuration()) {
    return Usage(absl::StrCat("--", flag,
                              ": expected a positive duration such as 30s, 10m or "
                              "1h30m, got '",
                              text, "'"));
  }
  return duration;
}

absl::Status ParseGlobals(const RawArgs& raw, const Getenv& getenv, GlobalOptions* global) {
  if (std::optional<std::string> env = getenv("GPOP_SERVER"); env.has_value() && !env->empty()) {
    global->server = *env;
  }
  if (raw.Has("server")) global->server = raw.Get("server");
  if (global->server.empty()) return Usage("--server: empty address");
  if (raw.Has("output")) {
    std::string output = raw.Get("output");
    if (output == "json") {
      global->output = OutputFormat::kJson;
    } else if (output == "text") {
      global->output = OutputFormat::kText;
    } else {
      return Usage(absl::StrCat("--output: expected text or json, got '", output, "'"));
    }
  }
  if (std::optional<std::string> env = getenv("GPOP_TOKEN"); env.has_value()) global->token = *env;
  if (raw.Has("token")) global->token = raw.Get("token");
  // TLS settings: flags over the environment ($GPOP_TLS=1, $GPOP_TLS_CA, $GPOP_TLS_CERT,
  // $GPOP_TLS_KEY); any file implies TLS.
  auto setting = [&](const char* flag, const char* env) {
    if (raw.Has(flag)) return raw.Get(flag);
    std::optional<std::string> value = getenv(env);
    return value.value_or("");
  };
  global->ca_file = setting("ca-file", "GPOP_TLS_CA");
  global->cert_file = setting("cert", "GPOP_TLS_CERT");
  global->key_file = setting("key", "GPOP_TLS_KEY");
  std::optional<std::string> tls_env = getenv("GPOP_TLS");
  global->tls = raw.Has("tls") || (tls_env.has_value() && *tls_env == "1") ||
                !global->ca_file.empty() || !global->cert_file.empty();
  if (global->cert_file.empty() != global->key_file.empty()) {
    return Usage("--cert and --key go together (or $GPOP_TLS_CERT and $GPOP_TLS_KEY)");
  }
  if (raw.Has("call-timeout")) {
    absl::StatusOr<absl::Duration> timeout =
        ParsePositiveDuration("call-timeout", raw.Get("call-timeout"));
    if (!timeout.ok()) return timeout.status();
    global->call_timeout = *timeout;
  }
  if (raw.Has("reconnect-for")) {
    absl::StatusOr<absl::Duration> reconnect =
        ParsePositiveDuration("reconnect-for", raw.Get("reconnect-for"));
    if (!reconnect.ok()) return reconnect.status();
    global->reconnect_for = *reconnect;
  }
  return absl::OkStatus();
}

absl::Status RequireFlag(const RawArgs& raw, const std::string& name) {
  if (!raw.Has(name) || raw.Get(name).empty()) {
    return Usage(absl::StrCat("'", raw.subcommand, "' needs --", name));
  }
  return absl::OkStatus();
}

absl::Status ExactlyOne(const RawArgs& raw, const std::string& a, const std::string& b) {
  if (raw.Has(a) == raw.Has(b)) {
    return Usage(absl::StrCat("'", raw.subcommand, "' needs exactly one of --", a, " and --", b));
  }
  return RequireFlag(raw, raw.Has(a) ? a : b);
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
  auto it = SubcommandFlags().find(kind);
  for (const auto& [name, values] : raw.flags) {
    bool known = FindFlag("", name) != nullptr || name == "kind" || name == "spec";
    for (const FlagSpec& spec : kStartFlags) known = known || name == spec.name;
    for (const FlagSpec& spec : it->second) known = known || name == spec.name;
    if (!known) return Usage(absl::StrCat("--", name, " does not apply to kind ", kind));
  }
  return absl::OkStatus();
}

absl::Status ParseStart(const RawArgs& raw, Command* command) {
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
        if (FindFlag("", name) == nullptr && name != "spec" && name != "out") {
          bool start_flag = false;
          for (const FlagSpec& spec : kStartFlags) start_flag = start_flag || name == spec.name;
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

absl::Status ParseOperationId(const RawArgs& raw, Command* command) {
  if (raw.positional.size() != 1 || raw.positional[0].empty()) {
    return Usage(absl::StrCat("'", raw.subcommand, "' needs exactly one operation id"));
  }
  command->operation_id = raw.positional[0];
  return absl::OkStatus();
}

}  // namespace

v1::GpoRef ParseGpoRef(const std::string& text) {
  v1::GpoRef ref;
  if (std::optional<std::string> guid = core::NormalizeGuid(text); guid.has_value()) {
    ref.set_guid(*guid);
  } else {
    ref.set_display_name(text);
  }
  return ref;
}

absl::StatusOr<Command> ParseCommandLine(const std::vector<std::string>& args,
                                         const Getenv& getenv) {
  // Find the subcommand first: flag validity depends on it.
  absl::StatusOr<RawArgs> raw = Tokenize(args);
  if (!raw.ok()) return raw.status();
  Command command;
  if (absl::Status s = ParseGlobals(*raw, getenv, &command.global); !s.ok()) return s;
  command.name = raw->subcommand;
  if (raw->Has("help") || raw->subcommand == "help") {
    command.verb = Verb::kHelp;
    return command;
  }
  if (raw->subcommand.empty()) return Usage("no subcommand given");
  if (SubcommandFlags().count(raw->subcommand) == 0) {
    return Usage(absl::StrCat("unknown subcommand '", raw->subcommand, "'"));
  }
  const std::string& name = raw->subcommand;
  bool takes_id = name == "watch" || name == "cancel" || name == "get" || name == "upload" ||
                  name == "download-backup" || name == "import-set";
  if (!takes_id && !raw->positional.empty()) {
    return Usage(absl::StrCat("'", name, "' takes no argument '", raw->positional[0], "'"));
  }

  if (name == "start" || IsKind(name)) {
    command.verb = Verb::kStart;
    if (absl::Status s = ParseStart(*raw, &command); !s.ok()) return s;
  } else if (name == "import-set") {
    command.verb = Verb::kImportSet;
    // The spec first: ParseStart then adds the flags every operation takes.
    if (absl::Status s = BuildImportSetCommand(raw->flags, raw->positional, &command); !s.ok()) {
      return s;
    }
    if (absl::Status s = ParseStart(*raw, &command); !s.ok()) return s;
  } else if (name == "watch") {
    command.verb = Verb::kWatch;
    if (absl::Status s = ParseOperationId(*raw, &command); !s.ok()) return s;
    if (raw->Has("after") && !absl::SimpleAtoi(raw->Get("after"), &command.after_sequence)) {
      return Usage(
          absl::StrCat("--after: expected a sequence number, got '", raw->Get("after"), "'"));
    }
    command.wait.wait = true;
    command.wait.cancel_on_interrupt = raw->Has("cancel-on-interrupt");
    if (raw->Has("wait-timeout")) {
      absl::StatusOr<absl::Duration> timeout =
          ParsePositiveDuration("wait-timeout", raw->Get("wait-timeout"));
      if (!timeout.ok()) return timeout.status();
      command.wait.wait_timeout = *timeout;
    }
  } else if (name == "events") {
    command.verb = Verb::kEvents;
    command.events_filter = raw->Get("filter");
    if (raw->Has("after-revision")) {
      uint64_t revision = 0;
      if (!absl::SimpleAtoi(raw->Get("after-revision"), &revision)) {
        return Usage(absl::StrCat("--after-revision: expected a revision, got '",
                                  raw->Get("after-revision"), "'"));
      }
      command.after_revision = revision;
    }
  } else if (name == "cancel" || name == "get") {
    command.verb = name == "cancel" ? Verb::kCancel : Verb::kGet;
    if (absl::Status s = ParseOperationId(*raw, &command); !s.ok()) return s;
  } else if (name == "ls") {
    command.verb = Verb::kList;
    command.list.set_filter(raw->Get("filter"));
    if (raw->Has("page-size")) {
      int32_t page_size = 0;
      if (!absl::SimpleAtoi(raw->Get("page-size"), &page_size) || page_size <= 0 ||
          page_size > 1000) {
        return Usage(
            absl::StrCat("--page-size: expected 1..1000, got '", raw->Get("page-size"), "'"));
      }
      command.list.set_page_size(page_size);
    }
    command.list_all = raw->Has("all");
  } else if (name == "gpos") {
    command.verb = Verb::kGpos;
  } else if (name == "backups") {
    command.verb = Verb::kBackups;
    command.backups.set_location(raw->Get("location"));
    if (raw->Has("gpo")) *command.backups.mutable_gpo() = ParseGpoRef(raw->Get("gpo"));
  } else if (name == "audit") {
    command.verb = Verb::kAudit;
    if (absl::Status s = ParseAudit(*raw, &command); !s.ok()) return s;
  } else if (name == "upload") {
    command.verb = Verb::kUpload;
    if (raw->positional.size() != 1 || raw->positional[0].empty()) {
      return Usage("upload: expected one folder or .tar file");
    }
    command.transfer_paths = raw->positional;
    command.transfer_location = raw->Get("location");
  } else if (name == "download-backup") {
    command.verb = Verb::kDownloadBackup;
    if (raw->positional.empty()) return Usage("download-backup: expected one or more backup IDs");
    if (raw->Get("out").empty()) return Usage("download-backup: --out FILE.tar|DIR is required");
    command.transfer_paths = raw->positional;
    command.transfer_location = raw->Get("location");
    command.out_file = raw->Get("out");
    command.as_backup_set = raw->Has("set");
  } else if (name == "version") {
    command.verb = Verb::kVersion;
  }
  return command;
}

std::string UsageText() {
  return absl::StrCat(
      "Usage: gpopctl [global flags] SUBCOMMAND [flags] [args]\n"
      "\n"
      "Runs and watches Group Policy operations on a gpop server.\n"
      "\n"
      "Operations (print the operation id; --wait watches until it ends):\n"
      "  backup  --gpo GPO [--location L] [--comment C]\n"
      "  restore --backup-id ID [--location L] [--no-safety-backup] [--dry-run [--out FILE]]\n"
      "  import  --backup-id ID [--location L] (--target GPO | --create-if-needed NAME)\n"
      "          [--migration-table T] [--migration-table-only] [--no-safety-backup]\n"
      "          [--dry-run [--out FILE]]\n"
      "  copy    --gpo GPO --new-name NAME [--migration-table T] [--migration-table-only]\n"
      "          [--copy-acl] [--dry-run [--out FILE]]\n"
      "          (--dry-run --out FILE waits and writes the predicted changes and the GPO as\n"
      "          it would be to FILE as an HTML page)\n"
      "  report  (--gpo GPO | --backup-id ID [--location L]) --format xml|html|migtable\n"
      "          [--include-dacl] [--out FILE]  (--out FILE waits and writes the report to\n"
      "          FILE; migtable: a migration table template of every principal and UNC path\n"
      "          the settings name; --include-dacl adds the principals of the GPO's DACL)\n"
      "  start   --kind KIND [that kind's flags] | --spec JSON (a gpop.v1.OperationSpec)\n",
      kImportSetUsage,
      "  Flags of every operation:\n"
      "    --label KEY=VALUE (repeatable)  --request-id ID  --timeout DURATION (e.g. 10m)\n"
      "    --wait  --wait-timeout DURATION  --cancel-on-interrupt\n"
      "  GPO is a GUID ({6AC1786C-016F-11D2-945F-00C04FB984F9}, braces optional) or a display\n"
      "  name.\n"
      "\n"
      "Watching and managing:\n"
      "  watch OP_ID [--after N] [--wait-timeout DURATION] [--cancel-on-interrupt]\n"
      "  events [--filter F] [--after-revision N]   every event of matching operations, live\n"
      "                          (list-then-watch; Ctrl-C prints the revision to resume from)\n"
      "          follow an operation until it ends (a progress bar on a terminal)\n"
      "  cancel OP_ID     request a cancel (best effort; returns at once)\n"
      "  get OP_ID        show an operation\n"
      "  ls [--filter F] [--page-size N] [--all]\n"
      "          list operations, newest first; F like 'state=RUNNING AND labels.team=x'\n"
      "  gpos             list the domain's GPOs\n"
      "  backups [--location L] [--gpo GPO]   list backups, latest first\n"
      "  audit [--principal P] [--operation OP_ID] [--action start|cancel|delete|finish]\n"
      "        [--since TIME] [--until TIME] [--page-size N] [--all]\n"
      "          the audit log, oldest first: who started, cancelled or deleted what, and how\n"
      "          each operation ended (TIME in RFC 3339: 2026-12-02T10:00:00Z)\n"
      "\n"
      "Moving backups (chunked, resumed after a cut connection, progress on a terminal):\n"
      "  upload DIR|FILE.tar [--location L]\n"
      "          upload one GPMC backup folder or a backup set (manifest.xml + {GUID} folders);\n"
      "          prints the backup IDs now in the location\n"
      "  download-backup ID [ID...] --out FILE.tar|DIR [--location L] [--set]\n"
      "          a tar file, or a new folder (several IDs or --set: a backup set with\n"
      "          manifest.xml); written atomically\n"
      "  version          client version and whether the server answers\n"
      "\n"
      "Ctrl-C while waiting or watching detaches (the operation goes on; the message says how\n"
      "to resume with 'gpopctl watch OP_ID --after N'); with --cancel-on-interrupt it sends\n"
      "Cancel and keeps watching until the operation ends (a second Ctrl-C detaches).\n"
      "\n"
      "Global flags:\n"
      "  --server ADDR        host:port or unix:PATH (default $GPOP_SERVER, else ",
      kDefaultServer,
      ")\n"
      "  -o, --output FORMAT  text (default) or json (get, ls, start, watch events, ...)\n"
      "  --token TOKEN        bearer token (default $GPOP_TOKEN)\n"
      "  --tls                use TLS (off by default: the server listens on loopback)\n"
      "  --ca-file FILE       PEM roots to verify the server with (implies --tls;\n"
      "                       default $GPOP_TLS_CA; $GPOP_TLS=1 turns TLS on)\n"
      "  --cert FILE --key FILE  client certificate and key for mutual TLS (implies --tls;\n"
      "                       default $GPOP_TLS_CERT, $GPOP_TLS_KEY)\n"
      "  --call-timeout D     deadline of each unary call (default 30s)\n"
      "  --reconnect-for D    how long a watch keeps reconnecting to a server that is down\n"
      "                       (default 5m)\n"
      "  -h, --help           this text\n"
      "\n",
      kExitCodeTable);
}

}  // namespace gpop::ctl
