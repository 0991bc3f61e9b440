// The GPMC backend (see gpmc_backend.h and README.md).

#include "service/backends/gpmc/gpmc_backend.h"

#include <algorithm>
#include <optional>
#include <thread>
#include <utility>

#include "service/backends/gpmc/call_outcome.h"
#include "service/backends/gpmc/com_util.h"
#include "service/backends/gpmc/gpmc_ids.h"
#include "service/backends/gpmc/gpmc_objects.h"
#include "service/backends/gpmc/hresult_error.h"
#include "service/backends/gpmc/operation_run.h"
#include "service/core/guid.h"

namespace gpop::gpmc {
namespace {

using core::Code;
using core::Effects;
using core::MakeError;
using core::Outcome;
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

}  // namespace

GpmFactory CoCreateGpm() {
  return [](IGPM** out) -> HRESULT {
    return CoCreateInstance(CLSID_GPM, nullptr, CLSCTX_INPROC_SERVER, IID_IGPM,
                            reinterpret_cast<void**>(out));
  };
}

GpmcBackend::GpmcBackend(GpmcConfig config, GpmFactory factory, WatchdogClock* clock)
    : config_(std::move(config)),
      factory_(std::move(factory)),
      live_progress_(std::make_shared<std::atomic<long>>(0)),
      own_clock_(clock ? nullptr : std::make_unique<SteadyWatchdogClock>()),
      clock_(clock ? clock : own_clock_.get()),
      in_doubt_(std::make_shared<InDoubtResources>()) {}

GpmcBackend::~GpmcBackend() = default;

core::Error ImportSetUnimplemented() {
  return MakeError(Code::kUnimplemented, reason::kUnsupported,
                   "import_set: the GPMC backend imports one GPO per operation (GPMC promises no "
                   "rollback, so a cancelled set could not say which GPOs are untouched); start "
                   "one import per backup, or use the sysvol backend",
                   {{"field", "import_set"}});
}

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
  if (std::holds_alternative<core::ImportSetSpec>(spec)) return ImportSetUnimplemented();
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
