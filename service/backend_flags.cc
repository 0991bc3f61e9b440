#include "service/backend_flags.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_split.h"
#include "service/audit/memory_audit_log.h"
#include "service/audit/sqlite_audit_log.h"
#include "service/backends/synthetic/synthetic_backend.h"
#include "service/engine/status_convert.h"
#include "service/platform/paths.h"
#include "service/store/memory_store.h"
#include "service/store/sqlite_store.h"
#ifdef _WIN32
#include "service/backends/gpmc/gpmc_backend.h"
#else
#include "service/backends/sysvol/sysvol_backend.h"
#include "service/test_kill_hook.h"
#endif

ABSL_FLAG(std::string, sysvol, "",
          "sysvol backend: the folder that holds Policies/ (on a Samba DC: "
          "state/sysvol/<realm>, e.g. /var/lib/samba/sysvol/example.com).");
ABSL_FLAG(std::string, domain, "",
          "sysvol backend: the domain's DNS name. Default: the --sysvol folder's name when it "
          "looks like one (contains a dot).");
ABSL_FLAG(std::string, domain_guid, "",
          "sysvol backend: the domain's GUID, written into backups. Default: a GUID derived "
          "from the domain name (set the real one for backups meant for Windows).");
ABSL_FLAG(std::string, domain_controller, "",
          "sysvol backend: the DC named in backups. Default: <host name>.<domain>.");
ABSL_FLAG(std::vector<std::string>, backup_locations, {},
          "sysvol backend: named backup locations, NAME=DIR[,NAME=DIR...]. Clients name a "
          "location, never a path. Default: default=<state_dir>/backups.");
ABSL_FLAG(std::string, default_location, "",
          "sysvol backend: the location used when a request names none. Default: \"default\", "
          "or the only location given.");
ABSL_FLAG(
    std::string, migration_tables, "",
    "sysvol backend: folder of named migration tables. Default: <state_dir>/migration-tables.");
ABSL_FLAG(std::string, state_dir, gpop::platform::DefaultStateDir(),
          "Folder for gpopd's own state: the operation store (operations.db) and the sysvol "
          "backend's metadata database and intents.");
ABSL_FLAG(std::string, operation_store, "sqlite",
          "Where operations and events are kept: sqlite (<state_dir>/operations.db, durable) or "
          "memory (lost on restart; for throwaway servers).");
ABSL_FLAG(int64_t, audit_memory_entries, 0,
          "With --operation_store=memory: audit entries kept in memory, the oldest dropped past "
          "it (ListAuditEntries says how far); 0 = 4 per --retained_operations.");
ABSL_FLAG(bool, read_only, false,
          "sysvol backend: serve backup and report only, whatever the detection says.");
ABSL_FLAG(bool, detect_running_dc, true,
          "sysvol backend: open the tree read-only when a running Samba DC serves it.");

#ifdef GPOP_TEST_HOOKS
// Only in builds with the test hooks (CMake GPOP_TEST_HOOKS, off in Release): no production
// gpopd can be told to hold its import sets.
ABSL_FLAG(int32_t, test_import_set_hold_after, 0,
          "Test only: an import set holds after importing this many GPOs until it is "
          "cancelled (end-to-end tests of a mid-set cancel). 0: off.");
#endif

