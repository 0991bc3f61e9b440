// The sysvol backend: backup and report on a GPO tree (see sysvol_backend.h).

#include "service/backends/sysvol/sysvol_backend.h"

#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <utility>

#include "service/backends/sysvol/backup_folder.h"
#include "service/backends/sysvol/format/backup_inst.h"
#include "service/backends/sysvol/format/backup_xml.h"
#include "service/backends/sysvol/format/format_error.h"
#include "service/backends/sysvol/format/manifest.h"
#include "service/backends/sysvol/format/report_html.h"
#include "service/backends/sysvol/format/report_xml.h"
#include "service/backends/sysvol/gpt_reader.h"
#include "service/core/guid.h"

namespace gpop::sysvol {
namespace {

namespace fs = std::filesystem;

constexpr char kKindBackup[] = "backup";

std::string Lower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

core::Outcome Failed(core::Error error, core::Effects effects = core::Effects::kNone) {
  core::Outcome out;
  out.error = std::move(error);
  out.effects = effects;
  return out;
}

core::Error CancelledError(const std::string& what) {
  return core::MakeError(core::Code::kCancelled, core::reason::kCancelled,
                         what + " cancelled; nothing was changed");
}

std::string TimeText(std::chrono::system_clock::time_point t) {
  if (t.time_since_epoch().count() == 0) return "";
  return FormatBackupTime(t);
}

bool ProcessAlive(pid_t pid) {
  if (pid <= 0) return false;
  return ::kill(pid, 0) == 0 || errno == EPERM;
}

std::optional<pid_t> ReadPidFile(const fs::path& file) {
  std::ifstream in(file);
  long pid = 0;
  if (!(in >> pid) || pid <= 0) return std::nullopt;
  return static_cast<pid_t>(pid);
}

// Scans /proc for a process whose program is "samba" and whose command line contains `needle`
// (any samba when `needle` is empty).
std::optional<std::string> FindSambaProcess(const std::string& needle) {
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return std::nullopt;
  std::optional<std::string> found;
  while (struct dirent* e = ::readdir(proc)) {
    std::string name = e->d_name;
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in("/proc/" + name + "/cmdline", std::ios::binary);
    std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (cmdline.empty()) continue;
    std::string argv0 = cmdline.substr(0, cmdline.find('\0'));
    std::string base = fs::path(argv0).filename().string();
    if (base != "samba") continue;
    if (needle.empty() || cmdline.find(needle) != std::string::npos) {
      found = "a running samba process (pid " + name + ") serves it";
      break;
    }
  }
  ::closedir(proc);
  return found;
}

// "op-<guid without braces>": the staging folder of one operation.
std::string NewStagingName() {
  std::string guid = core::NewGuid();
  return "op-" + guid.substr(1, guid.size() - 2);
}

// A test-visible crash: the run stops where it is.
core::Outcome InjectedCrash() {
  return Failed(core::MakeError(core::Code::kInternal, core::reason::kInternal,
                                "injected fault (test crash simulation)"),
                core::Effects::kUnknown);
}

core::BackupInfo BackupInfoFromIntent(const Intent& intent) {
  core::BackupInfo info;
  auto field = [&](const char* key) {
    auto it = intent.fields.find(key);
    return it == intent.fields.end() ? std::string() : it->second;
  };
  info.backup_id = field("backup_id");
  info.location = intent.root;
  info.gpo_guid = field("gpo_guid");
  info.gpo_display_name = field("gpo_display_name");
  info.domain = field("domain");
  info.comment = field("comment");
  if (auto t = ParseBackupTime(field("backup_time"))) info.time = *t;
  return info;
}

// Warnings GPMC would give for a GPT's settings: registry values it does not understand.
std::vector<core::StatusMessage> SettingsWarnings(const GptSettings& settings,
                                                  const std::string& gpt_display) {
  std::vector<core::StatusMessage> out;
  auto scan = [&](const SideSettings& side, const char* side_name) {
    if (!side.registry_pol) return;
    for (const PolEntry& e : side.registry_pol->entries) {
      if (e.Special() != SpecialName::kUnknown) continue;
      core::StatusMessage m;
      m.object_path = gpt_display + "/" + side_name + "/registry.pol";
      m.extension_name = "Registry";
      m.settings_name = e.key + "\\" + e.value_name;
      m.message = "unknown special value name \"" + e.value_name + "\" in key " + e.key +
                  ": clients skip it; kept as is";
      m.severity = core::Severity::kWarning;
      out.push_back(std::move(m));
    }
  };
  scan(settings.machine, "Machine");
  scan(settings.user, "User");
  return out;
}

// Copies the staged GPT tree and reports progress; used only by RunBackup.
class Copier {
 public:
  Copier(core::ProgressSink& sink, core::CancelToken& cancel, int64_t total)
      : sink_(sink), cancel_(cancel), total_(total) {}

  bool Cancelled() const { return cancel_.cancel_requested(); }
  void Advance(int64_t units) {
    done_ += units;
    sink_.Progress(std::min(done_, total_), total_);
  }
  void Start() { sink_.Progress(0, total_); }

