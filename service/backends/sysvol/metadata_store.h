// The sysvol backend's own metadata store (SQLite, WAL, synchronous=FULL): the container half of
// each GPO that a directory server would hold, and the intent of every operation that writes, so
// that a crash at any moment can be rolled forward or back by operation id.

#ifndef GPOP_SERVICE_BACKENDS_SYSVOL_METADATA_STORE_H_
#define GPOP_SERVICE_BACKENDS_SYSVOL_METADATA_STORE_H_

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "service/core/error.h"
#include "service/core/mutex.h"
#include "service/sqlite/database.h"

namespace gpop::sysvol {

// GpoMetadata
//
// The container half of one GPO. Times are Unix milliseconds (0: unknown).
struct GpoMetadata {
  std::string guid;  // braced upper case
  std::string display_name;
  uint32_t flags = 0;
  uint32_t version = 0;  // the directory's versionNumber, kept in step with GPT.INI
  std::string machine_extension_guids;
  std::string user_extension_guids;
  int64_t created_ms = 0;
  int64_t modified_ms = 0;
  // The GPO's security descriptor (self-relative, binary, as Backup.xml's SecurityDescriptor
  // holds it); empty: none known. Kept so that a restore puts it back and a backup carries it;
  // nothing here enforces it.
  std::string security_descriptor;
};

// IntentState
//
// kStaging: work happens in the staging area, nothing is published (recovery rolls back).
// kCommitting: the commit point has passed; publishing may be partly done (recovery rolls
// forward). kDone: published. kRolledBack: undone, effects NONE.
enum class IntentState { kStaging, kCommitting, kDone, kRolledBack };

// Durability
//
// When one commit of the metadata store is durable. kSynced: when the call returns (the WAL is
// fsynced, synchronous=FULL). kDeferred: the commit is written to the WAL without a sync
// (synchronous=NORMAL for that commit only) and becomes durable with the store's next synced
// commit or checkpoint; a crash of the machine (not of the process) before then may lose it,
// never a later synced commit (the WAL keeps the commits in order). For the steps whose loss
// recovery resolves to the same outcome: an intent's STAGING record (lost: no intent, effects
// NONE, its staging folder swept at start), its DONE mark (lost: COMMITTING, whose roll-forward
// of a published backup is idempotent: APPLIED), its ROLLED_BACK mark (lost: STAGING, rolled
// back again: NONE).
enum class Durability { kSynced, kDeferred };

const char* IntentStateName(IntentState state);

// Intent
//
// What one writing operation is doing. `root` names the target root (a backup location's name
// for backups), `staging` the staging folder's name inside that root's staging area, and
// `fields` the kind-specific facts recovery needs (for a backup: backup_id, gpo_guid, ...).
struct Intent {
  std::string operation_id;
  std::string kind;
  IntentState state = IntentState::kStaging;
  std::string root;
  std::string staging;
  std::map<std::string, std::string> fields;
};

// MetadataStore
//
// One SQLite connection (service/sqlite). Thread-safe (calls are serialised by an internal
// mutex). The schema is versioned (PRAGMA user_version, application_id "gpsv") with forward
// migrations; a file written before it was versioned is adopted.
class MetadataStore {
 public:
  // Open
  //
  // Opens or creates the database at `path` (its folder is created when missing), sets WAL and
  // synchronous=FULL and brings the schema to the current version. A damaged file is DATA_LOSS
  // (CORRUPT_FILE), a foreign or newer-schema one FAILED_PRECONDITION; both name the file and
  // leave it untouched.
  static core::Result<std::unique_ptr<MetadataStore>> Open(const std::filesystem::path& path);

  ~MetadataStore();
  // The schema version this build writes.
  static int SchemaVersion();
  MetadataStore(const MetadataStore&) = delete;
  MetadataStore& operator=(const MetadataStore&) = delete;

  // GPOs' container half.
  core::Result<std::optional<GpoMetadata>> GetGpo(const std::string& guid) const;
  core::Result<std::vector<GpoMetadata>> ListGpos() const;
  core::Status PutGpo(const GpoMetadata& gpo);
  // Changes whenever the gpos table may have: a PutGpo by this store, a commit by another
  // connection to the file (SQLite's data_version).
  core::Result<uint64_t> GposGeneration() const;

  // Intents. RecordIntent inserts (an existing id is ALREADY_EXISTS); SetIntentState changes
  // the state in one transaction, durable when it returns unless `durability` is kDeferred.
  core::Status RecordIntent(const Intent& intent, Durability durability = Durability::kSynced);
  core::Status SetIntentState(const std::string& operation_id, IntentState state,
                              Durability durability = Durability::kSynced);
  core::Result<std::optional<Intent>> GetIntent(const std::string& operation_id) const;
  // Every intent in kStaging or kCommitting.
  core::Result<std::vector<Intent>> OpenIntents() const;
  // The ids of every intent, whatever its state, whose id begins with `prefix` (one indexed
  // range read), sorted as strings.
  core::Result<std::vector<std::string>> IntentIdsWithPrefix(const std::string& prefix) const;

 private:
  explicit MetadataStore(std::unique_ptr<sqlite::Database> db) : db_(std::move(db)) {}

  core::Status InsertIntentLocked(const Intent& intent) GPOP_REQUIRES(mu_);
  core::Status PutGpoLocked(const GpoMetadata& gpo) GPOP_REQUIRES(mu_);
  core::Status SetIntentStateLocked(const std::string& operation_id, IntentState state)
      GPOP_REQUIRES(mu_);
  // Sets the connection's synchronous mode for the next commit: NORMAL for kDeferred, FULL
  // (the connection's mode between calls) for kSynced.
  core::Status SetSynchronousLocked(Durability durability) GPOP_REQUIRES(mu_);
  // Runs `commit` with `durability`, then puts the connection back to FULL.
  template <typename Commit>
  core::Status CommitWithLocked(Durability durability, Commit commit) GPOP_REQUIRES(mu_);
  core::Result<std::optional<Intent>> GetIntentLocked(const std::string& operation_id) const
      GPOP_REQUIRES(mu_);

  mutable core::Mutex mu_;
  const std::unique_ptr<sqlite::Database> db_ GPOP_PT_GUARDED_BY(mu_);
  uint64_t gpo_writes_ GPOP_GUARDED_BY(mu_) = 0;
  // The connection's synchronous mode (FULL: kSynced), as last set.
  Durability synchronous_ GPOP_GUARDED_BY(mu_) = Durability::kSynced;
};

}  // namespace gpop::sysvol

#endif  // GPOP_SERVICE_BACKENDS_SYSVOL_METADATA_STORE_H_
