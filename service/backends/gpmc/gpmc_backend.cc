// The GPMC backend (see gpmc_backend.h and README.md).

#include "service/backends/gpmc/gpmc_backend.h"

#include <algorithm>
#include <optional>
#include <thread>
#include <utility>

#include "service/backends/gpmc/async_progress.h"
#include "service/backends/gpmc/com_util.h"
#include "service/backends/gpmc/gpmc_ids.h"
#include "service/backends/gpmc/hresult_error.h"
#include "service/core/guid.h"

namespace gpop::gpmc {
namespace {

using core::Code;
using core::Effects;
using core::Error;
using core::MakeError;
using core::Outcome;
using Access = core::ResourceClaim::Access;
namespace reason = core::reason;

// Runs `f(apartment_hr)` on a new thread that has joined the multithreaded apartment, and
// returns its value. Every COM call of the adapter happens on such a thread, so the engine's
// executor threads never need COM initialised.
template <typename F>
auto OnMtaThread(F f) -> decltype(f(S_OK)) {
  std::optional<decltype(f(S_OK))> out;
  std::thread worker([&] {
    ScopedMta mta;
    out.emplace(f(mta.hr()));
  });
  worker.join();
  return std::move(*out);
}

// OLE automation DATE (days since 1899-12-30, UTC here) -> system_clock.
std::chrono::system_clock::time_point FromDate(DATE date) {
  if (date == 0) return {};
  const double unix_seconds = (date - 25569.0) * 86400.0;
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::duration<double>(unix_seconds)));
}

template <typename Getter>
std::string ReadString(Getter get) {
  Bstr value;
  if (FAILED(get(value.Put()))) return std::string();
  return value.Utf8();
}

core::GpoInfo ReadGpo(IGPMGPO* gpo) {
  core::GpoInfo info;
  info.guid = ReadString([&](BSTR* s) { return gpo->get_ID(s); });
  if (auto normal = core::NormalizeGuid(info.guid)) info.guid = *normal;
  info.display_name = ReadString([&](BSTR* s) { return gpo->get_DisplayName(s); });
  info.domain = ReadString([&](BSTR* s) { return gpo->get_DomainName(s); });
  LONG user = 0, computer = 0;
  if (SUCCEEDED(gpo->get_UserDSVersionNumber(&user)) &&
      SUCCEEDED(gpo->get_ComputerDSVersionNumber(&computer))) {
    info.version = (static_cast<uint32_t>(user) << 16) | (static_cast<uint32_t>(computer) & 0xFFFF);
  }
  VARIANT_BOOL user_enabled = VARIANT_TRUE, computer_enabled = VARIANT_TRUE;
  gpo->IsUserEnabled(&user_enabled);
  gpo->IsComputerEnabled(&computer_enabled);
  info.flags = (user_enabled ? 0u : 1u) | (computer_enabled ? 0u : 2u);
  DATE date = 0;
  if (SUCCEEDED(gpo->get_CreationTime(&date))) info.created = FromDate(date);
  date = 0;
  if (SUCCEEDED(gpo->get_ModificationTime(&date))) info.modified = FromDate(date);
  return info;
}

// The resource name the engine's claims use for a GPO ("gpo:{GUID}").
std::string GpoResource(IGPMGPO* gpo) {
  const std::string id = ReadString([&](BSTR* s) { return gpo->get_ID(s); });
  return "gpo:" + core::NormalizeGuid(id).value_or(id);
}

