// The sysvol backend's dispatch: configuration, validation, claims and the routing of each
// operation to its file under ops/ (see sysvol_backend.h).

#include "service/backends/sysvol/sysvol_backend.h"

#include <algorithm>
#include <utility>

#include "service/backends/sysvol/backup_folder.h"
#include "service/backends/sysvol/backup_reader.h"
#include "service/backends/sysvol/format/text_util.h"
#include "service/backends/sysvol/ops/backup.h"
#include "service/backends/sysvol/ops/copy.h"
#include "service/backends/sysvol/ops/import.h"
#include "service/backends/sysvol/ops/import_set.h"
#include "service/backends/sysvol/ops/op_util.h"
#include "service/backends/sysvol/ops/report.h"
#include "service/backends/sysvol/ops/restore.h"
#include "service/backends/sysvol/txn/backup_publish.h"
#include "service/backends/sysvol/txn/recovery.h"
#include "service/core/guid.h"

namespace gpop::sysvol {

namespace fs = std::filesystem;

SysvolBackend::SysvolBackend(SysvolConfig config, std::unique_ptr<MetadataStore> metadata,
                             std::string read_only_reason)
    : config_(std::move(config)),
      metadata_(std::move(metadata)),
      store_(config_, metadata_.get()),
      locations_(config_.backup_locations, config_.default_backup_location),
      read_only_reason_(std::move(read_only_reason)),
      domain_controller_(DomainControllerName(config_.domain_controller, config_.domain)),
      ctx_{config_, *metadata_, store_, locations_, admx_, faults_, domain_controller_} {}

core::Result<std::unique_ptr<SysvolBackend>> SysvolBackend::Open(const SysvolConfig& config_in) {
  SysvolConfig config = config_in;
  if (core::Status s =
          BackupLocations::Check(config.backup_locations, &config.default_backup_location);
      !s.ok()) {
    return s.error();
  }
  if (config.domain.empty()) return core::InvalidField("sysvol.domain", "is required");
  if (!config.domain_guid.empty()) {
    std::optional<std::string> g = core::NormalizeGuid(config.domain_guid);
    if (!g) return core::InvalidField("sysvol.domain_guid", "is not a GUID");
    config.domain_guid =
        internal::AsciiLower(*g);  // bkupInfo.xml holds it in lower case, as Windows does
  }
  std::string reason;
  if (config.read_only) {
    reason = "configured read-only";
  } else if (config.detect_running_dc) {
    if (std::optional<std::string> dc = DetectRunningDc(config.sysvol_dir)) reason = *dc;
  }
  core::Result<std::unique_ptr<MetadataStore>> metadata = MetadataStore::Open(config.metadata_db);
  if (!metadata.ok()) return metadata.error();
  std::unique_ptr<SysvolBackend> backend(
      new SysvolBackend(std::move(config), std::move(*metadata), std::move(reason)));
  core::Result<Dir> policies = backend->store_.OpenPolicies();
  if (!policies.ok()) return policies.error();
  return backend;
}

core::Result<std::unique_ptr<SysvolBackend>> OpenSysvolBackend(const SysvolConfig& config) {
  return SysvolBackend::Open(config);
}

std::unique_ptr<core::Backend> MakeSysvolBackend(const SysvolConfig& config, core::Error* error) {
  core::Result<std::unique_ptr<SysvolBackend>> backend = SysvolBackend::Open(config);
  if (!backend.ok()) {
    if (error != nullptr) *error = backend.error();
    return nullptr;
  }
  return std::move(backend).value();
}

void SysvolBackend::SetFaultHookForTesting(FaultHook hook) { faults_.Set(std::move(hook)); }

void SysvolBackend::SetIoFaultHookForTesting(IoFaultHook hook) { faults_.SetIo(std::move(hook)); }

core::Status SysvolBackend::Validate(const core::OperationSpec& spec) const {
  if (core::Status s = core::ValidateSpec(spec); !s.ok()) return s;
  switch (core::KindOf(spec)) {
    case core::OperationKind::kRestore:
    case core::OperationKind::kImport:
    case core::OperationKind::kImportSet:
    case core::OperationKind::kCopy: {
      if (read_only()) {
        return core::MakeError(core::Code::kFailedPrecondition, core::reason::kReadOnly,
                               std::string("the GPO store is read-only (") + read_only_reason_ +
                                   "): " + core::KindName(core::KindOf(spec)) +
                                   " would change it; only backup and report run");
      }
      const core::BackupRef* backup = nullptr;
      if (const auto* r = std::get_if<core::RestoreSpec>(&spec)) backup = &r->backup;
      if (const auto* i = std::get_if<core::ImportSpec>(&spec)) backup = &i->backup;
      if (backup != nullptr) {
        if (core::Result<BackupLocation> l = locations_.Resolve(backup->location); !l.ok()) {
          return l.error();
        }
      }
      if (const auto* set = std::get_if<core::ImportSetSpec>(&spec)) {
        if (core::Result<BackupLocation> l = locations_.Resolve(set->location); !l.ok()) {
          return l.error();
        }
      }
      return core::Status();
    }
    case core::OperationKind::kBackup: {
      const auto& b = std::get<core::BackupSpec>(spec);
      if (core::Result<BackupLocation> l = locations_.Resolve(b.location); !l.ok()) {
        return l.error();
      }
      return core::Status();
    }
    case core::OperationKind::kReport: {
      const auto& r = std::get<core::ReportSpec>(spec);
      if (const auto* backup = std::get_if<core::BackupRef>(&r.subject)) {
        if (core::Result<BackupLocation> l = locations_.Resolve(backup->location); !l.ok()) {
          return l.error();
        }
      }
      return core::Status();
    }
  }
  return core::Status();
}

namespace {

using Access = core::ResourceClaim::Access;

// The claim on a GPO's display name, as core::DefaultClaims names one ("gpo-name:" and the name
// in lower case).
core::ResourceClaim NameClaim(const std::string& display_name, Access access) {
  return {"gpo-name:" + internal::AsciiLower(display_name), access};
}

}  // namespace

core::OperationSpec SysvolBackend::Resolved(const core::OperationSpec& spec,
                                            std::vector<core::ResourceClaim>* names) const {
  core::OperationSpec named = spec;
  // The default location is claimed by its name, so that "" and the explicit name conflict.
  auto location = [&](std::string* name) {
    if (core::Result<BackupLocation> l = locations_.Resolve(*name); l.ok()) *name = l->name;
  };
  // A GPO is claimed by its GUID when it exists, so that a name and a GUID for one GPO are one
  // lock, and by its live display name too: a name no GPO has yet stays a name (the GPO a
  // create-if-needed import makes), and every later operation on the GPO that import made
  // must wait for it, however it names the GPO.
  auto gpo = [&](core::GpoRef* ref, Access access) {
    if (!ref->guid.empty()) {
      if (std::optional<std::string> g = core::NormalizeGuid(ref->guid)) ref->guid = *g;
    }
    core::Result<GpoEntry> e = store_.Resolve(*ref);
    if (!e.ok()) return;
    if (names != nullptr) names->push_back(NameClaim(e->info.display_name, access));
    *ref = {e->info.guid, ""};
  };
  if (auto* b = std::get_if<core::BackupSpec>(&named)) {
    location(&b->location);
    gpo(&b->gpo, Access::kRead);
  } else if (auto* r = std::get_if<core::ReportSpec>(&named)) {
    if (auto* ref = std::get_if<core::BackupRef>(&r->subject)) location(&ref->location);
    if (auto* ref = std::get_if<core::GpoRef>(&r->subject)) gpo(ref, Access::kRead);
  } else if (auto* r = std::get_if<core::RestoreSpec>(&named)) {
    location(&r->backup.location);
  } else if (auto* i = std::get_if<core::ImportSpec>(&named)) {
    location(&i->backup.location);
    gpo(&i->target, Access::kWrite);
  } else if (auto* c = std::get_if<core::CopySpec>(&named)) {
    gpo(&c->source, Access::kRead);
  } else if (auto* set = std::get_if<core::ImportSetSpec>(&named)) {
    location(&set->location);
  }
  return named;
}

std::vector<core::ResourceClaim> SysvolBackend::Claims(const core::OperationSpec& spec) const {
  std::vector<core::ResourceClaim> names;
  const core::OperationSpec named = Resolved(spec, &names);
  std::vector<core::ResourceClaim> claims = core::DefaultClaims(named);
  if (std::holds_alternative<core::BackupSpec>(named)) {
    // Backups of one location run at once (the default claims, the GPO read and the location
    // written, made gpopd run them one at a time): a backup only adds a folder, renamed in
    // whole, and publishes the manifest under the location's mutex (BackupGpoEntry reconciles
    // it there), and no operation changes or removes a published backup, so restores and
    // imports reading the location read only folders that never change. (Safety backups
    // already write a location under a restore's or an import's read claim.)
    for (core::ResourceClaim& c : claims) c.access = Access::kRead;
  }
  if (const auto* r = std::get_if<core::RestoreSpec>(&named)) {
    // The GPO a restore writes is the backup's: claim it by GUID like every other writer, and
    // by the name it has now and the one the restore gives it.
    if (core::Result<OpenedBackup> b = OpenBackup(locations_, r->backup, "restore.backup");
        b.ok()) {
      claims.push_back({"gpo:" + b->GpoGuid(), Access::kWrite});
      claims.push_back(NameClaim(b->backup_xml.core.display_name, Access::kWrite));
      if (core::Result<GpoEntry> live = store_.Resolve({b->GpoGuid(), ""}); live.ok()) {
        claims.push_back(NameClaim(live->info.display_name, Access::kWrite));
      }
    }
  }
  if (const auto* set = std::get_if<core::ImportSetSpec>(&named)) {
    // Every GPO the set writes, claimed as the import of each backup would claim it.
    if (core::Result<std::vector<core::ImportSpec>> imports = ImportSetTargets(ctx_, *set);
        imports.ok()) {
      for (const core::ImportSpec& import : *imports) {
        for (core::ResourceClaim& c : core::DefaultClaims(Resolved(import, &names))) {
          claims.push_back(std::move(c));
        }
      }
    }
  }
  for (core::ResourceClaim& c : names) claims.push_back(std::move(c));
  // One claim a resource, a write where any is.
  std::vector<core::ResourceClaim> out;
  for (core::ResourceClaim& c : claims) {
    auto same = std::find_if(out.begin(), out.end(), [&](const core::ResourceClaim& o) {
      return o.resource == c.resource;
    });
    if (same == out.end()) {
      out.push_back(std::move(c));
    } else if (c.access == Access::kWrite) {
      same->access = Access::kWrite;
    }
  }
  return out;
}

core::Outcome SysvolBackend::Run(const core::RunRequest& request, core::ProgressSink& sink,
                                 core::CancelToken& cancel) {
  if (core::Status s = core::ValidateSpec(request.spec); !s.ok()) return Failed(s.error());
  if (const auto* backup = std::get_if<core::BackupSpec>(&request.spec)) {
    return RunBackup(ctx_, request.operation_id, *backup, sink, cancel);
  }
  if (const auto* report = std::get_if<core::ReportSpec>(&request.spec)) {
    return RunReport(ctx_, *report, sink, cancel);
  }
  // Validate ran when the operation started; the store may have become read-only since.
  if (core::Status s = Validate(request.spec); !s.ok()) return Failed(s.error());
  if (const auto* restore = std::get_if<core::RestoreSpec>(&request.spec)) {
    return RunRestore(ctx_, request.operation_id, *restore, sink, cancel);
  }
  if (const auto* import = std::get_if<core::ImportSpec>(&request.spec)) {
    return RunImport(ctx_, request.operation_id, *import, sink, cancel);
  }
  if (const auto* set = std::get_if<core::ImportSetSpec>(&request.spec)) {
    return RunImportSet(ctx_, request.operation_id, *set, sink, cancel);
  }
  return RunCopy(ctx_, request.operation_id, std::get<core::CopySpec>(request.spec), sink, cancel);
}

std::optional<core::Outcome> SysvolBackend::Recover(const std::string& operation_id) {
  if (std::optional<core::Outcome> out = RecoverIntent(ctx_, operation_id)) return out;
  // An import set has no intent of its own, one per backup it imported.
  return RecoverImportSet(ctx_, operation_id);
}

core::Result<std::vector<std::string>> SysvolBackend::ResolveLeftovers() {
  return ResolveAllLeftovers(ctx_);
}

core::Result<std::vector<core::GpoInfo>> SysvolBackend::ListGpos() const {
  core::Result<std::vector<GpoEntry>> all = store_.List();
  if (!all.ok()) return all.error();
  std::vector<core::GpoInfo> out;
  for (const GpoEntry& e : *all) out.push_back(e.info);
  return out;
}

std::optional<uint64_t> SysvolBackend::GposGeneration() const {
  return store_.Generation(std::chrono::system_clock::now());
}

core::Result<std::vector<core::BackupInfo>> SysvolBackend::ListBackups(
    const BackupQuery& query) const {
  core::Result<BackupLocation> location = locations_.Resolve(query.location);
  if (!location.ok()) return location.error();
  std::error_code ec;
  if (!fs::exists(location->path, ec)) return std::vector<core::BackupInfo>();
  core::Result<Dir> loc = BackupLocations::Open(*location);
  if (!loc.ok()) return loc.error();
  std::vector<ScannedBackup> scanned;
  {
    core::MutexLock lock(locations_.Mutex(location->name));
    LocationIndex& index = *locations_.Index(location->name);
    std::vector<std::string> skipped;
    core::Result<std::vector<ScannedBackup>> s = index.Backups(*loc, &skipped);
    if (!s.ok()) return s.error();
    scanned = std::move(*s);
    // A missing or stale manifest is repaired; a failure to write it does not fail the listing.
    (void)RepairManifestLocked(*loc, index);
  }
  std::optional<std::string> want_guid;
  if (!query.gpo.guid.empty()) {
    want_guid = core::NormalizeGuid(query.gpo.guid);
    if (!want_guid) return core::InvalidField("gpo.guid", "is not a GUID");
  }
  std::vector<core::BackupInfo> out;
  for (const ScannedBackup& b : scanned) {
    core::BackupInfo info = BackupInfoFromInst(b.inst, location->name);
    if (want_guid && info.gpo_guid != *want_guid) continue;
    if (!query.gpo.display_name.empty() &&
        !internal::EqualsNoCase(info.gpo_display_name, query.gpo.display_name)) {
      continue;
    }
    out.push_back(std::move(info));
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const core::BackupInfo& a, const core::BackupInfo& b) {
                     if (a.time != b.time) return a.time > b.time;
                     return a.backup_id > b.backup_id;
                   });
  return out;
}

}  // namespace gpop::sysvol