 private:
  core::ProgressSink& sink_;
  core::CancelToken& cancel_;
  const int64_t total_;
  int64_t done_ = 0;
};

}  // namespace

std::optional<std::string> DetectRunningDc(const fs::path& sysvol_dir) {
  std::error_code ec;
  fs::path p = fs::weakly_canonical(sysvol_dir, ec);
  if (ec) p = sysvol_dir;
  std::optional<fs::path> root;
  for (int i = 0; i < 5 && !p.empty(); ++i) {
    if (fs::exists(p / "private" / "sam.ldb", ec)) {
      root = p;
      break;
    }
    if (p == p.parent_path()) break;
    p = p.parent_path();
  }
  if (!root) return std::nullopt;
  std::vector<fs::path> pid_files = {*root / "run" / "samba.pid",
                                     *root / "var" / "run" / "samba.pid"};
  bool system_install = *root == fs::path("/var/lib/samba");
  if (system_install) {
    pid_files.push_back("/run/samba/samba.pid");
    pid_files.push_back("/var/run/samba/samba.pid");
  }
  for (const fs::path& f : pid_files) {
    if (std::optional<pid_t> pid = ReadPidFile(f); pid && ProcessAlive(*pid)) {
      return "a running samba (pid " + std::to_string(*pid) + ", " + f.string() +
             ") serves this tree";
    }
  }
  return FindSambaProcess(system_install ? std::string() : root->string());
}

SysvolBackend::SysvolBackend(SysvolConfig config, std::unique_ptr<MetadataStore> metadata,
                             std::string read_only_reason)
    : config_(std::move(config)),
      metadata_(std::move(metadata)),
      store_(config_, metadata_.get()),
      read_only_reason_(std::move(read_only_reason)),
      domain_controller_([this] {
        if (!config_.domain_controller.empty()) return config_.domain_controller;
        char host[256] = {};
        if (::gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0') {
          return std::string("localhost.") + config_.domain;
        }
        std::string h = host;
        if (h.find('.') == std::string::npos && !config_.domain.empty()) h += "." + config_.domain;
        return h;
      }()) {}

core::Result<std::unique_ptr<SysvolBackend>> SysvolBackend::Open(const SysvolConfig& config_in) {
  SysvolConfig config = config_in;
  if (config.default_backup_location.empty() && config.backup_locations.size() == 1) {
    config.default_backup_location = config.backup_locations.begin()->first;
  }
  if (!config.default_backup_location.empty() &&
      !config.backup_locations.count(config.default_backup_location)) {
    return core::InvalidField("sysvol.default_backup_location",
                              "names no configured backup location");
  }
  for (const auto& [name, path] : config.backup_locations) {
    if (!IsSafeName(name) || name.front() == '.') {
      return core::InvalidField("sysvol.backup_locations", "\"" + name + "\" is not a plain name");
    }
    if (path.empty()) {
      return core::InvalidField("sysvol.backup_locations", "\"" + name + "\" has no folder");
    }
  }
  // Two names for one folder would get two locks for one manifest.
  std::map<std::string, std::string> by_folder;
  for (const auto& [name, path] : config.backup_locations) {
    std::error_code ec;
    fs::path canonical = fs::weakly_canonical(path, ec);
    std::string key = (ec ? path : canonical).lexically_normal().string();
    auto [it, inserted] = by_folder.emplace(key, name);
    if (!inserted) {
      return core::InvalidField("sysvol.backup_locations",
                                "\"" + it->second + "\" and \"" + name + "\" are the same folder");
    }
  }
  if (config.domain.empty()) return core::InvalidField("sysvol.domain", "is required");
  if (!config.domain_guid.empty()) {
    std::optional<std::string> g = core::NormalizeGuid(config.domain_guid);
    if (!g) return core::InvalidField("sysvol.domain_guid", "is not a GUID");
    config.domain_guid = Lower(*g);  // bkupInfo.xml holds it in lower case, as Windows does
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

void SysvolBackend::SetFaultHookForTesting(FaultHook hook) {
  core::MutexLock lock(&mu_);
  fault_hook_ = std::move(hook);
}

bool SysvolBackend::Fault(FaultPoint point) const {
  FaultHook hook;
  {
    core::MutexLock lock(&mu_);
    hook = fault_hook_;
  }
  return hook && hook(point);
}

core::Result<SysvolBackend::Location> SysvolBackend::ResolveLocation(
    const std::string& name) const {
  std::string wanted = name.empty() ? config_.default_backup_location : name;
  if (wanted.empty()) {
    return core::MakeError(core::Code::kFailedPrecondition, core::reason::kLocationNotFound,
                           "no backup location configured");
  }
  // Names are matched exactly, then case-insensitively; they are keys, never paths.
  auto it = config_.backup_locations.find(wanted);
  if (it == config_.backup_locations.end()) {
    for (auto i = config_.backup_locations.begin(); i != config_.backup_locations.end(); ++i) {
      if (Lower(i->first) == Lower(wanted)) it = i;
    }
  }
  if (it == config_.backup_locations.end()) {
    return core::MakeError(core::Code::kNotFound, core::reason::kLocationNotFound,
                           "no backup location named \"" + wanted + "\"", {{"location", wanted}});
  }
  return Location{it->first, it->second};
}

core::Mutex* SysvolBackend::LocationMutex(const std::string& name) const {
  core::MutexLock lock(&mu_);
  std::unique_ptr<core::Mutex>& mu = location_mu_[name];
  if (!mu) mu = std::make_unique<core::Mutex>();
  return mu.get();
}

core::Status SysvolBackend::Validate(const core::OperationSpec& spec) const {
  if (core::Status s = core::ValidateSpec(spec); !s.ok()) return s;
  switch (core::KindOf(spec)) {
    case core::OperationKind::kRestore:
    case core::OperationKind::kImport:
    case core::OperationKind::kCopy:
      return core::MakeError(core::Code::kUnimplemented, core::reason::kUnsupported,
                             std::string("the sysvol backend does not ") +
                                 core::KindName(core::KindOf(spec)) +
                                 " yet: only backup and report are implemented");
    case core::OperationKind::kBackup: {
      const auto& b = std::get<core::BackupSpec>(spec);
      if (core::Result<Location> l = ResolveLocation(b.location); !l.ok()) return l.error();
      return core::Status();
    }
    case core::OperationKind::kReport: {
      const auto& r = std::get<core::ReportSpec>(spec);
      if (const auto* backup = std::get_if<core::BackupRef>(&r.subject)) {
        if (core::Result<Location> l = ResolveLocation(backup->location); !l.ok()) {
          return l.error();
        }
      }
      return core::Status();
    }
  }
  return core::Status();
}

std::vector<core::ResourceClaim> SysvolBackend::Claims(const core::OperationSpec& spec) const {
  // The default location is claimed by its name, so that "" and the explicit name conflict.
  core::OperationSpec named = spec;
  if (auto* b = std::get_if<core::BackupSpec>(&named)) {
    if (core::Result<Location> l = ResolveLocation(b->location); l.ok()) b->location = l->name;
  } else if (auto* r = std::get_if<core::ReportSpec>(&named)) {
    if (auto* ref = std::get_if<core::BackupRef>(&r->subject)) {
      if (core::Result<Location> l = ResolveLocation(ref->location); l.ok()) {
        ref->location = l->name;
      }
    }
  }
  return core::DefaultClaims(named);
}

core::Outcome SysvolBackend::Run(const core::RunRequest& request, core::ProgressSink& sink,
                                 core::CancelToken& cancel) {
  if (core::Status s = core::ValidateSpec(request.spec); !s.ok()) return Failed(s.error());
  if (const auto* backup = std::get_if<core::BackupSpec>(&request.spec)) {
    return RunBackup(request, *backup, sink, cancel);
  }
  if (const auto* report = std::get_if<core::ReportSpec>(&request.spec)) {
    return RunReport(*report, sink, cancel);
  }
  return Failed(core::MakeError(core::Code::kUnimplemented, core::reason::kUnsupported,
                                std::string("the sysvol backend does not ") +
                                    core::KindName(core::KindOf(request.spec)) + " yet"));
}

core::Outcome SysvolBackend::RunBackup(const core::RunRequest& request,
                                       const core::BackupSpec& spec, core::ProgressSink& sink,
                                       core::CancelToken& cancel) {
  core::Result<Location> location = ResolveLocation(spec.location);
  if (!location.ok()) return Failed(location.error());
  core::Result<GpoEntry> gpo = store_.Resolve(spec.gpo);
  if (!gpo.ok()) return Failed(gpo.error());
  if (gpo->gpt_ini_error) return Failed(*gpo->gpt_ini_error);

  // Read and check everything before anything is written.
  core::Result<Dir> policies = store_.OpenPolicies();
  if (!policies.ok()) return Failed(policies.error());
  core::Result<Dir> gpt = store_.OpenGpt(*policies, *gpo);
  if (!gpt.ok()) return Failed(gpt.error());
  core::Result<GptSettings> settings = ReadGptSettings(*gpt);
  if (!settings.ok()) return Failed(settings.error());
  core::Result<GptTree> tree = WalkGptTree(*gpt);
  if (!tree.ok()) return Failed(tree.error());
  std::vector<core::StatusMessage> warnings = SettingsWarnings(*settings, gpt->display());
  if (!warnings.empty()) sink.Messages(warnings, std::nullopt);
  core::Result<std::shared_ptr<const AdmxCatalog>> admx = LoadAdmx(*policies);
  if (!admx.ok()) return Failed(admx.error());

  core::Result<Dir> loc =
      Dir::OpenRoot(location->path, "backups/" + location->name, /*create=*/true);
  if (!loc.ok()) return Failed(loc.error());
  core::Result<Dir> staging_root = loc->MakeSubdir(kStagingFolder);
  if (!staging_root.ok()) return Failed(staging_root.error());

  const auto now = std::chrono::system_clock::now();
  Intent intent;
  intent.operation_id = request.operation_id;
  intent.kind = kKindBackup;
  intent.root = location->name;
  intent.staging = NewStagingName();
  const std::string backup_id = core::NewGuid();
  intent.fields = {{"backup_id", backup_id},
                   {"gpo_guid", gpo->info.guid},
                   {"gpo_display_name", gpo->info.display_name},
                   {"domain", config_.domain},
                   {"comment", spec.comment},
                   {"backup_time", FormatBackupTime(now)}};
  if (core::Status s = metadata_->RecordIntent(intent); !s.ok()) return Failed(s.error());

  // From here every failure removes the staging folder and closes the intent: effects NONE.
  auto abort = [&](core::Error error) {
    (void)RollBack(intent);
    return Failed(std::move(error));
  };

  core::Result<Dir> staging = staging_root->MakeSubdir(intent.staging);
  if (!staging.ok()) return abort(staging.error());
  core::Result<Dir> backup_dir = staging->MakeSubdir(backup_id);
  if (!backup_dir.ok()) return abort(backup_dir.error());
  core::Result<Dir> domain_sysvol = backup_dir->MakeSubdir("DomainSysvol");
  if (!domain_sysvol.ok()) return abort(domain_sysvol.error());
  core::Result<Dir> gpo_dir = domain_sysvol->MakeSubdir("GPO");
  if (!gpo_dir.ok()) return abort(gpo_dir.error());

  const int64_t total = static_cast<int64_t>(tree->total_bytes + tree->entries.size()) + 4;
  Copier progress(sink, cancel, total);
  progress.Start();

  // Copy Machine/ and User/ (canonical case at the top, names below as found). Every folder
  // created is fsynced and closed as soon as its content is complete (children before parents),
  // so that open descriptors stay bounded by the tree's depth, not its size.
  for (const char* side : {"Machine", "User"}) {
    const std::string& found =
        std::string(side) == "Machine" ? tree->machine_folder : tree->user_folder;
    if (found.empty()) continue;
    core::Result<Dir> dst_side = gpo_dir->MakeSubdir(side);
    if (!dst_side.ok()) return abort(dst_side.error());
    core::Result<Dir> src_side = gpt->OpenSubdir(found);
    if (!src_side.ok()) return abort(src_side.error());
    // Folders are listed before their content, so a stack of open folders by depth works.
    std::vector<Dir> src_stack;
    std::vector<Dir> dst_stack;
    src_stack.push_back(std::move(*src_side));
    dst_stack.push_back(std::move(*dst_side));
    for (const TreeEntry& e : tree->entries) {
      if (e.side != side) continue;
      if (progress.Cancelled()) return abort(CancelledError("backup"));
      while (src_stack.size() > e.components.size()) {
        src_stack.pop_back();
        if (core::Status s = dst_stack.back().Sync(); !s.ok()) return abort(s.error());
        dst_stack.pop_back();
      }
      const std::string& name = e.components.back();
      if (e.is_dir) {
        core::Result<Dir> s = src_stack.back().OpenSubdir(name);
        if (!s.ok()) return abort(s.error());
        core::Result<Dir> d = dst_stack.back().MakeSubdir(name);
        if (!d.ok()) return abort(d.error());
        src_stack.push_back(std::move(*s));
        dst_stack.push_back(std::move(*d));
      } else {
        core::Status s =
            src_stack.back().CopyFileTo(name, dst_stack.back(), name, [&](uint64_t bytes) {
              progress.Advance(static_cast<int64_t>(bytes));
              return !progress.Cancelled();
            });
        if (!s.ok()) return abort(s.error());
      }
      progress.Advance(1);
    }
    while (!dst_stack.empty()) {
      if (core::Status s = dst_stack.back().Sync(); !s.ok()) return abort(s.error());
      dst_stack.pop_back();
    }
  }
  if (progress.Cancelled()) return abort(CancelledError("backup"));

  // Backup.xml, bkupInfo.xml and gpreport.xml.
  BackupSource source;
  source.gpo_guid = gpo->info.guid;
  source.domain = config_.domain;
  source.domain_controller = domain_controller_;
  source.display_name = gpo->info.display_name;
  source.flags = gpo->info.flags;
  source.version = gpo->info.version;
  source.sysvol_version = gpo->sysvol_version;
  source.machine_extension_guids =
      gpo->has_metadata ? gpo->machine_extension_guids : DerivedExtensionGuids(*settings, true);
  source.user_extension_guids =
      gpo->has_metadata ? gpo->user_extension_guids : DerivedExtensionGuids(*settings, false);
  BackupXml backup_xml = MakeBackupXml(
      source, *tree, settings->machine.security ? &*settings->machine.security : nullptr);
  if (core::Status s = backup_dir->WriteFile(kBackupXmlFile, WriteBackupXml(backup_xml)); !s.ok()) {
    return abort(s.error());
  }
  progress.Advance(1);

  BackupInst inst;
  inst.gpo_guid = gpo->info.guid;
  inst.gpo_domain = config_.domain;
  inst.gpo_domain_guid = config_.domain_guid;
  inst.gpo_domain_controller = domain_controller_;
  inst.backup_time = intent.fields["backup_time"];
  inst.id = backup_id;
  inst.comment = spec.comment;
  inst.gpo_display_name = gpo->info.display_name;
  if (core::Status s = backup_dir->WriteFile(kBkupInfoFile, WriteBkupInfo(inst)); !s.ok()) {
    return abort(s.error());
  }
  progress.Advance(1);

  ReportIdentity identity;
  identity.guid = gpo->info.guid;
  identity.domain = config_.domain;
  identity.name = gpo->info.display_name;
  identity.created_time = TimeText(gpo->info.created);
  identity.modified_time = TimeText(gpo->info.modified);
  identity.read_time = FormatBackupTime(now);
  identity.directory_version = gpo->info.version;
  identity.sysvol_version = gpo->sysvol_version;
  identity.flags = gpo->info.flags;
  Report report = MakeReport(identity, *settings, admx->get());
  if (core::Status s = backup_dir->WriteFile(kGpReportFile, WriteReportXmlUtf16(report)); !s.ok()) {
    return abort(s.error());
  }
  progress.Advance(1);
  if (progress.Cancelled()) return abort(CancelledError("backup"));

  // Make the rest of the staged tree durable (the copied folders already are).
  for (const Dir* d : {&*gpo_dir, &*domain_sysvol, &*backup_dir}) {
    if (core::Status s = d->Sync(); !s.ok()) return abort(s.error());
  }

  // The manifest is computed and published under the location's lock.
  core::MutexLock location_lock(LocationMutex(location->name));
  bool corrupt = false;
  core::Result<Manifest> current = ReadManifest(*loc, &corrupt);
  if (!current.ok()) return abort(current.error());
  std::vector<std::string> skipped;
  std::set<std::string> unreadable;
  core::Result<std::vector<ScannedBackup>> scanned = ScanBackups(*loc, &skipped, &unreadable);
  if (!scanned.ok()) return abort(scanned.error());
  Manifest manifest = ReconcileManifest(*current, *scanned, unreadable);
  manifest.backups.push_back(inst);
  if (core::Status s = staging->WriteFile(kManifestFile, WriteManifest(manifest)); !s.ok()) {
    return abort(s.error());
  }
  for (const Dir* d : {&*staging, &*staging_root}) {
    if (core::Status s = d->Sync(); !s.ok()) return abort(s.error());
  }
  progress.Advance(1);
  if (Fault(FaultPoint::kAfterStaging)) return InjectedCrash();

  // The commit point.
  if (!cancel.BeginCommit()) return abort(CancelledError("backup"));
  if (core::Status s = metadata_->SetIntentState(intent.operation_id, IntentState::kCommitting);
      !s.ok()) {
    return abort(s.error());
  }
  intent.state = IntentState::kCommitting;
  if (Fault(FaultPoint::kAfterCommitRecord)) return InjectedCrash();
  bool crashed = false;
  if (core::Status s = RollForward(intent, /*staged_manifest=*/true, &crashed); !s.ok()) {
    if (crashed) return InjectedCrash();
    // Past the commit point: the intent stays COMMITTING and recovery finishes it.
    return Failed(s.error(), core::Effects::kUnknown);
  }
  core::Outcome out;
  out.effects = core::Effects::kApplied;
  out.result = BackupInfoFromIntent(intent);
  return out;
}

core::Status SysvolBackend::RollForward(const Intent& intent, bool staged_manifest, bool* crashed) {
  *crashed = false;
  core::Result<Location> location = ResolveLocation(intent.root);
  if (!location.ok()) return location.error();
  core::Result<Dir> loc = Dir::OpenRoot(location->path, "backups/" + location->name);
  if (!loc.ok()) return loc.error();
  core::Result<Dir> staging_root = loc->MakeSubdir(kStagingFolder);
  if (!staging_root.ok()) return staging_root.error();
  auto it = intent.fields.find("backup_id");
  if (it == intent.fields.end() || !core::NormalizeGuid(it->second)) {
    return core::MakeError(core::Code::kInternal, core::reason::kInternal,
                           "intent " + intent.operation_id + " has no backup id");
  }
  const std::string backup_id = *core::NormalizeGuid(it->second);
  std::optional<Dir> staging;
  if (staging_root->Exists(intent.staging)) {
    core::Result<Dir> s = staging_root->OpenSubdir(intent.staging);
    if (!s.ok()) return s.error();
    staging = std::move(*s);
  }

  if (staging && staging->Exists(backup_id)) {
    if (core::Status s = staging->RenameTo(backup_id, *loc, backup_id, /*no_replace=*/true);
        !s.ok()) {
      return s;
    }
  } else if (!loc->Exists(backup_id)) {
    return core::MakeError(core::Code::kDataLoss, core::reason::kIoError,
                           "backup " + backup_id + " of operation " + intent.operation_id +
                               " is neither staged nor published");
  }
  if (core::Status s = loc->Sync(); !s.ok()) return s;
  if (Fault(FaultPoint::kAfterBackupRename)) {
    *crashed = true;
    return core::MakeError(core::Code::kInternal, core::reason::kInternal, "injected fault");
  }

  if (staged_manifest) {
    // The caller holds the location lock and computed this manifest under it.
    if (!staging) {
      return core::MakeError(core::Code::kInternal, core::reason::kInternal,
                             "staging folder of operation " + intent.operation_id + " vanished");
    }
    if (core::Status s = staging->RenameTo(kManifestFile, *loc, kManifestFile); !s.ok()) return s;
    if (core::Status s = loc->Sync(); !s.ok()) return s;
  } else {
    // Recovery: the staged manifest may be older than the folder; rebuild it from the backups.
    core::MutexLock lock(LocationMutex(location->name));
    if (core::Status s = RepairManifestLocked(*loc); !s.ok()) return s;
  }
  if (Fault(FaultPoint::kAfterManifestRename)) {
    *crashed = true;
    return core::MakeError(core::Code::kInternal, core::reason::kInternal, "injected fault");
  }

  if (core::Status s = metadata_->SetIntentState(intent.operation_id, IntentState::kDone);
      !s.ok()) {
    return s;
  }
  // The staging folder is garbage now; a failure to remove it is resolved at the next start.
  (void)staging_root->RemoveTree(intent.staging);
  (void)staging_root->Sync();
  return core::Status();
}

core::Status SysvolBackend::RollBack(const Intent& intent) {
  core::Result<Location> location = ResolveLocation(intent.root);
  if (location.ok()) {
    core::Result<Dir> loc = Dir::OpenRoot(location->path, "backups/" + location->name);
    if (loc.ok() && loc->Exists(kStagingFolder)) {
      core::Result<Dir> staging_root = loc->OpenSubdir(kStagingFolder);
      if (!staging_root.ok()) return staging_root.error();
      if (core::Status s = staging_root->RemoveTree(intent.staging); !s.ok()) return s;
      (void)staging_root->Sync();
    }
  }
  return metadata_->SetIntentState(intent.operation_id, IntentState::kRolledBack);
}

core::Status SysvolBackend::RepairManifestLocked(const Dir& location) const {
  bool corrupt = false;
  core::Result<Manifest> current = ReadManifest(location, &corrupt);
  if (!current.ok()) return current.error();
  std::vector<std::string> skipped;
  std::set<std::string> unreadable;
  core::Result<std::vector<ScannedBackup>> scanned = ScanBackups(location, &skipped, &unreadable);
  if (!scanned.ok()) return scanned.error();
  Manifest wanted = ReconcileManifest(*current, *scanned, unreadable);
  bool missing = false;
  if (core::Result<std::optional<DirEntry>> f = location.FindNoCase(kManifestFile); f.ok()) {
    missing = !*f;
  }
  if (!corrupt && !(missing && !wanted.backups.empty()) && wanted == *current) {
    return core::Status();
  }
  if (missing && wanted.backups.empty()) return core::Status();
  return ReplaceFileAtomically(location, kManifestFile, WriteManifest(wanted));
}

std::optional<core::Outcome> SysvolBackend::Recover(const std::string& operation_id) {
  core::Result<std::optional<Intent>> intent = metadata_->GetIntent(operation_id);
  if (!intent.ok()) {
    return Failed(intent.error(), core::Effects::kUnknown);
  }
  if (!*intent) return std::nullopt;
  Intent& i = **intent;
  switch (i.state) {
    case IntentState::kDone: {
      core::Outcome out;
      out.effects = core::Effects::kApplied;
      out.result = BackupInfoFromIntent(i);
      return out;
    }
    case IntentState::kRolledBack:
      return std::nullopt;
    case IntentState::kStaging:
      if (core::Status s = RollBack(i); !s.ok()) {
        // Nothing was published; the staging folder is removed at the next start.
        return std::nullopt;
      }
      return std::nullopt;
    case IntentState::kCommitting: {
      bool crashed = false;
      if (core::Status s = RollForward(i, /*staged_manifest=*/false, &crashed); !s.ok()) {
        return Failed(s.error(), core::Effects::kUnknown);
      }
      core::Outcome out;
      out.effects = core::Effects::kApplied;
      out.result = BackupInfoFromIntent(i);
      return out;
    }
  }
  return std::nullopt;
}

core::Result<std::vector<std::string>> SysvolBackend::ResolveLeftovers() {
  core::Result<std::vector<Intent>> open = metadata_->OpenIntents();
  if (!open.ok()) return open.error();
  std::vector<std::string> resolved;
  std::set<std::string> unresolved_roots;
  for (const Intent& intent : *open) {
    std::optional<core::Outcome> out = Recover(intent.operation_id);
    if (out && out->error) {
      // One intent that cannot be resolved now (its location was removed from the
      // configuration, an operator deleted its staging folder, an I/O error) must not keep the
      // server from starting: it stays open, is reported, and is tried again at the next start.
      std::fprintf(stderr, "gpop sysvol: cannot resolve the interrupted operation %s: %s\n",
                   intent.operation_id.c_str(), out->error->message.c_str());
      unresolved_roots.insert(intent.root);
      continue;
    }
    resolved.push_back(intent.operation_id);
  }
  // Every staging folder and temporary manifest that no open intent owns is garbage.
  for (const auto& [name, path] : config_.backup_locations) {
    std::error_code ec;
    if (!fs::is_directory(path, ec)) continue;
    if (unresolved_roots.count(name) > 0) continue;  // intent.root is the location name
    core::Result<Dir> loc = Dir::OpenRoot(path, "backups/" + name);
    if (!loc.ok()) return loc.error();
    if (loc->Exists(kStagingFolder)) {
      core::Result<Dir> staging_root = loc->OpenSubdir(kStagingFolder);
      if (!staging_root.ok()) return staging_root.error();
      core::Result<std::vector<DirEntry>> entries = staging_root->List();
      if (!entries.ok()) return entries.error();
      for (const DirEntry& e : *entries) {
        if (core::Status s = staging_root->RemoveTree(e.name); !s.ok()) return s.error();
      }
      (void)staging_root->Sync();
    }
    core::Result<std::vector<DirEntry>> entries = loc->List();
    if (!entries.ok()) return entries.error();
    for (const DirEntry& e : *entries) {
      if (e.type == EntryType::kFile && e.name.rfind(".manifest.xml.tmp-", 0) == 0) {
        (void)loc->RemoveTree(e.name);
      }
    }
  }
  return resolved;
}

namespace {

bool HasExtension(const std::string& name, const char* ext) {
  size_t n = std::strlen(ext);
  if (name.size() <= n) return false;
  for (size_t i = 0; i < n; ++i) {
    if (std::tolower(static_cast<unsigned char>(name[name.size() - n + i])) != ext[i]) return false;
  }
  return true;
}

std::string LowerStem(const std::string& name) {
  std::string stem = name.substr(0, name.rfind('.'));
  for (char& c : stem) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return stem;
}

// The ADMX central store (PolicyDefinitions/*.admx with en-US/*.adml), read through `dir`.
core::Result<AdmxCatalog> LoadAdmxFrom(const Dir& dir) {
  constexpr size_t kMaxTemplateBytes = 32u << 20;
  core::Result<std::vector<DirEntry>> entries = dir.List();
  if (!entries.ok()) return entries.error();
  std::vector<std::string> admx_names;
  for (const DirEntry& e : *entries) {
    if (e.type == EntryType::kFile && HasExtension(e.name, ".admx")) admx_names.push_back(e.name);
  }
  std::sort(admx_names.begin(), admx_names.end());
  std::map<std::string, std::string> adml;  // lower-case stem -> bytes
  core::Result<std::optional<DirEntry>> lang = dir.FindNoCase("en-US");
  if (!lang.ok()) return lang.error();
  if (*lang && (*lang)->type == EntryType::kDirectory) {
    core::Result<Dir> lang_dir = dir.OpenSubdir((*lang)->name);
    if (!lang_dir.ok()) return lang_dir.error();
    core::Result<std::vector<DirEntry>> files = lang_dir->List();
    if (!files.ok()) return files.error();
    for (const DirEntry& e : *files) {
      if (e.type != EntryType::kFile || !HasExtension(e.name, ".adml")) continue;
      core::Result<std::string> bytes = lang_dir->ReadFile(e.name, kMaxTemplateBytes);
      if (!bytes.ok()) return bytes.error();
      adml[LowerStem(e.name)] = std::move(*bytes);
    }
  }
  AdmxCatalog catalog;
  for (const std::string& name : admx_names) {
    core::Result<std::string> bytes = dir.ReadFile(name, kMaxTemplateBytes);
    if (!bytes.ok()) return bytes.error();
    auto it = adml.find(LowerStem(name));
    core::Status added = catalog.AddFile(*bytes, it == adml.end() ? std::string_view() : it->second,
                                         "PolicyDefinitions/" + name);
    if (!added.ok()) return added.error();
  }
  catalog.Finish();
  return catalog;
}

}  // namespace

core::Result<std::shared_ptr<const AdmxCatalog>> SysvolBackend::LoadAdmx(
    const Dir& policies) const {
  core::Result<std::optional<DirEntry>> found = policies.FindNoCase("PolicyDefinitions");
  if (!found.ok()) return found.error();
  if (!*found || (*found)->type != EntryType::kDirectory) {
    return std::shared_ptr<const AdmxCatalog>();
  }
  core::Result<Dir> dir = policies.OpenSubdir((*found)->name);
  if (!dir.ok()) return dir.error();
  struct stat st;
  int64_t stamp = 0;
  if (::fstat(dir->fd(), &st) == 0) {
    stamp = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  }
  {
    core::MutexLock lock(&mu_);
    if (admx_ && admx_stamp_ == stamp) return admx_;
  }
  // Read through the already opened folder, never by path: links inside PolicyDefinitions are
  // not followed, special files are refused, and every read is bounded.
  core::Result<AdmxCatalog> catalog = LoadAdmxFrom(*dir);
  auto shared = std::make_shared<const AdmxCatalog>(std::move(*catalog));
  core::MutexLock lock(&mu_);
  admx_ = shared;
  admx_stamp_ = stamp;
  return shared;
}

core::Outcome SysvolBackend::RunReport(const core::ReportSpec& spec, core::ProgressSink& sink,
                                       core::CancelToken& cancel) {
  core::Result<Dir> policies = store_.OpenPolicies();
  if (!policies.ok()) return Failed(policies.error());
  const int64_t total = 4;
  sink.Progress(0, total);
  core::Result<std::shared_ptr<const AdmxCatalog>> admx = LoadAdmx(*policies);
  if (!admx.ok()) return Failed(admx.error());
  sink.Progress(1, total);
  if (cancel.cancel_requested()) return Failed(CancelledError("report"));

  ReportIdentity identity;
  identity.read_time = FormatBackupTime(std::chrono::system_clock::now());
  std::optional<GptSettings> settings;
  std::string object_display;
  if (const auto* ref = std::get_if<core::GpoRef>(&spec.subject)) {
    core::Result<GpoEntry> gpo = store_.Resolve(*ref);
    if (!gpo.ok()) return Failed(gpo.error());
    if (gpo->gpt_ini_error) return Failed(*gpo->gpt_ini_error);
    core::Result<Dir> gpt = store_.OpenGpt(*policies, *gpo);
    if (!gpt.ok()) return Failed(gpt.error());
    core::Result<GptSettings> read = ReadGptSettings(*gpt);
    if (!read.ok()) return Failed(read.error());
    settings = std::move(*read);
    object_display = gpt->display();
    identity.guid = gpo->info.guid;
    identity.domain = gpo->info.domain;
    identity.name = gpo->info.display_name;
    identity.created_time = TimeText(gpo->info.created);
    identity.modified_time = TimeText(gpo->info.modified);
    identity.directory_version = gpo->info.version;
    identity.sysvol_version = gpo->sysvol_version;
    identity.flags = gpo->info.flags;
  } else {
    const auto& backup_ref = std::get<core::BackupRef>(spec.subject);
    std::optional<std::string> id = core::NormalizeGuid(backup_ref.backup_id);
    if (!id) return Failed(core::InvalidField("report.backup.backup_id", "is not a GUID"));
    core::Result<Location> location = ResolveLocation(backup_ref.location);
    if (!location.ok()) return Failed(location.error());
    core::Result<Dir> loc = Dir::OpenRoot(location->path, "backups/" + location->name);
    core::Result<std::optional<DirEntry>> folder =
        loc.ok() ? loc->FindNoCase(*id) : core::Result<std::optional<DirEntry>>(loc.error());
    if (!folder.ok() || !*folder || (*folder)->type != EntryType::kDirectory) {
      if (folder.ok() && *folder && (*folder)->type == EntryType::kSymlink) {
        return Failed(PathEscape(JoinDisplay(loc->display(), (*folder)->name),
                                 "is a symbolic link; gpop does not follow links"));
      }
      return Failed(core::MakeError(core::Code::kNotFound, core::reason::kBackupNotFound,
                                    "no backup " + *id + " in location " + location->name,
                                    {{"backup_id", *id}, {"location", location->name}}));
    }
    core::Result<Dir> backup = loc->OpenSubdir((*folder)->name);
    if (!backup.ok()) return Failed(backup.error());
    core::Result<std::optional<DirEntry>> bx = backup->FindNoCase(kBackupXmlFile);
    if (!bx.ok()) return Failed(bx.error());
    if (!*bx) {
      return Failed(CorruptFile(JoinDisplay(backup->display(), kBackupXmlFile),
                                "missing: not a GPMC backup"));
    }
    core::Result<std::string> bytes = backup->ReadFile((*bx)->name, kMaxSmallXmlBytes * 4);
    if (!bytes.ok()) return Failed(bytes.error());
    core::Result<BackupXml> parsed =
        ParseBackupXml(*bytes, JoinDisplay(backup->display(), (*bx)->name));
    if (!parsed.ok()) return Failed(parsed.error());
    const GpoCoreSettings& core_settings = parsed->core;
    identity.guid = core::NormalizeGuid(core_settings.id).value_or(core_settings.id);
    identity.domain = core_settings.domain;
    identity.name = core_settings.display_name;
    identity.flags = core_settings.options;
    identity.directory_version = ((core_settings.user_version_number & 0xFFFFu) << 16) |
                                 (core_settings.machine_version_number & 0xFFFFu);
    identity.sysvol_version = (core_settings.user_version_number & 0xFFFF0000u) |
                              (core_settings.machine_version_number >> 16);
    // Windows' own report in the backup knows the GPO's times; use them when it is readable.
    if (core::Result<std::optional<DirEntry>> gr = backup->FindNoCase(kGpReportFile);
        gr.ok() && *gr) {
      core::Result<std::string> rb = backup->ReadFile((*gr)->name, 64u << 20);
      if (rb.ok()) {
        core::Result<Report> old = ParseReportXml(*rb, JoinDisplay(backup->display(), (*gr)->name));
        if (old.ok()) {
          identity.created_time = old->created_time;
          identity.modified_time = old->modified_time;
        } else {
          core::StatusMessage m;
          m.object_path = JoinDisplay(backup->display(), (*gr)->name);
          m.message = "could not read the backup's own report (" + old.error().message +
                      "); its times are left out";
          m.severity = core::Severity::kWarning;
          sink.Messages({m}, std::nullopt);
        }
      }
    }
    core::Result<std::optional<Dir>> gpt = OpenPathNoCase(*backup, {"DomainSysvol", "GPO"});
    if (!gpt.ok()) return Failed(gpt.error());
    if (*gpt) {
      core::Result<GptSettings> read = ReadGptSettings(**gpt);
      if (!read.ok()) return Failed(read.error());
      settings = std::move(*read);
      object_display = (*gpt)->display();
    } else {
      settings = GptSettings();
    }
  }
  sink.Progress(3, total);
  std::vector<core::StatusMessage> warnings = SettingsWarnings(*settings, object_display);
  if (!warnings.empty()) sink.Messages(warnings, std::nullopt);
  if (cancel.cancel_requested()) return Failed(CancelledError("report"));

  Report report = MakeReport(identity, *settings, admx->get());
  core::ReportInfo info;
  info.format = spec.format;
  info.content =
      spec.format == core::ReportFormat::kHtml ? RenderReportHtml(report) : WriteReportXml(report);
  sink.Progress(total, total);
  // Nothing is published; the commit point only settles the race with a cancel.
  if (!cancel.BeginCommit()) return Failed(CancelledError("report"));
  core::Outcome out;
  out.result = std::move(info);
  out.effects = core::Effects::kNone;
  return out;
}

core::Result<std::vector<core::GpoInfo>> SysvolBackend::ListGpos() const {
  core::Result<std::vector<GpoEntry>> all = store_.List();
  if (!all.ok()) return all.error();
  std::vector<core::GpoInfo> out;
  for (const GpoEntry& e : *all) out.push_back(e.info);
  return out;
}

core::Result<std::vector<core::BackupInfo>> SysvolBackend::ListBackups(
    const BackupQuery& query) const {
  core::Result<Location> location = ResolveLocation(query.location);
  if (!location.ok()) return location.error();
  std::error_code ec;
  if (!fs::exists(location->path, ec)) return std::vector<core::BackupInfo>();
  core::Result<Dir> loc = Dir::OpenRoot(location->path, "backups/" + location->name);
  if (!loc.ok()) return loc.error();
  std::vector<ScannedBackup> scanned;
  {
    core::MutexLock lock(LocationMutex(location->name));
    std::vector<std::string> skipped;
    core::Result<std::vector<ScannedBackup>> s = ScanBackups(*loc, &skipped);
    if (!s.ok()) return s.error();
    scanned = std::move(*s);
    // A missing or stale manifest is repaired; a failure to write it does not fail the listing.
    (void)RepairManifestLocked(*loc);
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
        Lower(info.gpo_display_name) != Lower(query.gpo.display_name)) {
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
