// Audit entries from calls and events (see audit_entries.h).

#include "service/api/audit_entries.h"

#include "absl/strings/match.h"
#include "service/api/auth/policy.h"
#include "service/api/conversion.h"
#include "service/api/status_mapping.h"

namespace gpop::api {
namespace {

void CommonFields(v1::AuditAction action, const std::string& principal,
                  const engine::OperationRecord& record, v1::AuditEntry* out) {
  out->set_action(action);
  out->set_principal(principal);
  out->set_operation_id(record.id);
  out->set_kind(static_cast<v1::OperationKind>(record.kind));
  out->set_request_id(record.request_id);
  out->set_state(static_cast<v1::OperationState>(record.state));
}

}  // namespace

std::vector<v1::AuditGpo> AuditGposOf(const std::vector<core::GpoRef>& gpos,
                                      const std::vector<core::GpoInfo>& known) {
  std::vector<v1::AuditGpo> out;
  for (const core::GpoRef& gpo : gpos) {
    v1::AuditGpo entry;
    entry.set_guid(gpo.guid);
    entry.set_display_name(gpo.display_name);
    for (const core::GpoInfo& info : known) {
      const bool same = gpo.guid.empty() ? info.display_name == gpo.display_name
                                         : absl::EqualsIgnoreCase(info.guid, gpo.guid);
      if (!same) continue;
      entry.set_guid(info.guid);
      entry.set_display_name(info.display_name);
      entry.set_version(info.version);
      break;
    }
    out.push_back(std::move(entry));
  }
  return out;
}

v1::AuditEntry StartEntry(const std::string& principal, const engine::OperationRecord& record,
                          const v1::StartOperationRequest& request,
                          const std::vector<v1::AuditGpo>& gpos) {
  v1::AuditEntry out;
  CommonFields(v1::AUDIT_ACTION_START, principal, record, &out);
  TimeToProto(record.create_time, out.mutable_time());
  for (const v1::AuditGpo& gpo : gpos) *out.add_gpos() = gpo;
  *out.mutable_request() = request;
  return out;
}

v1::AuditEntry CallEntry(v1::AuditAction action, const std::string& principal,
                         const engine::OperationRecord& record, engine::Time time,
                         const std::vector<v1::AuditGpo>& gpos) {
  v1::AuditEntry out;
  CommonFields(action, principal, record, &out);
  TimeToProto(time, out.mutable_time());
  out.set_cancelled_by(record.cancelled_by);
  for (const v1::AuditGpo& gpo : gpos) *out.add_gpos() = gpo;
  return out;
}

v1::AuditEntry FinishEntry(const engine::Event& event, const v1::AuditEntry* start,
                           const engine::OperationRecord* record) {
  v1::AuditEntry out;
  out.set_action(v1::AUDIT_ACTION_FINISH);
  out.set_operation_id(event.operation_id);
  out.set_kind(static_cast<v1::OperationKind>(event.kind));
  out.set_state(static_cast<v1::OperationState>(event.state));
  out.set_revision(event.revision);
  TimeToProto(event.time, out.mutable_time());
  if (start != nullptr) {
    out.set_principal(start->principal());
    out.set_request_id(start->request_id());
    *out.mutable_gpos() = start->gpos();
  } else if (record != nullptr) {
    out.set_principal(record->principal);
    out.set_request_id(record->request_id);
    for (const v1::AuditGpo& gpo : AuditGposOf(ScopeOf(*record).gpos, {})) *out.add_gpos() = gpo;
  }
  if (event.state == core::OperationState::kSucceeded) {
    ResultToProto(event.result, out.mutable_result());
    if (out.result().has_report()) out.mutable_result()->mutable_report()->clear_content();
  }
  if (record != nullptr) out.set_cancelled_by(record->cancelled_by);
  if (event.error) *out.mutable_error() = ToRpcStatus(*event.error);
  if (event.effects) out.set_effects(static_cast<v1::Effects>(*event.effects));
  if (const auto* gpo = std::get_if<core::GpoInfo>(&event.result);
      gpo != nullptr && event.state == core::OperationState::kSucceeded) {
    out.set_to_version(gpo->version);
    const bool overwrites =
        event.kind == core::OperationKind::kRestore || event.kind == core::OperationKind::kImport;
    for (const v1::AuditGpo& before : out.gpos()) {
      if (overwrites && before.has_version() && absl::EqualsIgnoreCase(before.guid(), gpo->guid)) {
        out.set_from_version(before.version());
      }
    }
  }
  return out;
}

}  // namespace gpop::api
