// gpopctl's text and JSON rendering.

#include "client/ctl/render.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "client/error_info.h"
#include "client/resumable_stream.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/time_util.h"
#include "google/rpc/error_details.pb.h"

namespace gpop::ctl {
namespace {

std::string TimeText(const google::protobuf::Timestamp& time) {
  if (time.seconds() == 0 && time.nanos() == 0) return "-";
  return google::protobuf::util::TimeUtil::ToString(time);
}

std::string GpoRefText(const v1::GpoRef& ref) {
  if (ref.has_guid()) return ref.guid();
  return absl::StrCat("\"", ref.display_name(), "\"");
}

std::string BackupRefText(const v1::BackupRef& ref) {
  if (ref.location().empty()) return ref.backup_id();
  return absl::StrCat(ref.location(), "/", ref.backup_id());
}

std::string SpecText(const v1::OperationSpec& spec) {
  switch (spec.kind_case()) {
    case v1::OperationSpec::kBackup:
      return absl::StrCat("backup ", GpoRefText(spec.backup().gpo()));
    case v1::OperationSpec::kRestore:
      return absl::StrCat("restore ", BackupRefText(spec.restore().backup()));
    case v1::OperationSpec::kImport: {
      const v1::ImportSpec& import = spec.import();
      std::string target = import.has_target_gpo()
                               ? GpoRefText(import.target_gpo())
                               : absl::StrCat("\"", import.create_if_needed_name(), "\" (create)");
      return absl::StrCat("import ", BackupRefText(import.backup()), " -> ", target);
    }
    case v1::OperationSpec::kCopy:
      return absl::StrCat("copy ", GpoRefText(spec.copy().source_gpo()), " -> \"",
                          spec.copy().new_display_name(), "\"");
    case v1::OperationSpec::kReport: {
      const v1::ReportSpec& report = spec.report();
      std::string subject =
          report.has_gpo() ? GpoRefText(report.gpo()) : BackupRefText(report.backup());
      const char* format = report.format() == v1::HTML              ? "html"
                           : report.format() == v1::MIGRATION_TABLE ? "migtable"
                                                                    : "xml";
      return absl::StrCat("report ", subject, " ", format);
    }
    case v1::OperationSpec::kImportSet: {
      const v1::ImportSetSpec& set = spec.import_set();
      return absl::StrCat("import set of ", set.backup_ids_size(), " backup",
                          set.backup_ids_size() == 1 ? "" : "s",
                          set.location().empty() ? "" : absl::StrCat(" in ", set.location()),
                          set.dry_run() ? " (dry run)" : "");
    }
    case v1::OperationSpec::KIND_NOT_SET:
      break;
  }
  return "-";
}

std::string EffectsName(v1::Effects effects) {
  switch (effects) {
    case v1::NONE:
      return "NONE";
    case v1::APPLIED:
      return "APPLIED";
    case v1::UNKNOWN:
      return "UNKNOWN";
    default:
      return "-";
  }
}

std::string ProgressText(const v1::Progress& progress) {
  if (progress.denominator() <= 0) return absl::StrCat(progress.numerator(), "/?");
  return absl::StrCat(progress.numerator(), "/", progress.denominator());
}

std::string RpcStatusText(const google::rpc::Status& status) {
  return ErrorText(client::FromStatusProto(status));
}

std::string Table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    if (widths.size() < row.size()) widths.resize(row.size(), 0);
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      if (i + 1 == row.size()) {
        absl::StrAppend(&line, row[i]);
      } else {
        absl::StrAppend(&line, row[i], std::string(widths[i] - row[i].size() + 2, ' '));
      }
    }
    absl::StrAppend(&out, line, "\n");
  }
  return out;
}

}  // namespace

void WatchView::Apply(const v1::StatusUpdate& update) {
  switch (update.item_case()) {
    case v1::StatusUpdate::kEvent: {
      const v1::Event& event = update.event();
      state = event.state();
      sequence = event.sequence();
      if (event.messages_size() > 0) message = event.messages(event.messages_size() - 1).message();
      if (event.state() == v1::SUCCEEDED && denominator > 0) numerator = denominator;
      break;
    }
    case v1::StatusUpdate::kProgress:
      numerator = update.progress().numerator();
      denominator = update.progress().denominator();
      break;
    default:
      break;
  }
}