namespace gpop {
namespace {

absl::Status BadFlag(const std::string& message) { return absl::InvalidArgumentError(message); }

#ifndef _WIN32
// A stable GUID from a name (not RFC 4122 name-based; only a convenient default).
std::string GuidFromName(const std::string& name) {
  uint64_t h1 = 1469598103934665603ull, h2 = 1099511628211ull;
  for (unsigned char c : name) {
    h1 = (h1 ^ c) * 1099511628211ull;
    h2 = (h2 ^ c) * 6364136223846793005ull + 1442695040888963407ull;
  }
  char buf[40];
  std::snprintf(buf, sizeof(buf), "{%08X-%04X-4%03X-8%03X-%012llX}",
                static_cast<unsigned>(h1 >> 32), static_cast<unsigned>((h1 >> 16) & 0xFFFF),
                static_cast<unsigned>(h1 & 0xFFF), static_cast<unsigned>((h2 >> 52) & 0xFFF),
                static_cast<unsigned long long>(h2 & 0xFFFFFFFFFFFFull));
  return buf;
}

absl::StatusOr<std::unique_ptr<core::Backend>> MakeSysvol() {
  namespace fs = std::filesystem;
  sysvol::SysvolConfig config;
  std::string dir = absl::GetFlag(FLAGS_sysvol);
  if (dir.empty()) return BadFlag("--sysvol: required (the folder that holds Policies/)");
  config.sysvol_dir = dir;
  config.domain = absl::GetFlag(FLAGS_domain);
  if (config.domain.empty()) {
    std::string leaf = fs::path(dir).lexically_normal().filename().string();
    if (leaf.empty()) leaf = fs::path(dir).lexically_normal().parent_path().filename().string();
    if (leaf.find('.') == std::string::npos) {
      return BadFlag("--domain: required (the --sysvol folder's name \"" + leaf +
                     "\" is not a DNS name)");
    }
    config.domain = leaf;
  }
  config.domain_guid = absl::GetFlag(FLAGS_domain_guid);
  if (config.domain_guid.empty()) config.domain_guid = GuidFromName(config.domain);
  config.domain_controller = absl::GetFlag(FLAGS_domain_controller);
  fs::path state = absl::GetFlag(FLAGS_state_dir);
  if (absl::Status s =
          BackupLocationsFromFlags(&config.backup_locations, &config.default_backup_location);
      !s.ok()) {
    return s;
  }
  std::string tables = absl::GetFlag(FLAGS_migration_tables);
  config.migration_table_dir = tables.empty() ? state / "migration-tables" : fs::path(tables);
  config.report_dir = state / "reports";
  config.metadata_db = state / "sysvol-metadata.db";
  config.read_only = absl::GetFlag(FLAGS_read_only);
  config.detect_running_dc = absl::GetFlag(FLAGS_detect_running_dc);
#ifdef GPOP_TEST_HOOKS
  if (absl::GetFlag(FLAGS_test_import_set_hold_after) < 0) {
    return BadFlag("--test_import_set_hold_after: must not be negative");
  }
  config.test_import_set_hold_after =
      static_cast<size_t>(absl::GetFlag(FLAGS_test_import_set_hold_after));
#endif

  core::Result<std::unique_ptr<sysvol::SysvolBackend>> backend =
      sysvol::SysvolBackend::Open(config);
  if (!backend.ok()) return engine::ToStatus(backend.error());
  core::Result<std::vector<std::string>> resolved = (*backend)->ResolveLeftovers();
  if (!resolved.ok()) return engine::ToStatus(resolved.error());
  for (const std::string& id : *resolved) {
    std::fprintf(stderr, "gpopd: resolved the interrupted operation %s\n", id.c_str());
  }
  MaybeInstallTestKillHook(**backend);  // test builds only; after recovery, for new runs
  if ((*backend)->read_only()) {
    std::fprintf(stderr, "gpopd: the GPO store is read-only: %s\n",
                 (*backend)->read_only_reason().c_str());
  }
  return std::unique_ptr<core::Backend>(std::move(*backend));
}
#endif

}  // namespace

absl::Status BackupLocationsFromFlags(std::map<std::string, std::filesystem::path>* locations,
                                      std::string* default_name) {
  namespace fs = std::filesystem;
  fs::path state = absl::GetFlag(FLAGS_state_dir);
  locations->clear();
  for (const std::string& entry : absl::GetFlag(FLAGS_backup_locations)) {
    std::vector<std::string> kv = absl::StrSplit(entry, absl::MaxSplits('=', 1));
    if (kv.size() != 2 || kv[0].empty() || kv[1].empty()) {
      return BadFlag("--backup_locations: expected NAME=DIR, got \"" + entry + "\"");
    }
    (*locations)[kv[0]] = kv[1];
  }
  if (locations->empty()) (*locations)["default"] = state / "backups";
  *default_name = absl::GetFlag(FLAGS_default_location);
  if (default_name->empty()) {
    *default_name = locations->size() == 1 ? locations->begin()->first : "default";
  }
  if (locations->count(*default_name) == 0) {
    return BadFlag("--default_location: \"" + *default_name +
                   "\" is not one of --backup_locations");
  }
  for (auto& [name, path] : *locations) {
    std::error_code ec;
    fs::create_directories(path, ec);
    if (ec)
      return BadFlag("--backup_locations: cannot create " + path.string() + ": " + ec.message());
  }
  return absl::OkStatus();
}

const char* DefaultBackendName() {
#ifdef _WIN32
  return "gpmc";
#else
  return "sysvol";
#endif
}

absl::StatusOr<std::unique_ptr<core::Backend>> MakeBackendFromFlags(const std::string& name) {
  if (name == "synthetic") {
    return std::unique_ptr<core::Backend>(std::make_unique<synthetic::SyntheticBackend>());
  }
#ifndef _WIN32
  if (name == "sysvol") return MakeSysvol();
  return BadFlag("--backend=" + name + ": unknown backend (known: sysvol, synthetic)");
#else
  if (name == "gpmc") {
    // Compiled only by the native Windows (MSVC) build, which was not run here (README).
    gpmc::GpmcConfig config;
    config.domain = absl::GetFlag(FLAGS_domain);
    config.domain_controller = absl::GetFlag(FLAGS_domain_controller);
    if (config.domain.empty()) return BadFlag("--domain: required with --backend=gpmc");
    for (const std::string& entry : absl::GetFlag(FLAGS_backup_locations)) {
      std::vector<std::string> kv = absl::StrSplit(entry, absl::MaxSplits('=', 1));
      if (kv.size() != 2) return BadFlag("--backup_locations: expected NAME=DIR");
      config.backup_locations[kv[0] == absl::GetFlag(FLAGS_default_location) ? "" : kv[0]] = kv[1];
    }
    config.migration_table_dir = absl::GetFlag(FLAGS_migration_tables);
    return std::unique_ptr<core::Backend>(std::make_unique<gpmc::GpmcBackend>(config));
  }
  return BadFlag("--backend=" + name + ": unknown backend (known: gpmc, synthetic)");
#endif
}

absl::StatusOr<std::unique_ptr<engine::Store>> OpenStoreFromFlags() {
  const std::string kind = absl::GetFlag(FLAGS_operation_store);
  if (kind == "memory") return std::unique_ptr<engine::Store>(new store::MemoryStore());
  if (kind != "sqlite") {
    return BadFlag("--operation_store: expected sqlite or memory, got \"" + kind + "\"");
  }
  std::filesystem::path state = absl::GetFlag(FLAGS_state_dir);
  std::error_code ec;
  std::filesystem::create_directories(state, ec);
  if (ec) return BadFlag("--state_dir: cannot create " + state.string() + ": " + ec.message());
  absl::StatusOr<std::unique_ptr<store::SqliteStore>> store =
      store::SqliteStore::Open((state / "operations.db").string());
  if (!store.ok()) return store.status();
  return std::unique_ptr<engine::Store>(std::move(*store));
}

absl::StatusOr<std::unique_ptr<audit::AuditLog>> OpenAuditLogFromFlags(engine::Store* store,
                                                                       int retained_operations) {
  if (absl::GetFlag(FLAGS_operation_store) == "memory") {
    int64_t entries = absl::GetFlag(FLAGS_audit_memory_entries);
    if (entries < 0) return BadFlag("--audit_memory_entries: must not be negative");
    if (entries == 0) {
      entries = static_cast<int64_t>(audit::MemoryAuditLog::kEntriesPerRetainedOperation) *
                std::max(1, retained_operations);
    }
    return std::unique_ptr<audit::AuditLog>(
        new audit::MemoryAuditLog(static_cast<size_t>(entries)));
  }
  // --operation_store=sqlite: OpenStoreFromFlags opened a SqliteStore.
  absl::StatusOr<std::unique_ptr<audit::SqliteAuditLog>> log =
      audit::SqliteAuditLog::Open(static_cast<store::SqliteStore*>(store));
  if (!log.ok()) return log.status();
  return std::unique_ptr<audit::AuditLog>(std::move(*log));
}

}  // namespace gpop