core::BackupInfo ReadBackup(IGPMBackup* backup, const std::string& location) {
  core::BackupInfo info;
  info.location = location;
  info.backup_id = ReadString([&](BSTR* s) { return backup->get_ID(s); });
  if (auto normal = core::NormalizeGuid(info.backup_id)) info.backup_id = *normal;
  info.gpo_guid = ReadString([&](BSTR* s) { return backup->get_GPOID(s); });
  if (auto normal = core::NormalizeGuid(info.gpo_guid)) info.gpo_guid = *normal;
  info.gpo_display_name = ReadString([&](BSTR* s) { return backup->get_GPODisplayName(s); });
  info.domain = ReadString([&](BSTR* s) { return backup->get_GPODomain(s); });
  info.comment = ReadString([&](BSTR* s) { return backup->get_Comment(s); });
  DATE date = 0;
  if (SUCCEEDED(backup->get_Timestamp(&date))) info.time = FromDate(date);
  return info;
}

// The members of a GPMC collection (GPMGPOCollection, GPMBackupCollection), as interface `I`.
// Prefers the enumerator; falls back to Count/Item with the base probed.
template <typename I, typename Collection>
std::vector<ComPtr<I>> Members(Collection* collection) {
  std::vector<ComPtr<I>> out;
  auto add = [&](const Variant& item) {
    if (IUnknown* unknown = item.AsUnknown()) {
      if (auto member = ComPtr<IUnknown>::Share(unknown).template As<I>()) out.push_back(member);
    }
  };
  ComPtr<IEnumVARIANT> items;
  if (SUCCEEDED(collection->get__NewEnum(items.Put())) && items) {
    for (;;) {
      Variant item;
      ULONG fetched = 0;
      if (items->Next(1, item.get(), &fetched) != S_OK || fetched != 1) break;
      add(item);
    }
    return out;
  }
  LONG count = 0;
  if (FAILED(collection->get_Count(&count)) || count <= 0) return out;
  Variant first;
  const LONG base = SUCCEEDED(collection->get_Item(0, first.get())) ? 0 : 1;
  for (LONG i = base; i < base + count; ++i) {
    Variant item;
    if (SUCCEEDED(collection->get_Item(i, item.get()))) add(item);
  }
  return out;
}

std::string MigrationTableFile(const std::string& dir, const std::string& name) {
  std::string file = name;
  const std::string ext = ".migtable";
  if (file.size() < ext.size() ||
      _stricmp(file.c_str() + file.size() - ext.size(), ext.c_str()) != 0) {
    file += ext;
  }
  std::string path = dir;
  if (!path.empty() && path.back() != '\\' && path.back() != '/') path += '\\';
  return path + file;
}

Outcome FailedOutcome(Error error, Effects effects) {
  Outcome outcome;
  outcome.hresult = error.hresult;
  outcome.error = std::move(error);
  outcome.effects = effects;
  return outcome;
}

std::string Describe(const core::GpoRef& gpo) {
  return gpo.guid.empty() ? "GPO \"" + gpo.display_name + "\"" : "GPO " + gpo.guid;
}

}  // namespace

GpmFactory CoCreateGpm() {
  return [](IGPM** out) -> HRESULT {
    return CoCreateInstance(CLSID_GPM, nullptr, CLSCTX_INPROC_SERVER, IID_IGPM,
                            reinterpret_cast<void**>(out));
  };
}

// GpmcBackend::OperationRun
//
// One run, on one MTA thread: resolves the spec's objects, starts GPMC's asynchronous method,
// pumps its Status reports to the sink, forwards a cancel, and decides the outcome. Not
// thread-safe (used by its thread only); the StatusChannel is the only state GPMC's threads and
// the cancel token's callback touch.
class GpmcBackend::OperationRun {
 public:
  OperationRun(const GpmcBackend& backend, core::ProgressSink& sink, core::CancelToken& cancel)
      : backend_(backend), sink_(sink), cancel_(cancel) {}

  Outcome Execute(const core::RunRequest& request) {
    if (cancel_.cancel_requested()) return CancelledBeforeStart("starting");
    for (const core::ResourceClaim& claim : core::DefaultClaims(request.spec)) {
      if (auto error = Hold(claim)) return FailedOutcome(std::move(*error), Effects::kNone);
    }
    if (auto error = Connect()) return FailedOutcome(std::move(*error), Effects::kNone);
    Outcome outcome = std::visit([this](const auto& s) { return Start(s); }, request.spec);
    if (lingering_) KeepHeld(request.operation_id, &outcome);
    return outcome;
  }

