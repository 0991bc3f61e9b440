// The backend gpopd runs, chosen and configured by flags: --backend and each backend's own
// flags (--sysvol, --domain, --backup_locations, --state_dir, ...), and the operation store
// under --state_dir. main.cc's one seam.

#ifndef GPOP_SERVICE_BACKEND_FLAGS_H_
#define GPOP_SERVICE_BACKEND_FLAGS_H_

#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "service/audit/audit_log.h"
#include "service/core/backend.h"
#include "service/engine/store.h"

namespace gpop {

// DefaultBackendName
//
// "sysvol" on Linux, "gpmc" on Windows. The synthetic backend is never the default.
const char* DefaultBackendName();

// MakeBackendFromFlags
//
// Builds the backend named `name` from its flags, and prepares it to run (the sysvol backend
// resolves what a crash left behind before it serves). Errors say which flag is wrong.
absl::StatusOr<std::unique_ptr<core::Backend>> MakeBackendFromFlags(const std::string& name);

// BackupLocationsFromFlags
//
// The named backup locations of --backup_locations (default: default=<state_dir>/backups) and
// the name of the default one (--default_location, or the only one), each folder created when
// missing. The sysvol backend and the transfer service use the same ones.
absl::Status BackupLocationsFromFlags(std::map<std::string, std::filesystem::path>* locations,
                                      std::string* default_name);

// OpenStoreFromFlags
//
// The operation store: --operation_store=sqlite (default; <state_dir>/operations.db, created
// with the folder when missing) or memory (nothing survives a restart). A damaged, foreign or
// newer-schema file is an error naming it; gpopd never resets it.
absl::StatusOr<std::unique_ptr<engine::Store>> OpenStoreFromFlags();

// OpenAuditLogFromFlags
//
// The audit log beside `store`, what OpenStoreFromFlags opened: the `audit` table of
// <state_dir>/operations.db, written in the store's own commits, or in memory with
// --operation_store=memory (the newest --audit_memory_entries, by default 4 per
// `retained_operations`, the oldest dropped past it). Destroy it before the store.
absl::StatusOr<std::unique_ptr<audit::AuditLog>> OpenAuditLogFromFlags(engine::Store* store,
                                                                       int retained_operations);

}  // namespace gpop

#endif  // GPOP_SERVICE_BACKEND_FLAGS_H_
