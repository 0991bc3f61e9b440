// Engine records and stream items -> gpop.v1 and google.longrunning (see record_conversion.h).

#include "service/api/record_conversion.h"

#include <string>

#include "service/api/spec_conversion.h"
#include "service/api/status_mapping.h"
#include "service/api/time_conversion.h"

namespace gpop::api {

void GpoToProto(const core::GpoInfo& gpo, v1::GpoInfo* out) {
  out->set_guid(gpo.guid);
  out->set_display_name(gpo.display_name);
  out->set_domain(gpo.domain);
  out->set_version(gpo.version);
  out->set_flags(gpo.flags);
  TimeToProto(gpo.created, out->mutable_create_time());
  TimeToProto(gpo.modified, out->mutable_modify_time());
  out->set_safety_backup_id(gpo.safety_backup_id);
  out->set_dry_run(gpo.dry_run);
  for (const core::SettingChange& c : gpo.predicted_changes) {
    v1::SettingChange* change = out->add_predicted_changes();
    change->set_scope(c.scope);
    change->set_extension(c.extension);
    change->set_setting(c.setting);
    change->set_before(c.before);
    change->set_after(c.after);
  }
  if (!gpo.dry_run_report.empty()) {
    out->mutable_dry_run_report()->set_format(v1::HTML);
    out->mutable_dry_run_report()->set_content(gpo.dry_run_report);
  }
}

void BackupToProto(const core::BackupInfo& backup, v1::BackupInfo* out) {
  out->set_backup_id(backup.backup_id);
  out->set_location(backup.location);
  out->set_gpo_guid(backup.gpo_guid);
  out->set_gpo_display_name(backup.gpo_display_name);
  out->set_domain(backup.domain);
  out->set_comment(backup.comment);
  TimeToProto(backup.time, out->mutable_backup_time());
}

void ReportToProto(const core::ReportInfo& report, v1::ReportInfo* out) {
  const bool html = report.format == core::ReportFormat::kHtml;
  const bool inline_content = report.content.size() <= kInlineReportBytes;
  out->set_format(static_cast<v1::ReportFormat>(report.format));
  out->set_size_bytes(static_cast<int64_t>(report.content.size()));
  if (inline_content) out->set_content(report.content);
  out->set_summary(std::string(html ? "HTML" : "XML") + " report, " +
                   std::to_string(report.content.size()) + " bytes" +
                   (inline_content ? "" : "; fetch it with BackupTransfer.DownloadReport"));
}

void ResultToProto(const core::OperationResult& result, v1::OperationResult* out) {
  out->Clear();
  if (const auto* gpo = std::get_if<core::GpoInfo>(&result)) {
    GpoToProto(*gpo, out->mutable_gpo());
  } else if (const auto* backup = std::get_if<core::BackupInfo>(&result)) {
    BackupToProto(*backup, out->mutable_backup());
  } else if (const auto* report = std::get_if<core::ReportInfo>(&result)) {
    ReportToProto(*report, out->mutable_report());
  } else if (const auto* set = std::get_if<core::ImportSetResult>(&result)) {
    for (const core::ImportSetEntry& e : set->entries) {
      v1::ImportSetEntry* entry = out->mutable_import_set()->add_entries();
      entry->set_backup_id(e.backup_id);
      entry->set_display_name(e.display_name);
      entry->set_outcome(static_cast<v1::ImportSetOutcome>(e.outcome));
      if (e.outcome == core::ImportSetOutcome::kImported ||
          e.outcome == core::ImportSetOutcome::kPredicted) {
        GpoToProto(e.gpo, entry->mutable_gpo());
      }
      if (e.error) *entry->mutable_error() = ToRpcStatus(*e.error);
    }
  }
}

namespace {

// Whether a terminal record or event in `state` carries `result`: a success's always, an
// import set's also when it failed or was cancelled (it says what was imported).
bool CarriesResult(core::OperationState state, const core::OperationResult& result) {
  return state == core::OperationState::kSucceeded ||
         (core::IsTerminal(state) && std::holds_alternative<core::ImportSetResult>(result));
}

}  // namespace

void ProgressToProto(const engine::Progress& progress, v1::Progress* out) {
  out->set_numerator(progress.numerator);
  out->set_denominator(progress.denominator);
  out->set_after_sequence(progress.after_sequence);
  if (progress.observed != engine::Time{}) {
    TimeToProto(progress.observed, out->mutable_observe_time());
  } else {
    out->clear_observe_time();
  }
}

void HeartbeatToProto(const engine::Heartbeat& heartbeat, v1::Heartbeat* out) {
  out->set_sequence(heartbeat.sequence);
  out->set_revision(heartbeat.revision);
  TimeToProto(heartbeat.time, out->mutable_time());
}

void OperationToProto(const engine::OperationRecord& record, v1::Operation* out) {
  out->Clear();
  out->set_id(record.id);
  out->set_kind(static_cast<v1::OperationKind>(record.kind));
  out->set_state(static_cast<v1::OperationState>(record.state));
  SpecToProto(record.spec, out->mutable_spec());
  out->mutable_labels()->insert(record.labels.begin(), record.labels.end());
  out->set_principal(record.principal);
  out->set_request_id(record.request_id);
  TimeToProto(record.create_time, out->mutable_create_time());
  if (record.start_time) TimeToProto(*record.start_time, out->mutable_start_time());
  if (record.end_time) TimeToProto(*record.end_time, out->mutable_end_time());
  TimeToProto(record.deadline, out->mutable_deadline());
  out->set_last_sequence(record.last_sequence);
  out->set_revision(record.revision);
  ProgressToProto(record.progress, out->mutable_progress());
  out->set_cancel_requested(record.cancel_requested);
  out->set_cancelled_by(record.cancelled_by);
  if (CarriesResult(record.state, record.result)) {
    ResultToProto(record.result, out->mutable_result());
  }
  if (record.error) *out->mutable_error() = ToRpcStatus(*record.error);
  if (record.effects) out->set_effects(static_cast<v1::Effects>(*record.effects));
  if (record.hresult) out->set_hresult(*record.hresult);
}

void EventToProto(const engine::Event& event, v1::Event* out) {
  out->Clear();
  out->set_operation_id(event.operation_id);
  out->set_sequence(event.sequence);
  out->set_revision(event.revision);
  TimeToProto(event.time, out->mutable_time());
  out->set_state(static_cast<v1::OperationState>(event.state));
  if (event.hresult) out->set_hresult(*event.hresult);
  for (const core::StatusMessage& m : event.messages) {
    v1::StatusMessage* msg = out->add_messages();
    msg->set_object_path(m.object_path);
    msg->set_error_code(m.error_code);
    msg->set_extension_name(m.extension_name);
    msg->set_settings_name(m.settings_name);
    msg->set_operation_code(m.operation_code);
    msg->set_message(m.message);
    msg->set_severity(static_cast<v1::Severity>(m.severity));
  }
  if (CarriesResult(event.state, event.result)) {
    ResultToProto(event.result, out->mutable_result());
  }
  if (event.error) *out->mutable_error() = ToRpcStatus(*event.error);
  if (event.effects) out->set_effects(static_cast<v1::Effects>(*event.effects));
  out->set_kind(static_cast<v1::OperationKind>(event.kind));
}

bool StreamItemToProto(const engine::StreamItem& item, v1::StatusUpdate* out) {
  out->Clear();
  if (const auto* event = std::get_if<engine::Event>(&item)) {
    EventToProto(*event, out->mutable_event());
  } else if (const auto* progress = std::get_if<engine::Progress>(&item)) {
    ProgressToProto(*progress, out->mutable_progress());
  } else {
    HeartbeatToProto(std::get<engine::Heartbeat>(item), out->mutable_heartbeat());
  }
  return true;
}

bool StreamItemToProto(const engine::StreamItem& item, v1::WatchOperationsResponse* out) {
  out->Clear();
  if (const auto* event = std::get_if<engine::Event>(&item)) {
    EventToProto(*event, out->mutable_event());
    return true;
  }
  if (const auto* heartbeat = std::get_if<engine::Heartbeat>(&item)) {
    HeartbeatToProto(*heartbeat, out->mutable_heartbeat());
    return true;
  }
  return false;
}

void OperationToLro(const engine::OperationRecord& record, google::longrunning::Operation* out) {
  out->Clear();
  out->set_name(kLroNamePrefix + record.id);
  v1::Operation metadata;
  OperationToProto(record, &metadata);
  out->mutable_metadata()->PackFrom(metadata);
  if (!core::IsTerminal(record.state)) return;
  out->set_done(true);
  if (record.state == core::OperationState::kSucceeded) {
    v1::OperationResult result;
    ResultToProto(record.result, &result);
    out->mutable_response()->PackFrom(result);
  } else if (record.error) {
    *out->mutable_error() = ToRpcStatus(*record.error);
  } else {
    // A failed or cancelled operation always carries an error; never report one as a success.
    core::Error error =
        core::MakeError(record.state == core::OperationState::kCancelled ? core::Code::kCancelled
                                                                         : core::Code::kUnknown,
                        record.state == core::OperationState::kCancelled ? core::reason::kCancelled
                                                                         : core::reason::kInternal,
                        "the operation ended without a recorded error");
    *out->mutable_error() = ToRpcStatus(error);
  }
}

}  // namespace gpop::api