std::string ProgressBarLine(const WatchView& view, int width) {
  constexpr int kBarWidth = 20;
  int filled = 0;
  std::string percent = "  ?%";
  if (view.denominator > 0) {
    int64_t clamped = std::clamp<int64_t>(view.numerator, 0, view.denominator);
    filled = static_cast<int>(clamped * kBarWidth / view.denominator);
    percent = absl::StrFormat("%3d%%", static_cast<int>(clamped * 100 / view.denominator));
  }
  std::string counts = view.denominator > 0 ? absl::StrCat(view.numerator, "/", view.denominator)
                                            : absl::StrCat(view.numerator, "/?");
  std::string line =
      absl::StrCat("[", std::string(filled, '#'), std::string(kBarWidth - filled, '-'), "] ",
                   percent, "  ", counts, "  ", StateName(view.state));
  if (!view.message.empty()) absl::StrAppend(&line, "  ", view.message);
  // Messages come from the server: keep the line one line.
  std::replace_if(
      line.begin(), line.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
  size_t max = width > 1 ? static_cast<size_t>(width - 1) : 0;
  if (line.size() > max) line.resize(max);
  return line;
}

std::string StateName(v1::OperationState state) {
  if (state == v1::OPERATION_STATE_UNSPECIFIED) return "-";
  return v1::OperationState_Name(state);
}

std::string KindName(v1::OperationKind kind) {
  switch (kind) {
    case v1::BACKUP:
      return "backup";
    case v1::RESTORE:
      return "restore";
    case v1::IMPORT:
      return "import";
    case v1::COPY:
      return "copy";
    case v1::REPORT:
      return "report";
    case v1::IMPORT_SET:
      return "import-set";
    default:
      return "-";
  }
}

std::string EventLine(const v1::Event& event) {
  std::string line = absl::StrCat("#", event.sequence(), " ", StateName(event.state()));
  if (event.has_hresult()) absl::StrAppend(&line, absl::StrFormat(" hr=0x%08X", event.hresult()));
  std::vector<std::string> messages;
  for (const v1::StatusMessage& message : event.messages()) {
    std::string text = message.message();
    if (message.severity() == v1::WARNING) text = absl::StrCat("warning: ", text);
    if (message.severity() == v1::ERROR) text = absl::StrCat("error: ", text);
    if (!message.object_path().empty()) absl::StrAppend(&text, " [", message.object_path(), "]");
    if (message.error_code() != 0) {
      absl::StrAppend(&text, absl::StrFormat(" (0x%08X)", message.error_code()));
    }
    messages.push_back(std::move(text));
  }
  if (!messages.empty()) absl::StrAppend(&line, "  ", absl::StrJoin(messages, "; "));
  if (client::IsTerminalState(event.state())) {
    absl::StrAppend(&line, "  effects=", EffectsName(event.effects()));
    if (event.has_error() && event.error().code() != 0) {
      absl::StrAppend(&line, "  error: ", RpcStatusText(event.error()));
    }
  }
  return line;
}

std::string ProgressLine(const v1::Progress& progress) {
  std::string line = absl::StrCat("progress ", ProgressText(progress));
  if (progress.denominator() > 0) {
    absl::StrAppend(&line, " (",
                    std::clamp<int64_t>(progress.numerator(), 0, progress.denominator()) * 100 /
                        progress.denominator(),
                    "%)");
  }
  return line;
}

std::string OperationText(const v1::Operation& op) {
  std::vector<std::vector<std::string>> rows = {
      {"id:", op.id()},
      {"kind:", KindName(op.kind())},
      {"state:", StateName(op.state())},
      {"spec:", SpecText(op.spec())},
      {"progress:", ProgressText(op.progress())},
      {"last sequence:", absl::StrCat(op.last_sequence())},
      {"principal:", op.principal().empty() ? "-" : op.principal()},
      {"created:", TimeText(op.create_time())},
      {"started:", TimeText(op.start_time())},
      {"ended:", TimeText(op.end_time())},
      {"deadline:", TimeText(op.deadline())},
  };
  if (!op.request_id().empty()) rows.push_back({"request id:", op.request_id()});
  if (op.cancel_requested()) rows.push_back({"cancel requested:", "yes"});
  if (!op.labels().empty()) {
    std::vector<std::string> labels;
    for (const auto& [key, value] : op.labels()) labels.push_back(absl::StrCat(key, "=", value));
    std::sort(labels.begin(), labels.end());
    rows.push_back({"labels:", absl::StrJoin(labels, ",")});
  }
  if (client::IsTerminalState(op.state())) {
    rows.push_back({"effects:", EffectsName(op.effects())});
  }
  if (op.has_hresult()) rows.push_back({"hresult:", absl::StrFormat("0x%08X", op.hresult())});
  if (op.has_error() && op.error().code() != 0) {
    rows.push_back({"error:", RpcStatusText(op.error())});
  }
  if (op.has_result()) {
    const v1::OperationResult& result = op.result();
    if (result.has_gpo()) {
      rows.push_back({"result:", absl::StrCat("GPO ", result.gpo().guid(), " \"",
                                              result.gpo().display_name(), "\"")});
      if (result.gpo().dry_run()) {
        rows.push_back({"dry run:",
                        absl::StrCat("nothing was changed; ", result.gpo().predicted_changes_size(),
                                     " setting(s) would change")});
        // "+" added, "-" removed, "~" changed, as a diff reads.
        for (const v1::SettingChange& c : result.gpo().predicted_changes()) {
          const char* mark = c.before().empty() ? "+" : c.after().empty() ? "-" : "~";
          std::string line =
              absl::StrCat(mark, " ", c.scope(), " / ", c.extension(), " / ", c.setting());
          if (!c.before().empty() && !c.after().empty()) {
            absl::StrAppend(&line, ": ", c.before(), "  ->  ", c.after());
          } else {
            absl::StrAppend(&line, ": ", c.before().empty() ? c.after() : c.before());
          }
          rows.push_back({"", line});
        }
      }
      if (!result.gpo().safety_backup_id().empty()) {
        // The one step that undoes the change: restore this backup.
        rows.push_back({"safety backup:", absl::StrCat(result.gpo().safety_backup_id(),
                                                       " (undo: gpopctl restore --backup-id ",
                                                       result.gpo().safety_backup_id(), ")")});
      }
    } else if (result.has_backup()) {
      rows.push_back({"result:", absl::StrCat("backup ", result.backup().backup_id())});
    } else if (result.has_report()) {
      const int64_t bytes = result.report().size_bytes() > 0
                                ? result.report().size_bytes()
                                : static_cast<int64_t>(result.report().content().size());
      rows.push_back({"result:", absl::StrCat("report, ", bytes, " bytes (use report --out)")});
    } else if (result.has_import_set()) {
      // One row per backup: outcome, backup ID, the GPO written (or as it would be).
      rows.push_back({"result:", absl::StrCat("import set, ", result.import_set().entries_size(),
                                              " backups")});
      for (const v1::ImportSetEntry& e : result.import_set().entries()) {
        std::string line = absl::StrCat(v1::ImportSetOutcome_Name(e.outcome()), " ",
                                        e.backup_id(), " \"", e.display_name(), "\"");
        if (e.has_gpo()) absl::StrAppend(&line, " -> ", e.gpo().guid());
        if (e.has_error()) absl::StrAppend(&line, ": ", e.error().message());
        rows.push_back({"", line});
      }
    }
  }
  return Table(rows);
}

std::string OperationsTable(const v1::ListOperationsResponse& response) {
  std::vector<std::vector<std::string>> rows = {
      {"ID", "KIND", "STATE", "PROGRESS", "CREATED", "SPEC"}};
  for (const v1::Operation& op : response.operations()) {
    rows.push_back({op.id(), KindName(op.kind()), StateName(op.state()),
                    ProgressText(op.progress()), TimeText(op.create_time()), SpecText(op.spec())});
  }
  std::string out = Table(rows);
  if (!response.next_page_token().empty()) {
    absl::StrAppend(&out, "(more: use --all)\n");
  }
  return out;
}

std::string GposTable(const v1::ListGposResponse& response) {
  std::vector<std::vector<std::string>> rows = {{"GUID", "VERSION", "MODIFIED", "NAME"}};
  for (const v1::GpoInfo& gpo : response.gpos()) {
    rows.push_back(
        {gpo.guid(), absl::StrCat(gpo.version()), TimeText(gpo.modify_time()), gpo.display_name()});
  }
  return Table(rows);
}

std::string BackupsTable(const v1::ListBackupsResponse& response) {
  std::vector<std::vector<std::string>> rows = {{"BACKUP ID", "TIME", "GPO", "COMMENT"}};
  for (const v1::BackupInfo& backup : response.backups()) {
    rows.push_back({backup.backup_id(), TimeText(backup.backup_time()), backup.gpo_display_name(),
                    backup.comment()});
  }
  return Table(rows);
}

namespace {

std::string AuditGposText(const v1::AuditEntry& entry) {
  std::vector<std::string> names;
  for (const v1::AuditGpo& gpo : entry.gpos()) {
    names.push_back(gpo.display_name().empty() ? gpo.guid() : gpo.display_name());
  }
  return names.empty() ? "-" : absl::StrJoin(names, ", ");
}

std::string AuditDetailText(const v1::AuditEntry& entry) {
  std::vector<std::string> parts;
  if (entry.action() == v1::AUDIT_ACTION_FINISH) {
    parts.push_back(absl::StrCat("effects=", v1::Effects_Name(entry.effects())));
  }
  if (entry.has_from_version() || entry.has_to_version()) {
    parts.push_back(absl::StrCat(
        "version ", entry.has_from_version() ? absl::StrCat(entry.from_version()) : "?", "->",
        entry.has_to_version() ? absl::StrCat(entry.to_version()) : "?"));
  }
  if (entry.result().has_backup()) parts.push_back("backup " + entry.result().backup().backup_id());
  if (entry.has_error()) {
    google::rpc::ErrorInfo info;
    for (const google::protobuf::Any& detail : entry.error().details()) {
      if (detail.UnpackTo(&info)) parts.push_back(info.reason());
    }
  }
  return parts.empty() ? "-" : absl::StrJoin(parts, " ");
}

}  // namespace

std::string AuditTable(const v1::ListAuditEntriesResponse& response) {
  std::vector<std::vector<std::string>> rows = {
      {"SEQ", "TIME", "PRINCIPAL", "ACTION", "OPERATION", "KIND", "GPO", "STATE", "DETAIL"}};
  for (const v1::AuditEntry& entry : response.entries()) {
    rows.push_back(
        {absl::StrCat(entry.sequence()), TimeText(entry.time()), entry.principal(),
         std::string(absl::StripPrefix(v1::AuditAction_Name(entry.action()), "AUDIT_ACTION_")),
         entry.operation_id(), KindName(entry.kind()), AuditGposText(entry),
         StateName(entry.state()), AuditDetailText(entry)});
  }
  std::string out = Table(rows);
  if (response.dropped_through_sequence() > 0) {
    absl::StrAppend(&out, "(entries 1-", response.dropped_through_sequence(),
                    " were dropped: this server keeps only its newest audit entries)\n");
  }
  return out;
}

std::string ToJson(const google::protobuf::Message& message, bool pretty) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = pretty;
  options.preserve_proto_field_names = false;
  std::string out;
  if (!google::protobuf::util::MessageToJsonString(message, &out, options).ok()) return "{}";
  // add_whitespace ends with a newline; callers add their own.
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

std::string ErrorText(const absl::Status& status) {
  std::string text = absl::StrCat(absl::StatusCodeToString(status.code()), ": ", status.message());
  if (std::optional<client::ErrorInfo> info = client::GetErrorInfo(status); info.has_value()) {
    std::vector<std::string> parts = {absl::StrCat("reason ", info->reason)};
    for (const auto& [key, value] : info->metadata) parts.push_back(absl::StrCat(key, "=", value));
    absl::StrAppend(&text, " (", absl::StrJoin(parts, ", "), ")");
  }
  return text;
}

std::string TransferProgressText(int64_t done, int64_t total) {
  constexpr int kWidth = 20;
  const double fraction = total > 0 ? static_cast<double>(done) / static_cast<double>(total) : 0;
  const int filled = static_cast<int>(fraction * kWidth);
  return absl::StrFormat("[%s%s] %3d%%  %.1f/%.1f MiB", std::string(filled, '#'),
                         std::string(kWidth - filled, '-'), static_cast<int>(fraction * 100),
                         static_cast<double>(done) / (1 << 20),
                         static_cast<double>(total) / (1 << 20));
}

}  // namespace gpop::ctl
