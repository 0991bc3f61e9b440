// One GPMC operation run (see operation_run.h).

#include "service/backends/gpmc/operation_run.h"

#include <utility>

#include "service/backends/gpmc/gpmc_objects.h"
#include "service/backends/gpmc/hresult_error.h"
#include "service/core/guid.h"

namespace gpop::gpmc {

using core::Code;
using core::Effects;
using core::Error;
using core::MakeError;
using core::Outcome;
namespace reason = core::reason;

Outcome GpmcBackend::OperationRun::Execute(const core::RunRequest& request) {
  if (cancel_.cancel_requested()) return CancelledBeforeStart("starting");
  for (const core::ResourceClaim& claim : core::DefaultClaims(request.spec)) {
    if (auto error = Hold(claim)) return FailedOutcome(std::move(*error), Effects::kNone);
  }
  if (auto error = Connect()) return FailedOutcome(std::move(*error), Effects::kNone);
  Outcome outcome = std::visit([this](const auto& s) { return Start(s); }, request.spec);
  if (lingering_) KeepHeld(request.operation_id, &outcome);
  return outcome;
}

std::optional<Error> GpmcBackend::OperationRun::Connect() {
  HRESULT hr = backend_.factory_(gpm_.Put());
  if (FAILED(hr) || !gpm_) return ErrorFromHresult(FAILED(hr) ? hr : E_POINTER, "creating GPM");
  const GpmcConfig& config = backend_.config_;
  hr = gpm_->GetDomain(Bstr::FromUtf8(config.domain).get(),
                       Bstr::FromUtf8(config.domain_controller).get(), GPM_USE_PDC, domain_.Put());
  if (FAILED(hr)) return ErrorFromHresult(hr, "opening domain \"" + config.domain + "\"");
  return std::nullopt;
}

core::Result<std::vector<ComPtr<IGPMGPO>>> GpmcBackend::OperationRun::SearchGpos(
    const std::string* display_name) {
  ComPtr<IGPMSearchCriteria> criteria;
  HRESULT hr = gpm_->CreateSearchCriteria(criteria.Put());
  if (SUCCEEDED(hr) && display_name) {
    Variant name = Variant::String(*display_name);
    hr = criteria->Add(gpoDisplayName, opEquals, *name.get());
  }
  ComPtr<IGPMGPOCollection> found;
  if (SUCCEEDED(hr)) hr = domain_->SearchGPOs(criteria.get(), found.Put());
  if (FAILED(hr)) return ErrorFromHresult(hr, "searching GPOs", reason::kGpoNotFound);
  return Members<IGPMGPO>(found.get());
}

core::Result<ComPtr<IGPMGPO>> GpmcBackend::OperationRun::FindGpo(const core::GpoRef& ref,
                                                                 Access access) {
  auto gpo = LookUpGpo(ref);
  if (!gpo.ok()) return gpo;
  if (auto error = Hold({GpoResource(gpo->get()), access})) return *error;
  return gpo;
}

core::Result<ComPtr<IGPMGPO>> GpmcBackend::OperationRun::LookUpGpo(const core::GpoRef& ref) {
  if (!ref.guid.empty()) {
    ComPtr<IGPMGPO> gpo;
    const std::string guid = core::NormalizeGuid(ref.guid).value_or(ref.guid);
    HRESULT hr = domain_->GetGPO(Bstr::FromUtf8(guid).get(), gpo.Put());
    if (FAILED(hr) || !gpo) {
      return ErrorFromHresult(FAILED(hr) ? hr : E_POINTER, "looking up " + Describe(ref),
                              reason::kGpoNotFound);
    }
    return gpo;
  }
  auto found = SearchGpos(&ref.display_name);
  if (!found.ok()) return found.error();
  if (found->empty()) {
    return MakeError(Code::kNotFound, reason::kGpoNotFound,
                     "no GPO is named \"" + ref.display_name + "\"",
                     {{"display_name", ref.display_name}});
  }
  if (found->size() > 1) {
    return MakeError(Code::kFailedPrecondition, reason::kGpoAmbiguous,
                     std::to_string(found->size()) + " GPOs are named \"" + ref.display_name +
                         "\": name the GPO by GUID",
                     {{"display_name", ref.display_name}});
  }
  return found->front();
}

core::Result<std::string> GpmcBackend::OperationRun::LocationDir(
    const std::string& location) const {
  const auto& locations = backend_.config_.backup_locations;
  auto it = locations.find(location);
  if (it == locations.end()) {
    return MakeError(Code::kNotFound, reason::kLocationNotFound,
                     "no backup location is named \"" + location + "\"", {{"location", location}});
  }
  return it->second;
}

core::Result<ComPtr<IGPMBackup>> GpmcBackend::OperationRun::FindBackup(const core::BackupRef& ref) {
  auto dir = LocationDir(ref.location);
  if (!dir.ok()) return dir.error();
  ComPtr<IGPMBackupDir> backup_dir;
  HRESULT hr = gpm_->GetBackupDir(Bstr::FromUtf8(*dir).get(), backup_dir.Put());
  if (FAILED(hr)) {
    return ErrorFromHresult(hr, "opening backup location \"" + ref.location + "\"",
                            reason::kLocationNotFound);
  }
  ComPtr<IGPMBackup> backup;
  const std::string id = core::NormalizeGuid(ref.backup_id).value_or(ref.backup_id);
  hr = backup_dir->GetBackup(Bstr::FromUtf8(id).get(), backup.Put());
  if (FAILED(hr) || !backup) {
    return ErrorFromHresult(FAILED(hr) ? hr : E_POINTER, "looking up backup " + id,
                            reason::kBackupNotFound);
  }
  return backup;
}

core::Result<Variant> GpmcBackend::OperationRun::MigrationTable(const std::string& name) {
  if (name.empty()) return Variant();
  const std::string& dir = backend_.config_.migration_table_dir;
  if (dir.empty()) {
    return MakeError(Code::kFailedPrecondition, reason::kUnsupported,
                     "no migration-table directory is configured");
  }
  ComPtr<IGPMMigrationTable> table;
  HRESULT hr =
      gpm_->GetMigrationTable(Bstr::FromUtf8(MigrationTableFile(dir, name)).get(), table.Put());
  if (FAILED(hr) || !table) {
    return ErrorFromHresult(FAILED(hr) ? hr : E_POINTER,
                            "opening migration table \"" + name + "\"");
  }
  return Variant::Dispatch(table.get());
}

Outcome GpmcBackend::OperationRun::Start(const core::BackupSpec& spec) {
  auto gpo = FindGpo(spec.gpo, Access::kRead);
  if (!gpo.ok()) return FailedOutcome(gpo.error(), Effects::kNone);
  auto dir = LocationDir(spec.location);
  if (!dir.ok()) return FailedOutcome(dir.error(), Effects::kNone);
  Bstr path = Bstr::FromUtf8(*dir);
  Bstr comment = Bstr::FromUtf8(spec.comment);
  const std::string location = spec.location;
  return Conclude(Drive([&](VARIANT* progress, VARIANT* cancel, IGPMResult** result) {
                    return (*gpo)->Backup(path.get(), comment.get(), progress, cancel, result);
                  }),
                  "backing up " + Describe(spec.gpo), /*changes=*/true, [&](const Variant& v) {
                    core::OperationResult r;
                    if (auto b = ComPtr<IUnknown>::Share(v.AsUnknown()).As<IGPMBackup>()) {
                      core::BackupInfo info = ReadBackup(b.get(), location);
                      // What GPMC wrote, measured on disk (gpop_backup_bytes_total).
                      info.bytes_written = BackupFolderBytes(*dir, info.backup_id);
                      r = std::move(info);
                    }
                    return r;
                  });
}

Outcome GpmcBackend::OperationRun::Start(const core::RestoreSpec& spec) {
  auto backup = FindBackup(spec.backup);
  if (!backup.ok()) return FailedOutcome(backup.error(), Effects::kNone);
  // RestoreGPO writes the GPO the backup was made of.
  const std::string restored = ReadString([&](BSTR* s) { return (*backup)->get_GPOID(s); });
  if (!restored.empty()) {
    const std::string guid = core::NormalizeGuid(restored).value_or(restored);
    if (auto error = Hold({"gpo:" + guid, Access::kWrite})) {
      return FailedOutcome(std::move(*error), Effects::kNone);
    }
  }
  return Conclude(Drive([&](VARIANT* progress, VARIANT* cancel, IGPMResult** result) {
                    return domain_->RestoreGPO(backup->get(), /*lDCFlags=*/0, progress, cancel,
                                               result);
                  }),
                  "restoring backup " + spec.backup.backup_id, /*changes=*/true, GpoResult);
}

Outcome GpmcBackend::OperationRun::Start(const core::ImportSpec& spec) {
  auto backup = FindBackup(spec.backup);
  if (!backup.ok()) return FailedOutcome(backup.error(), Effects::kNone);
  auto table = MigrationTable(spec.migration_table);
  if (!table.ok()) return FailedOutcome(table.error(), Effects::kNone);

  ComPtr<IGPMGPO> target;
  bool created = false;
  if (spec.create_if_needed) {
    auto found = SearchGpos(&spec.target.display_name);
    if (!found.ok()) return FailedOutcome(found.error(), Effects::kNone);
    if (found->size() > 1) {
      return FailedOutcome(MakeError(Code::kFailedPrecondition, reason::kGpoAmbiguous,
                                     std::to_string(found->size()) + " GPOs are named \"" +
                                         spec.target.display_name + "\": name the target by GUID"),
                           Effects::kNone);
    }
    if (found->size() == 1) {
      target = found->front();
      if (auto error = Hold({GpoResource(target.get()), Access::kWrite})) {
        return FailedOutcome(std::move(*error), Effects::kNone);
      }
    } else {
      if (cancel_.cancel_requested()) return CancelledBeforeStart("creating the target GPO");
      HRESULT hr = domain_->CreateGPO(target.Put());
      if (FAILED(hr) || !target) {
        return FailedOutcome(ErrorFromHresult(FAILED(hr) ? hr : E_POINTER,
                                              "creating GPO \"" + spec.target.display_name + "\""),
                             Effects::kNone);
      }
      created = true;
      hr = target->put_DisplayName(Bstr::FromUtf8(spec.target.display_name).get());
      if (FAILED(hr)) {
        Outcome outcome = FailedOutcome(
            ErrorFromHresult(hr, "naming new GPO \"" + spec.target.display_name + "\""),
            Effects::kUnknown);
        RemoveCreated(target.get(), &outcome);
        return outcome;
      }
    }
  } else {
    auto gpo = FindGpo(spec.target, Access::kWrite);
    if (!gpo.ok()) return FailedOutcome(gpo.error(), Effects::kNone);
    target = *gpo;
  }

  const LONG flags = spec.migration_table_only ? GPM_MIGRATIONTABLE_ONLY : 0;
  CallEnding ending = Drive([&](VARIANT* progress, VARIANT* cancel, IGPMResult** result) {
    return target->Import(flags, backup->get(), table->get(), progress, cancel, result);
  });
  const bool no_final = ending.how == CallEnding::How::kNoFinalStatus;
  Outcome outcome =
      Conclude(std::move(ending),
               "importing backup " + spec.backup.backup_id + " into " + Describe(spec.target),
               /*changes=*/true, GpoResult);
  if (created && outcome.error) {
    if (no_final) {
      // GPMC may still be working on it: leave it, and say so.
      outcome.error->metadata["created_gpo_left"] = ReadGpo(target.get()).guid;
    } else {
      RemoveCreated(target.get(), &outcome);
    }
  }
  if (created && !outcome.error) {
    if (auto* gpo = std::get_if<core::GpoInfo>(&outcome.result)) {
      if (gpo->guid.empty()) *gpo = ReadGpo(target.get());
    }
  }
  return outcome;
}

Outcome GpmcBackend::OperationRun::Start(const core::CopySpec& spec) {
  auto source = FindGpo(spec.source, Access::kRead);
  if (!source.ok()) return FailedOutcome(source.error(), Effects::kNone);
  auto table = MigrationTable(spec.migration_table);
  if (!table.ok()) return FailedOutcome(table.error(), Effects::kNone);
  LONG flags = 0;
  if (spec.migration_table_only) flags |= GPM_MIGRATIONTABLE_ONLY;
  if (spec.copy_acl) flags |= GPM_PROCESS_SECURITY;
  Variant new_name = Variant::String(spec.new_display_name);
  return Conclude(Drive([&](VARIANT* progress, VARIANT* cancel, IGPMResult** result) {
                    return (*source)->CopyTo(flags, domain_.get(), new_name.get(), table->get(),
                                             progress, cancel, result);
                  }),
                  "copying " + Describe(spec.source) + " to \"" + spec.new_display_name + "\"",
                  /*changes=*/true, GpoResult);
}

Outcome GpmcBackend::OperationRun::Start(const core::ImportSetSpec&) {
  return FailedOutcome(ImportSetUnimplemented(), Effects::kNone);
}

Outcome GpmcBackend::OperationRun::Start(const core::ReportSpec& spec) {
  const GPMReportType type = spec.format == core::ReportFormat::kHtml ? repHTML : repXML;
  const core::ReportFormat format = spec.format;
  auto to_report = [format](const Variant& v) {
    core::OperationResult r;
    if (v.get()->vt == VT_BSTR) {
      BSTR text = v.get()->bstrVal;
      r = core::ReportInfo{format, WideToUtf8(text, SysStringLen(text))};
    }
    return r;
  };
  if (const auto* gpo_ref = std::get_if<core::GpoRef>(&spec.subject)) {
    auto gpo = FindGpo(*gpo_ref, Access::kRead);
    if (!gpo.ok()) return FailedOutcome(gpo.error(), Effects::kNone);
    return Conclude(Drive([&](VARIANT* progress, VARIANT* cancel, IGPMResult** result) {
                      return (*gpo)->GenerateReport(type, progress, cancel, result);
                    }),
                    "reporting on " + Describe(*gpo_ref), /*changes=*/false, to_report);
  }
  const auto& backup_ref = std::get<core::BackupRef>(spec.subject);
  auto backup = FindBackup(backup_ref);
  if (!backup.ok()) return FailedOutcome(backup.error(), Effects::kNone);
  return Conclude(Drive([&](VARIANT* progress, VARIANT* cancel, IGPMResult** result) {
                    return (*backup)->GenerateReport(type, progress, cancel, result);
                  }),
                  "reporting on backup " + backup_ref.backup_id, /*changes=*/false, to_report);
}

std::optional<Error> GpmcBackend::OperationRun::Hold(core::ResourceClaim claim) {
  if (auto holder = backend_.in_doubt_->Conflict(claim)) {
    return MakeError(Code::kFailedPrecondition, kGpmcStillWorking,
                     "GPMC may still be working on " + claim.resource + " for operation " +
                         *holder +
                         ", which ended without a final status; try again once GPMC is done "
                         "(or after restarting gpopd)",
                     {{"resource", claim.resource}, {"in_doubt_operation", *holder}});
  }
  claims_.push_back(std::move(claim));
  return std::nullopt;
}

void GpmcBackend::OperationRun::KeepHeld(const std::string& operation_id, Outcome* outcome) {
  const std::shared_ptr<InDoubtResources> in_doubt = backend_.in_doubt_;
  const InDoubtResources::MarkId mark = in_doubt->Mark(operation_id, claims_);
  std::string held;
  for (const core::ResourceClaim& claim : claims_)
    held += (held.empty() ? "" : ",") + claim.resource;
  if (outcome->error) outcome->error->metadata["held_resources"] = held;
  // At once if GPMC already let go (released the progress object, or reported late).
  lingering_->WhenGpmcDone([in_doubt, mark] { in_doubt->Clear(mark); });
}

core::OperationResult GpmcBackend::OperationRun::GpoResult(const Variant& v) {
  core::OperationResult r;
  if (auto gpo = ComPtr<IUnknown>::Share(v.AsUnknown()).As<IGPMGPO>()) r = ReadGpo(gpo.get());
  return r;
}

void GpmcBackend::OperationRun::RemoveCreated(IGPMGPO* gpo, Outcome* outcome) {
  const std::string guid = ReadGpo(gpo).guid;
  const HRESULT hr = gpo->Delete();
  if (SUCCEEDED(hr)) {
    outcome->effects = Effects::kNone;
    outcome->error->metadata["created_gpo_deleted"] = guid;
  } else {
    outcome->effects = Effects::kUnknown;
    outcome->error->metadata["created_gpo_left"] = guid;
    outcome->error->metadata["delete_hresult"] = HresultHex(hr);
  }
}

CallEnding GpmcBackend::OperationRun::Drive(const AsyncCall::StartFn& start) {
  AsyncCall call(sink_, cancel_, *backend_.clock_, backend_.config_, backend_.live_progress_);
  CallEnding ending = call.Drive(start);
  if (call.lingering()) lingering_ = call.lingering();
  return ending;
}

Outcome GpmcBackend::OperationRun::Conclude(
    CallEnding ending, const std::string& what, bool changes,
    const std::function<core::OperationResult(const Variant&)>& to_result) {
  return ConcludeCall(std::move(ending), what, changes, to_result, backend_.config_);
}

}  // namespace gpop::gpmc
