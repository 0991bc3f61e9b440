// Proto <-> core/engine conversion and request validation (see conversion.h).

#include "service/api/conversion.h"

#include <openssl/evp.h>

#include <cstdio>
#include <utility>

#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "service/api/status_mapping.h"
#include "service/core/guid.h"
#include "service/engine/status_convert.h"

namespace gpop::api {
namespace {

absl::Status Invalid(const std::string& field, const std::string& problem) {
  return engine::ToStatus(core::InvalidField(field, problem));
}

bool StartsWith(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

// --- Spec: proto -> core --------------------------------------------------------------------

core::GpoRef GpoFromProto(const v1::GpoRef& gpo) {
  core::GpoRef out;
  if (gpo.ref_case() == v1::GpoRef::kGuid) out.guid = gpo.guid();
  if (gpo.ref_case() == v1::GpoRef::kDisplayName) out.display_name = gpo.display_name();
  return out;
}

core::BackupRef BackupRefFromProto(const v1::BackupRef& backup) {
  return core::BackupRef{backup.location(), backup.backup_id()};
}

// The proto path of a field that core::ValidateSpec names by the core struct's members.
std::string ProtoSpecPath(const std::string& core_field, const core::OperationSpec& spec) {
  auto rename = [&](const std::string& from, const std::string& to) -> std::optional<std::string> {
    if (core_field == from) return to;
    if (StartsWith(core_field, from + ".")) return to + core_field.substr(from.size());
    return std::nullopt;
  };
  if (auto path = rename("copy.source", "copy.source_gpo")) return *path;
  if (const auto* import = std::get_if<core::ImportSpec>(&spec)) {
    if (import->create_if_needed && StartsWith(core_field, "import.target")) {
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
  if (StartsWith(problem, core_field + ": ")) problem = problem.substr(core_field.size() + 2);
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

// --- Spec: core -> proto --------------------------------------------------------------------

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

// --- Validation helpers ---------------------------------------------------------------------

absl::Status ValidateRequestId(const std::string& request_id) {
  if (request_id.empty()) return absl::OkStatus();
  if (request_id.size() > kMaxRequestIdLength) {
    return Invalid("request_id", "is longer than 128 characters");
  }
  for (unsigned char c : request_id) {
    if (c < 0x20 || c > 0x7E) return Invalid("request_id", "must be printable ASCII");
  }
  return absl::OkStatus();
}

bool IsLabelKey(const std::string& key) {
  if (key.empty() || key.size() > kMaxLabelKeyLength) return false;
  if (key[0] < 'a' || key[0] > 'z') return false;
  for (char c : key) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

absl::Status ValidateLabels(const google::protobuf::Map<std::string, std::string>& labels) {
  if (labels.size() > kMaxLabels) return Invalid("labels", "has more than 32 labels");
  for (const auto& [key, value] : labels) {
    if (!IsLabelKey(key)) {
      // The key itself may be anything: quote a bounded, printable form of it.
      std::string shown;
      for (char c : key.substr(0, 64)) {
        shown += (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7E)
                     ? '?'
                     : c;
      }
      return Invalid("labels", "key \"" + shown + "\" must match [a-z][a-z0-9_.-]{0,62}");
    }
    if (value.size() > kMaxLabelValueLength) {
      return Invalid("labels." + key, "value is longer than 63 bytes");
    }
    for (unsigned char c : value) {
      if (c < 0x20 || c == 0x7F)
        return Invalid("labels." + key, "value contains a control character");
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateBounded(const std::string& field, const std::string& value, size_t max) {
  if (value.size() > max) {
    return Invalid(field, "is longer than " + std::to_string(max) + " bytes");
  }
  return absl::OkStatus();
}

absl::Status ValidatePageSize(int32_t page_size) {
  if (page_size < 0) return Invalid("page_size", "must not be negative");
  return absl::OkStatus();
}

bool IsIdChar(char c) { return (c >= 'a' && c <= 'z') || (c >= '2' && c <= '7'); }

}  // namespace

// --- Time -----------------------------------------------------------------------------------

void TimeToProto(engine::Time time, google::protobuf::Timestamp* out) {
  auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(time.time_since_epoch());
  int64_t seconds = nanos.count() / 1000000000;
  int64_t rest = nanos.count() % 1000000000;
  if (rest < 0) {  // Timestamp nanos are never negative
    rest += 1000000000;
    --seconds;
  }
  out->set_seconds(seconds);
  out->set_nanos(static_cast<int32_t>(rest));
}

absl::StatusOr<engine::Time> TimeFromProto(const std::string& field,
                                           const google::protobuf::Timestamp& time) {
  // engine::Time counts nanoseconds in 64 bits: about 1678 to 2262, narrower than Timestamp's
  // years 1 to 9999.
  constexpr int64_t kMaxSeconds = 9000000000;  // 2255
  if (time.seconds() < -kMaxSeconds || time.seconds() > kMaxSeconds || time.nanos() < 0 ||
      time.nanos() > 999999999) {
    return Invalid(field, "not a valid timestamp (or outside the years 1685 to 2255)");
  }
  return engine::Time(std::chrono::duration_cast<engine::Duration>(
      std::chrono::seconds(time.seconds()) + std::chrono::nanoseconds(time.nanos())));
}

// --- Requests -------------------------------------------------------------------------------

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

absl::StatusOr<engine::StartRequest> StartRequestFromProto(const v1::StartOperationRequest& request,
                                                           const std::string& principal,
                                                           engine::Duration max_timeout,
                                                           const core::Backend* backend) {
  if (absl::Status s = ValidateRequestId(request.request_id()); !s.ok()) return s;
  if (!request.has_spec()) return Invalid("spec", "is required");
  absl::StatusOr<core::OperationSpec> spec = SpecFromProto(request.spec(), "spec", backend);
  if (!spec.ok()) return spec.status();
  engine::StartRequest out;
  if (request.has_timeout()) {
    absl::StatusOr<engine::Duration> timeout =
        DurationFromProto("timeout", request.timeout(), max_timeout);
    if (!timeout.ok()) return timeout.status();
    out.timeout = *timeout;
  }
  if (absl::Status s = ValidateLabels(request.labels()); !s.ok()) return s;
  out.principal = principal;
  out.request_id = request.request_id();
  out.fingerprint = RequestFingerprint(request);
  out.spec = *std::move(spec);
  out.labels = std::map<std::string, std::string>(request.labels().begin(), request.labels().end());
  return out;
}

std::string RequestFingerprint(const v1::StartOperationRequest& request) {
  v1::StartOperationRequest copy = request;
  copy.clear_request_id();
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    copy.SerializeToCodedStream(&coded);
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr);
  std::string hex;
  char buf[3];
  for (unsigned int i = 0; i < length; ++i) {
    std::snprintf(buf, sizeof(buf), "%02x", digest[i]);
    hex += buf;
  }
  return hex;
}

absl::Status ValidateOperationId(const std::string& field, const std::string& id) {
  if (id.empty()) return Invalid(field, "is required");
  bool ok = id.size() == 3 + 26 && StartsWith(id, "op-");
  for (size_t i = 3; ok && i < id.size(); ++i) ok = IsIdChar(id[i]);
  if (!ok) return Invalid(field, "is not an operation id (\"op-\" and 26 characters of [a-z2-7])");
  return absl::OkStatus();
}

absl::StatusOr<std::string> OperationIdFromLroName(const std::string& field,
                                                   const std::string& name) {
  if (name.empty()) return Invalid(field, "is required");
  if (!StartsWith(name, kLroNamePrefix)) {
    return Invalid(field, "must be \"operations/<operation id>\"");
  }
  std::string id = name.substr(sizeof(kLroNamePrefix) - 1);
  if (absl::Status s = ValidateOperationId(field, id); !s.ok()) return s;
  return id;
}

absl::StatusOr<engine::ListRequest> ListRequestFromProto(const v1::ListOperationsRequest& request) {
  if (absl::Status s = ValidatePageSize(request.page_size()); !s.ok()) return s;
  if (absl::Status s = ValidateBounded("filter", request.filter(), kMaxFilterLength); !s.ok()) {
    return s;
  }
  if (absl::Status s = ValidateBounded("page_token", request.page_token(), kMaxPageTokenLength);
      !s.ok()) {
    return s;
  }
  return engine::ListRequest{request.filter(), request.page_size(), request.page_token()};
}

absl::StatusOr<engine::ListRequest> ListRequestFromProto(
    const google::longrunning::ListOperationsRequest& request) {
  // The collection: this server has one, named "operations" (empty means the same).
  if (!request.name().empty() && request.name() != "operations") {
    return Invalid("name", "must be \"operations\" or empty");
  }
  v1::ListOperationsRequest v1_request;
  v1_request.set_page_size(request.page_size());
  v1_request.set_page_token(request.page_token());
  v1_request.set_filter(request.filter());
  return ListRequestFromProto(v1_request);
}

absl::StatusOr<std::string> WatchFilterFromProto(const v1::WatchOperationsRequest& request) {
  if (absl::Status s = ValidateBounded("filter", request.filter(), kMaxFilterLength); !s.ok()) {
    return s;
  }
  return request.filter();
}

absl::StatusOr<core::Backend::BackupQuery> BackupQueryFromProto(
    const v1::ListBackupsRequest& request) {
  core::Backend::BackupQuery query;
  const std::string& location = request.location();
  if (location.size() > 255) return Invalid("location", "is longer than 255 bytes");
  for (unsigned char c : location) {
    if (c < 0x20 || c == 0x7F) return Invalid("location", "contains a control character");
  }
  if (location == "." || location == ".." || location.find_first_of("/\\:") != std::string::npos) {
    return Invalid("location", "must be a plain name, not a path");
  }
  query.location = location;
  if (request.has_gpo()) {
    const v1::GpoRef& gpo = request.gpo();
    switch (gpo.ref_case()) {
      case v1::GpoRef::kGuid:
        if (!core::NormalizeGuid(gpo.guid())) return Invalid("gpo.guid", "is not a GUID");
        break;
      case v1::GpoRef::kDisplayName:
        if (gpo.display_name().empty() || gpo.display_name().size() > 255) {
          return Invalid("gpo.display_name", "must be 1-255 bytes");
        }
        break;
      case v1::GpoRef::REF_NOT_SET:
        return Invalid("gpo", "exactly one of guid or display_name is required");
    }
    query.gpo = GpoFromProto(gpo);
  }
  return query;
}

absl::StatusOr<engine::Duration> DurationFromProto(const std::string& field,
                                                   const google::protobuf::Duration& duration,
                                                   engine::Duration max) {
  int64_t seconds = duration.seconds();
  int32_t nanos = duration.nanos();
  if (nanos <= -1000000000 || nanos >= 1000000000 || (seconds > 0 && nanos < 0) ||
      (seconds < 0 && nanos > 0)) {
    return Invalid(field, "is not a valid duration");
  }
  if (seconds < 0 || (seconds == 0 && nanos <= 0)) return Invalid(field, "must be positive");
  int64_t max_seconds = std::chrono::duration_cast<std::chrono::seconds>(max).count();
  if (seconds > max_seconds) {
    return Invalid(field, "must be at most " + std::to_string(max_seconds) + "s");
  }
  engine::Duration out = std::chrono::duration_cast<engine::Duration>(
      std::chrono::seconds(seconds) + std::chrono::nanoseconds(nanos));
  if (out > max) return Invalid(field, "must be at most " + std::to_string(max_seconds) + "s");
  return out;
}

// --- Records and stream items ---------------------------------------------------------------

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