  // Connects to GPMC and the domain; an error when that fails.
  std::optional<Error> Connect() {
    HRESULT hr = backend_.factory_(gpm_.Put());
    if (FAILED(hr) || !gpm_) return ErrorFromHresult(FAILED(hr) ? hr : E_POINTER, "creating GPM");
    const GpmcConfig& config = backend_.config_;
    hr =
        gpm_->GetDomain(Bstr::FromUtf8(config.domain).get(),
                        Bstr::FromUtf8(config.domain_controller).get(), GPM_USE_PDC, domain_.Put());
    if (FAILED(hr)) return ErrorFromHresult(hr, "opening domain \"" + config.domain + "\"");
    return std::nullopt;
  }

  core::Result<std::vector<ComPtr<IGPMGPO>>> SearchGpos(const std::string* display_name) {
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

  // Finds a GPO the run will read or write (`access`), refusing one that GPMC may still be
  // writing for an earlier operation.
  core::Result<ComPtr<IGPMGPO>> FindGpo(const core::GpoRef& ref, Access access) {
    auto gpo = LookUpGpo(ref);
    if (!gpo.ok()) return gpo;
    if (auto error = Hold({GpoResource(gpo->get()), access})) return *error;
    return gpo;
  }

  core::Result<ComPtr<IGPMGPO>> LookUpGpo(const core::GpoRef& ref) {
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

  core::Result<std::string> LocationDir(const std::string& location) const {
    const auto& locations = backend_.config_.backup_locations;
    auto it = locations.find(location);
    if (it == locations.end()) {
      return MakeError(Code::kNotFound, reason::kLocationNotFound,
                       "no backup location is named \"" + location + "\"",
                       {{"location", location}});
    }
    return it->second;
  }

  core::Result<ComPtr<IGPMBackup>> FindBackup(const core::BackupRef& ref) {
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

  // A VT_DISPATCH variant holding the named table, or an empty variant for no table.
  core::Result<Variant> MigrationTable(const std::string& name) {
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

  Outcome Start(const core::BackupSpec& spec) {
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
                        r = ReadBackup(b.get(), location);
                      }
                      return r;
                    });
  }

  Outcome Start(const core::RestoreSpec& spec) {
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

  Outcome Start(const core::ImportSpec& spec) {
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
        return FailedOutcome(
            MakeError(Code::kFailedPrecondition, reason::kGpoAmbiguous,
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
          return FailedOutcome(
              ErrorFromHresult(FAILED(hr) ? hr : E_POINTER,
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
    Ending ending = Drive([&](VARIANT* progress, VARIANT* cancel, IGPMResult** result) {
      return target->Import(flags, backup->get(), table->get(), progress, cancel, result);
    });
    const bool no_final = ending.how == Ending::How::kNoFinalStatus;
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

  Outcome Start(const core::CopySpec& spec) {
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

  Outcome Start(const core::ReportSpec& spec) {
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

 private:
  // How GPMC's side of an operation ended.
  struct Ending {
    enum class How { kCancelledBeforeStart, kStartFailed, kFinalStatus, kNoFinalStatus };
    How how = How::kFinalStatus;
    HRESULT hr = S_OK;                      // the deciding HRESULT
    bool any_status = false;                // GPMC called Status at least once
    bool cancel_requested = false;          // the token had fired when the end was decided
    bool cancel_won = false;                // GPMC succeeded, but the token had refused the commit
    bool cancel_accepted = false;           // GPMC's Cancel returned success
    bool cancel_watchdog = false;           // the post-cancel watchdog ended the wait
    std::optional<HRESULT> cancel_refused;  // GPMC's Cancel failed with this
    Variant result;                         // the final Status's result (or IGPMResult's)
  };

  using StartFn = std::function<HRESULT(VARIANT*, VARIANT*, IGPMResult**)>;

  // Records that the run uses `claim`; an error when an earlier operation that GPMC may still be
  // working on holds it.
  std::optional<Error> Hold(core::ResourceClaim claim) {
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

  // After an end without a final status: holds the run's claims until GPMC is known to be done
  // with it (the engine releases its own locks as soon as the run returns).
  void KeepHeld(const std::string& operation_id, Outcome* outcome) {
    const std::shared_ptr<InDoubtResources> in_doubt = backend_.in_doubt_;
    const InDoubtResources::MarkId mark = in_doubt->Mark(operation_id, claims_);
    std::string held;
    for (const core::ResourceClaim& claim : claims_)
      held += (held.empty() ? "" : ",") + claim.resource;
    if (outcome->error) outcome->error->metadata["held_resources"] = held;
    // At once if GPMC already let go (released the progress object, or reported late).
    lingering_->WhenGpmcDone([in_doubt, mark] { in_doubt->Clear(mark); });
  }

  static core::OperationResult GpoResult(const Variant& v) {
    core::OperationResult r;
    if (auto gpo = ComPtr<IUnknown>::Share(v.AsUnknown()).As<IGPMGPO>()) r = ReadGpo(gpo.get());
    return r;
  }

  Outcome CancelledBeforeStart(const std::string& when) {
    return FailedOutcome(MakeError(Code::kCancelled, reason::kCancelled,
                                   "cancelled before " + when + ": GPMC did no work"),
                         Effects::kNone);
  }

  // Deletes the GPO that import's create-if-needed made, and sets the effects accordingly.
  static void RemoveCreated(IGPMGPO* gpo, Outcome* outcome) {
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

  void Deliver(StatusReport& report) {
    if (report.denominator > 0) sink_.Progress(report.numerator, report.denominator);
    if (!report.messages.empty()) {
      sink_.Messages(std::move(report.messages), static_cast<uint32_t>(report.hr));
      report.messages.clear();
    }
  }

  // Starts GPMC's asynchronous method and waits for its end.
  Ending Drive(const StartFn& start) {
    Ending ending;
    auto channel = std::make_shared<StatusChannel>();
    const auto subscription = cancel_.Subscribe([channel] { channel->NoteCancelRequest(); });
    struct Unsubscribe {
      core::CancelToken& token;
      core::CancelToken::SubscriptionId id;
      std::shared_ptr<StatusChannel> channel;
      ~Unsubscribe() {
        token.Unsubscribe(id);
        channel->Close();
      }
    } unsubscribe{cancel_, subscription, channel};

    if (cancel_.cancel_requested()) {
      ending.how = Ending::How::kCancelledBeforeStart;
      ending.cancel_requested = true;
      return ending;
    }

    Variant cancel_var;
    ComPtr<IGPMResult> gpm_result;
    HRESULT hr;
    {
      ComPtr<IGPMAsyncProgress> progress = AsyncProgress::Create(channel, backend_.live_progress_);
      Variant progress_var = Variant::Dispatch(progress.get());
      hr = start(progress_var.get(), cancel_var.get(), gpm_result.Put());
      // Our references to the progress object end here; GPMC keeps its own as long as it needs.
    }

    if (FAILED(hr)) {
      // Deliver whatever GPMC reported before failing, then stop listening.
      StatusChannel::Batch batch = channel->Take();
      for (StatusReport& report : batch.reports) Deliver(report);
      ending.how = Ending::How::kStartFailed;
      ending.hr = hr;
      ending.any_status = channel->posts() > 0;
      ending.cancel_requested = cancel_.cancel_requested();
      return ending;
    }

    ComPtr<IGPMAsyncCancel> canceller =
        ComPtr<IUnknown>::Share(cancel_var.AsUnknown()).As<IGPMAsyncCancel>();
    bool cancel_sent = false;
    auto send_cancel = [&] {
      if (cancel_sent) return;
      cancel_sent = true;
      // Outside every lock: GPMC may call Status from inside Cancel.
      const HRESULT cancel_hr = canceller ? canceller->Cancel() : E_NOINTERFACE;
      if (SUCCEEDED(cancel_hr)) {
        ending.cancel_accepted = true;
        return;
      }
      // GPMC goes on with the work: say so, and keep waiting for its end.
      ending.cancel_refused = cancel_hr;
      core::StatusMessage note;
      note.severity = core::Severity::kWarning;
      note.error_code = static_cast<uint32_t>(cancel_hr);
      note.message = canceller
                         ? "GPMC refused the cancel request (" + HresultText(cancel_hr) +
                               ", HRESULT " + HresultHex(cancel_hr) + "); the operation goes on"
                         : "GPMC gave no way to cancel this operation; it goes on";
      sink_.Messages({std::move(note)}, static_cast<uint32_t>(cancel_hr));
    };

    // The watchdog: no Status for `watchdog_timeout`, or no final Status within
    // `cancel_watchdog_timeout` of an accepted Cancel. One timer, re-armed only when it fires
    // early or the expiry moves earlier.
    WatchdogClock& clock = *backend_.clock_;
    const GpmcConfig& config = backend_.config_;
    WatchdogClock::TimePoint expiry = clock.Now() + config.watchdog_timeout;
    Watchdog watchdog(clock, channel);
    watchdog.Arm(expiry);
    for (;;) {
      StatusChannel::Batch batch = channel->Wait();
      if (!batch.reports.empty() && !ending.cancel_accepted) {
        expiry = clock.Now() + config.watchdog_timeout;
      }
      for (StatusReport& report : batch.reports) {
        Deliver(report);
        if (report.final) {
          ending.how = Ending::How::kFinalStatus;
          ending.hr = report.hr;
          ending.result = std::move(report.result);
          ending.any_status = true;
          ending.cancel_requested = cancel_.cancel_requested();
          FinishFinal(gpm_result.get(), &ending);
          return ending;
        }
      }
      if (batch.cancel_requested) {
        send_cancel();
        if (ending.cancel_accepted) {
          expiry = std::min(expiry, clock.Now() + config.cancel_watchdog_timeout);
        }
      }
      if (batch.timer_fired && clock.Now() >= expiry) {
        // Ask GPMC to stop what it may still be doing (if not asked already), and give up.
        ending.cancel_watchdog = ending.cancel_accepted;
        send_cancel();
        ending.how = Ending::How::kNoFinalStatus;
        ending.any_status = channel->posts() > 0;
        ending.cancel_requested = cancel_.cancel_requested();
        lingering_ = channel;
        return ending;
      }
      if (batch.timer_fired || expiry < watchdog.armed()) watchdog.Arm(expiry);
    }
  }

  // The watchdog's one timer: fires into the channel; cancelled when re-armed or destroyed.
  class Watchdog {
   public:
    Watchdog(WatchdogClock& clock, std::shared_ptr<StatusChannel> channel)
        : clock_(clock), channel_(std::move(channel)) {}
    ~Watchdog() { Disarm(); }
    Watchdog(const Watchdog&) = delete;
    Watchdog& operator=(const Watchdog&) = delete;

    void Arm(WatchdogClock::TimePoint when) {
      Disarm();
      armed_ = when;
      timer_ = clock_.Schedule(when, [channel = channel_] { channel->NoteTimer(); });
    }
    WatchdogClock::TimePoint armed() const { return armed_; }

   private:
    void Disarm() {
      if (timer_ != 0) clock_.Cancel(timer_);
      timer_ = 0;
    }
    WatchdogClock& clock_;
    const std::shared_ptr<StatusChannel> channel_;
    WatchdogClock::TimerId timer_ = 0;
    WatchdogClock::TimePoint armed_;
  };

  // After a final Status: checks IGPMResult::OverallStatus as well (the method's own result
  // can fail while every Status succeeded), and takes the result from IGPMResult when the
  // final Status carried none.
  void FinishFinal(IGPMResult* gpm_result, Ending* ending) {
    if (FAILED(ending->hr) || !gpm_result) {
      if (SUCCEEDED(ending->hr)) Commit(ending);
      return;
    }
    const HRESULT overall = gpm_result->OverallStatus();
    if (FAILED(overall)) {
      ending->hr = overall;
      ComPtr<IGPMStatusMsgCollection> messages;
      if (SUCCEEDED(gpm_result->get_Status(messages.Put())) && messages) {
        auto copied = ReadStatusMessages(messages.get(), /*final_failure=*/true);
        if (!copied.empty()) sink_.Messages(std::move(copied), static_cast<uint32_t>(overall));
      }
      return;
    }
    if (ending->result.empty()) gpm_result->get_Result(ending->result.get());
    Commit(ending);
  }

  // The work is done: later cancel requests no longer apply (CancelToken's commit point). The
  // token refuses when a cancel took effect first: the engine then reports the operation as
  // cancelled, so the outcome must say so, with the effects GPMC really had.
  void Commit(Ending* ending) {
    if (!cancel_.BeginCommit()) ending->cancel_won = true;
  }

  Error FailureFromHresult(HRESULT hr, bool cancel_requested, const std::string& what) {
    if (cancel_requested && IsCancelHresult(hr)) {
      Error error = MakeError(Code::kCancelled, reason::kCancelled,
                              "cancelled: GPMC stopped " + what + " (" + HresultText(hr) +
                                  ", HRESULT " + HresultHex(hr) + ")",
                              {{"hresult", HresultHex(hr)}});
      error.hresult = static_cast<uint32_t>(hr);
      return error;
    }
    Error error = ErrorFromHresult(hr, what);
    if (cancel_requested) error.metadata["cancel_requested"] = "true";
    return error;
  }

  Outcome Conclude(Ending ending, const std::string& what, bool changes,
                   const std::function<core::OperationResult(const Variant&)>& to_result) {
    const std::optional<HRESULT> cancel_refused = ending.cancel_refused;
    Outcome outcome = Decide(std::move(ending), what, changes, to_result);
    if (cancel_refused && outcome.error) {
      outcome.error->metadata["cancel_hresult"] = HresultHex(*cancel_refused);
    }
    return outcome;
  }

  Outcome Decide(Ending ending, const std::string& what, bool changes,
                 const std::function<core::OperationResult(const Variant&)>& to_result) {
    const Effects unknown = changes ? Effects::kUnknown : Effects::kNone;
    switch (ending.how) {
      case Ending::How::kCancelledBeforeStart:
        return CancelledBeforeStart(what);
      case Ending::How::kStartFailed:
        return FailedOutcome(FailureFromHresult(ending.hr, ending.cancel_requested, what),
                             ending.any_status ? unknown : Effects::kNone);
      case Ending::How::kNoFinalStatus: {
        const GpmcConfig& config = backend_.config_;
        Error error;
        if (ending.cancel_watchdog) {
          const auto ms = config.cancel_watchdog_timeout.count();
          error = MakeError(Code::kDeadlineExceeded, reason::kNoFinalStatus,
                            "GPMC accepted the cancel but sent no final status while " + what +
                                " within " + std::to_string(ms) + " ms; its effects are unknown",
                            {{"cancel_watchdog_ms", std::to_string(ms)}});
        } else {
          const auto ms = config.watchdog_timeout.count();
          error = MakeError(Code::kDeadlineExceeded, reason::kNoFinalStatus,
                            "GPMC sent no final status while " + what + " (nothing for " +
                                std::to_string(ms) + " ms); its effects are unknown",
                            {{"watchdog_ms", std::to_string(ms)}});
        }
        if (ending.cancel_requested) error.metadata["cancel_requested"] = "true";
        return FailedOutcome(std::move(error), unknown);
      }
      case Ending::How::kFinalStatus:
        break;
    }
    if (FAILED(ending.hr)) {
      return FailedOutcome(FailureFromHresult(ending.hr, ending.cancel_requested, what), unknown);
    }
    const Effects done = changes ? Effects::kApplied : Effects::kNone;
    if (ending.cancel_won) {
      Error error =
          MakeError(Code::kCancelled, reason::kCancelled,
                    "cancelled, but GPMC had finished " + what + " before the cancel reached it: " +
                        (changes ? "its effects are applied" : "nothing changed"),
                    {{"completed_before_cancel", "true"}});
      error.hresult = static_cast<uint32_t>(ending.hr);
      return FailedOutcome(std::move(error), done);
    }
    Outcome outcome;
    outcome.hresult = static_cast<uint32_t>(ending.hr);
    outcome.effects = done;
    outcome.result = to_result(ending.result);
    return outcome;
  }

  const GpmcBackend& backend_;
  core::ProgressSink& sink_;
  core::CancelToken& cancel_;
  ComPtr<IGPM> gpm_;
  ComPtr<IGPMDomain> domain_;
  std::vector<core::ResourceClaim> claims_;  // what the run reads and writes
  // The channel of a GPMC call that ended without a final status (GPMC may still be working).
  std::shared_ptr<StatusChannel> lingering_;
};

GpmcBackend::GpmcBackend(GpmcConfig config, GpmFactory factory, WatchdogClock* clock)
    : config_(std::move(config)),
      factory_(std::move(factory)),
      live_progress_(std::make_shared<std::atomic<long>>(0)),
      own_clock_(clock ? nullptr : std::make_unique<SteadyWatchdogClock>()),
      clock_(clock ? clock : own_clock_.get()),
      in_doubt_(std::make_shared<InDoubtResources>()) {}

GpmcBackend::~GpmcBackend() = default;

core::Status GpmcBackend::Validate(const core::OperationSpec& spec) const {
  auto check_location = [this](const std::string& field, const std::string& name) -> core::Status {
    if (config_.backup_locations.count(name)) return core::Status();
    return MakeError(Code::kNotFound, reason::kLocationNotFound,
                     field + ": no backup location is named \"" + name + "\"",
                     {{"field", field}, {"location", name}});
  };
  auto check_table = [this](const std::string& field, const std::string& name) -> core::Status {
    if (name.empty() || !config_.migration_table_dir.empty()) return core::Status();
    return MakeError(Code::kFailedPrecondition, reason::kUnsupported,
                     field + ": this server has no migration-table directory configured",
                     {{"field", field}});
  };
  if (const auto* s = std::get_if<core::BackupSpec>(&spec)) {
    return check_location("backup.location", s->location);
  }
  if (const auto* s = std::get_if<core::RestoreSpec>(&spec)) {
    return check_location("restore.backup.location", s->backup.location);
  }
  if (const auto* s = std::get_if<core::ImportSpec>(&spec)) {
    if (auto st = check_location("import.backup.location", s->backup.location); !st.ok()) return st;
    return check_table("import.migration_table", s->migration_table);
  }
  if (const auto* s = std::get_if<core::CopySpec>(&spec)) {
    return check_table("copy.migration_table", s->migration_table);
  }
  const auto& report = std::get<core::ReportSpec>(spec);
  if (report.format == core::ReportFormat::kMigrationTable) {
    // GPMC builds migration tables synchronously (IGPMMigrationTable::Add), not as a report.
    return MakeError(Code::kUnimplemented, reason::kUnsupported,
                     "report.format: MIGRATION_TABLE templates are made by the sysvol backend "
                     "only; on Windows use GPMC's migration table editor",
                     {{"field", "report.format"}});
  }
  if (const auto* b = std::get_if<core::BackupRef>(&report.subject)) {
    return check_location("report.backup.location", b->location);
  }
  return core::Status();
}

core::Outcome GpmcBackend::Run(const core::RunRequest& request, core::ProgressSink& sink,
                               core::CancelToken& cancel) {
  return OnMtaThread([&](HRESULT apartment) -> Outcome {
    if (FAILED(apartment)) {
      return FailedOutcome(ErrorFromHresult(apartment, "joining the COM multithreaded apartment"),
                           Effects::kNone);
    }
    OperationRun run(*this, sink, cancel);
    return run.Execute(request);
  });
}

core::Result<std::vector<core::GpoInfo>> GpmcBackend::ListGpos() const {
  return OnMtaThread([&](HRESULT apartment) -> core::Result<std::vector<core::GpoInfo>> {
    if (FAILED(apartment)) return ErrorFromHresult(apartment, "joining the COM MTA");
    core::CancelToken unused_token;
    struct NoSink : core::ProgressSink {
      void Progress(int64_t, int64_t) override {}
      void Messages(std::vector<core::StatusMessage>, std::optional<uint32_t>) override {}
    } no_sink;
    OperationRun run(*this, no_sink, unused_token);
    if (auto error = run.Connect()) return *error;
    auto found = run.SearchGpos(nullptr);
    if (!found.ok()) return found.error();
    std::vector<core::GpoInfo> out;
    for (const auto& gpo : *found) out.push_back(ReadGpo(gpo.get()));
    return out;
  });
}

core::Result<std::vector<core::BackupInfo>> GpmcBackend::ListBackups(
    const BackupQuery& query) const {
  return OnMtaThread([&](HRESULT apartment) -> core::Result<std::vector<core::BackupInfo>> {
    if (FAILED(apartment)) return ErrorFromHresult(apartment, "joining the COM MTA");
    auto it = config_.backup_locations.find(query.location);
    if (it == config_.backup_locations.end()) {
      return MakeError(Code::kNotFound, reason::kLocationNotFound,
                       "no backup location is named \"" + query.location + "\"");
    }
    ComPtr<IGPM> gpm;
    HRESULT hr = factory_(gpm.Put());
    if (FAILED(hr) || !gpm) return ErrorFromHresult(FAILED(hr) ? hr : E_POINTER, "creating GPM");
    ComPtr<IGPMBackupDir> dir;
    hr = gpm->GetBackupDir(Bstr::FromUtf8(it->second).get(), dir.Put());
    if (FAILED(hr)) {
      return ErrorFromHresult(hr, "opening backup location \"" + query.location + "\"",
                              reason::kLocationNotFound);
    }
    ComPtr<IGPMSearchCriteria> criteria;
    hr = gpm->CreateSearchCriteria(criteria.Put());
    if (SUCCEEDED(hr) && !query.gpo.guid.empty()) {
      Variant id = Variant::String(core::NormalizeGuid(query.gpo.guid).value_or(query.gpo.guid));
      hr = criteria->Add(gpoID, opEquals, *id.get());
    } else if (SUCCEEDED(hr) && !query.gpo.display_name.empty()) {
      Variant name = Variant::String(query.gpo.display_name);
      hr = criteria->Add(gpoDisplayName, opEquals, *name.get());
    }
    ComPtr<IGPMBackupCollection> found;
    if (SUCCEEDED(hr)) hr = dir->SearchBackups(criteria.get(), found.Put());
    if (FAILED(hr)) return ErrorFromHresult(hr, "searching backups");
    std::vector<core::BackupInfo> out;
    for (const auto& backup : Members<IGPMBackup>(found.get())) {
      out.push_back(ReadBackup(backup.get(), query.location));
    }
    return out;
  });
}

}  // namespace gpop::gpmc
