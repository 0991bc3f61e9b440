// The SQLite metadata store of the sysvol backend (see metadata_store.h), on the SQLite layer
// shared with the operation store (service/sqlite).

#include "service/backends/sysvol/metadata_store.h"

#include <system_error>
#include <utility>

#include "absl/status/status.h"
#include "service/sqlite/statement.h"

namespace gpop::sysvol {
namespace {

constexpr int32_t kApplicationId = 0x67707376;  // "gpsv"

// Forward migrations: entry i takes user_version i to i + 1. Never edit one that has shipped;
// append a new one. Migration 1 is the schema of the files written before it was versioned
// (hence IF NOT EXISTS: it runs over such a file when it is adopted).
const sqlite::Schema& MetadataSchema() {
  static const sqlite::Schema* schema = new sqlite::Schema{
      "gpop sysvol metadata store",
      kApplicationId,
      {
          // 1: the GPOs' container half, and the intents of writing operations.
          "CREATE TABLE IF NOT EXISTS gpos ("
          " guid TEXT PRIMARY KEY, display_name TEXT NOT NULL,"
          " flags INTEGER NOT NULL DEFAULT 0, version INTEGER NOT NULL DEFAULT 0,"
          " machine_extension_guids TEXT NOT NULL DEFAULT '',"
          " user_extension_guids TEXT NOT NULL DEFAULT '',"
          " created_ms INTEGER NOT NULL DEFAULT 0, modified_ms INTEGER NOT NULL DEFAULT 0);"
          "CREATE TABLE IF NOT EXISTS intents ("
          " operation_id TEXT PRIMARY KEY, kind TEXT NOT NULL, state TEXT NOT NULL,"
          " root TEXT NOT NULL, staging TEXT NOT NULL);"
          "CREATE TABLE IF NOT EXISTS intent_fields ("
          " operation_id TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,"
          " PRIMARY KEY (operation_id, key));",
          // 2: the GPO's security descriptor (binary; empty: none known).
          "ALTER TABLE gpos ADD COLUMN security_descriptor BLOB NOT NULL DEFAULT x'';",
      },
      {"gpos", "intents", "intent_fields"},
      /*after_migration=*/{},
  };
  return *schema;
}

// A SQLite failure as the backend's error: the code it maps to, a reason by kind.
core::Error ToError(const absl::Status& s, const std::string& what) {
  const char* reason = core::reason::kIoError;
  if (s.code() == absl::StatusCode::kDataLoss) reason = core::reason::kCorruptFile;
  if (s.code() == absl::StatusCode::kFailedPrecondition) reason = core::reason::kCorruptFile;
  return core::MakeError(static_cast<core::Code>(s.code()), reason,
                         "metadata store: " + what + ": " + std::string(s.message()));
}

IntentState ParseIntentState(const std::string& s) {
  if (s == "COMMITTING") return IntentState::kCommitting;
  if (s == "DONE") return IntentState::kDone;
  if (s == "ROLLED_BACK") return IntentState::kRolledBack;
  return IntentState::kStaging;
}

GpoMetadata ReadGpoRow(const sqlite::Statement& s) {
  GpoMetadata g;
  g.guid = s.ColumnText(0);
  g.display_name = s.ColumnText(1);
  g.flags = static_cast<uint32_t>(s.ColumnInt(2));
  g.version = static_cast<uint32_t>(s.ColumnInt(3));
  g.machine_extension_guids = s.ColumnText(4);
  g.user_extension_guids = s.ColumnText(5);
  g.created_ms = s.ColumnInt(6);
  g.modified_ms = s.ColumnInt(7);
  g.security_descriptor = s.ColumnText(8);
  return g;
}

constexpr char kGpoColumns[] =
    "SELECT guid, display_name, flags, version, machine_extension_guids, "
    "user_extension_guids, created_ms, modified_ms, security_descriptor FROM gpos";

}  // namespace

const char* IntentStateName(IntentState state) {
  switch (state) {
    case IntentState::kStaging:
      return "STAGING";
    case IntentState::kCommitting:
      return "COMMITTING";
    case IntentState::kDone:
      return "DONE";
    case IntentState::kRolledBack:
      return "ROLLED_BACK";
  }
  return "STAGING";
}

int MetadataStore::SchemaVersion() { return static_cast<int>(MetadataSchema().migrations.size()); }

core::Result<std::unique_ptr<MetadataStore>> MetadataStore::Open(
    const std::filesystem::path& path) {
  if (path.empty()) {
    return core::MakeError(core::Code::kFailedPrecondition, core::reason::kInvalidField,
                           "no metadata database path configured");
  }
  std::error_code ec;
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
  sqlite::OpenOptions options;
  options.incremental_vacuum = false;  // small, and rows are rarely removed
  absl::StatusOr<std::unique_ptr<sqlite::Database>> db =
      sqlite::Database::Open(path.string(), MetadataSchema(), options);
  if (!db.ok()) return ToError(db.status(), "open");
  return std::unique_ptr<MetadataStore>(new MetadataStore(*std::move(db)));
}

MetadataStore::~MetadataStore() = default;

core::Status MetadataStore::SetSynchronousLocked(Durability durability) {
  // A WAL connection fsyncs the WAL at each commit with synchronous=FULL, only at checkpoints
  // with NORMAL; the mode may change between transactions and applies from the next commit.
  absl::Status s = db_->Exec(durability == Durability::kDeferred ? "PRAGMA synchronous=NORMAL"
                                                                 : "PRAGMA synchronous=FULL");
  if (!s.ok()) return ToError(s, "set synchronous");
  return core::Status();
}

template <typename Commit>
core::Status MetadataStore::CommitWithLocked(Durability durability, Commit commit) {
  if (durability != synchronous_) {
    if (core::Status s = SetSynchronousLocked(durability); !s.ok()) return s;
    synchronous_ = durability;
  }
  core::Status out = commit();
  // Between calls the connection syncs every commit; should putting it back fail, the next
  // commit (PutGpo's included) tries again before it runs.
  if (durability == Durability::kDeferred && SetSynchronousLocked(Durability::kSynced).ok()) {
    synchronous_ = Durability::kSynced;
  }
  return out;
}

core::Result<std::optional<GpoMetadata>> MetadataStore::GetGpo(const std::string& guid) const {
  core::MutexLock lock(&mu_);
  absl::StatusOr<sqlite::Statement> s = db_->Prepare(std::string(kGpoColumns) + " WHERE guid = ?1");
  if (!s.ok()) return ToError(s.status(), "prepare");
  s->Bind(1, guid);
  absl::StatusOr<bool> row = s->Step();
  if (!row.ok()) return ToError(row.status(), "read gpo");
  if (!*row) return std::optional<GpoMetadata>();
  return std::optional<GpoMetadata>(ReadGpoRow(*s));
}

core::Result<std::vector<GpoMetadata>> MetadataStore::ListGpos() const {
  core::MutexLock lock(&mu_);
  absl::StatusOr<sqlite::Statement> s = db_->Prepare(std::string(kGpoColumns) + " ORDER BY guid");
  if (!s.ok()) return ToError(s.status(), "prepare");
  std::vector<GpoMetadata> out;
  for (;;) {
    absl::StatusOr<bool> row = s->Step();
    if (!row.ok()) return ToError(row.status(), "list gpos");
    if (!*row) break;
    out.push_back(ReadGpoRow(*s));
  }
  return out;
}

core::Status MetadataStore::PutGpo(const GpoMetadata& g) {
  core::MutexLock lock(&mu_);
  return CommitWithLocked(Durability::kSynced,
                          [&]() GPOP_REQUIRES(mu_) { return PutGpoLocked(g); });
}

core::Status MetadataStore::PutGpoLocked(const GpoMetadata& g) {
  absl::StatusOr<sqlite::Statement> s = db_->Prepare(
      "INSERT OR REPLACE INTO gpos (guid, display_name, flags, version, "
      "machine_extension_guids, user_extension_guids, created_ms, modified_ms, "
      "security_descriptor) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
  if (!s.ok()) return ToError(s.status(), "prepare");
  absl::Status run = s->Bind(1, g.guid)
                         .Bind(2, g.display_name)
                         .Bind(3, static_cast<int64_t>(g.flags))
                         .Bind(4, static_cast<int64_t>(g.version))
                         .Bind(5, g.machine_extension_guids)
                         .Bind(6, g.user_extension_guids)
                         .Bind(7, g.created_ms)
                         .Bind(8, g.modified_ms)
                         .BindBlob(9, g.security_descriptor)
                         .Run();
  ++gpo_writes_;  // also when it failed: the row may have changed all the same
  if (!run.ok()) return ToError(run, "write gpo " + g.guid);
  return core::Status();
}

core::Result<uint64_t> MetadataStore::GposGeneration() const {
  core::MutexLock lock(&mu_);
  absl::StatusOr<int64_t> others = db_->QueryInt("PRAGMA data_version");
  if (!others.ok()) return ToError(others.status(), "read data_version");
  return (static_cast<uint64_t>(*others) << 32) ^ gpo_writes_;
}

core::Status MetadataStore::RecordIntent(const Intent& intent, Durability durability) {
  core::MutexLock lock(&mu_);
  return CommitWithLocked(durability, [&]() GPOP_REQUIRES(mu_) -> core::Status {
    absl::StatusOr<sqlite::Transaction> tx = sqlite::Transaction::Begin(db_.get());
    if (!tx.ok()) return ToError(tx.status(), "begin");
    if (core::Status st = InsertIntentLocked(intent); !st.ok()) return st;  // rolled back
    if (absl::Status s = tx->Commit(); !s.ok()) return ToError(s, "commit intent");
    return core::Status();
  });
}

core::Status MetadataStore::InsertIntentLocked(const Intent& intent) {
  {
    absl::StatusOr<sqlite::Statement> s = db_->Prepare(
        "INSERT INTO intents (operation_id, kind, state, root, staging) "
        "VALUES (?1, ?2, ?3, ?4, ?5)");
    if (!s.ok()) return ToError(s.status(), "prepare");
    absl::Status run = s->Bind(1, intent.operation_id)
                           .Bind(2, intent.kind)
                           .Bind(3, std::string_view(IntentStateName(intent.state)))
                           .Bind(4, intent.root)
                           .Bind(5, intent.staging)
                           .Run();
    if (absl::IsAlreadyExists(run)) {
      return core::MakeError(core::Code::kAlreadyExists, core::reason::kInternal,
                             "an intent is already recorded for operation " + intent.operation_id);
    }
    if (!run.ok()) return ToError(run, "record intent");
  }
  absl::StatusOr<sqlite::Statement> f =
      db_->Prepare("INSERT INTO intent_fields (operation_id, key, value) VALUES (?1, ?2, ?3)");
  if (!f.ok()) return ToError(f.status(), "prepare");
  for (const auto& [key, value] : intent.fields) {
    absl::Status run = f->Bind(1, intent.operation_id).Bind(2, key).Bind(3, value).Run();
    if (!run.ok()) return ToError(run, "record intent field");
  }
  return core::Status();
}

core::Status MetadataStore::SetIntentState(const std::string& operation_id, IntentState state,
                                           Durability durability) {
  core::MutexLock lock(&mu_);
  return CommitWithLocked(
      durability, [&]() GPOP_REQUIRES(mu_) { return SetIntentStateLocked(operation_id, state); });
}

core::Status MetadataStore::SetIntentStateLocked(const std::string& operation_id,
                                                 IntentState state) {
  absl::StatusOr<sqlite::Statement> s =
      db_->Prepare("UPDATE intents SET state = ?1 WHERE operation_id = ?2");
  if (!s.ok()) return ToError(s.status(), "prepare");
  absl::Status run =
      s->Bind(1, std::string_view(IntentStateName(state))).Bind(2, operation_id).Run();
  if (!run.ok()) return ToError(run, "update intent");
  if (db_->Changes() != 1) {
    return core::MakeError(core::Code::kNotFound, core::reason::kOperationNotFound,
                           "no intent recorded for operation " + operation_id);
  }
  return core::Status();
}

core::Result<std::optional<Intent>> MetadataStore::GetIntentLocked(
    const std::string& operation_id) const {
  absl::StatusOr<sqlite::Statement> s =
      db_->Prepare("SELECT kind, state, root, staging FROM intents WHERE operation_id = ?1");
  if (!s.ok()) return ToError(s.status(), "prepare");
  s->Bind(1, operation_id);
  absl::StatusOr<bool> row = s->Step();
  if (!row.ok()) return ToError(row.status(), "read intent");
  if (!*row) return std::optional<Intent>();
  Intent intent;
  intent.operation_id = operation_id;
  intent.kind = s->ColumnText(0);
  intent.state = ParseIntentState(s->ColumnText(1));
  intent.root = s->ColumnText(2);
  intent.staging = s->ColumnText(3);
  absl::StatusOr<sqlite::Statement> f =
      db_->Prepare("SELECT key, value FROM intent_fields WHERE operation_id = ?1");
  if (!f.ok()) return ToError(f.status(), "prepare");
  f->Bind(1, operation_id);
  for (;;) {
    absl::StatusOr<bool> field = f->Step();
    if (!field.ok()) return ToError(field.status(), "read intent fields");
    if (!*field) break;
    intent.fields[f->ColumnText(0)] = f->ColumnText(1);
  }
  return std::optional<Intent>(std::move(intent));
}

core::Result<std::optional<Intent>> MetadataStore::GetIntent(
    const std::string& operation_id) const {
  core::MutexLock lock(&mu_);
  return GetIntentLocked(operation_id);
}

core::Result<std::vector<std::string>> MetadataStore::IntentIdsWithPrefix(
    const std::string& prefix) const {
  std::vector<std::string> ids;
  if (prefix.empty()) return ids;
  // Every string beginning with `prefix` sorts at or after it and before its last byte's
  // successor (a prefix ending in 0xFF has none: then the range is open above).
  std::string end = prefix;
  while (!end.empty() && static_cast<unsigned char>(end.back()) == 0xFF) end.pop_back();
  if (!end.empty()) end.back() = static_cast<char>(static_cast<unsigned char>(end.back()) + 1);
  core::MutexLock lock(&mu_);
  absl::StatusOr<sqlite::Statement> s = db_->Prepare(
      end.empty() ? "SELECT operation_id FROM intents WHERE operation_id >= ?1 ORDER BY 1"
                  : "SELECT operation_id FROM intents WHERE operation_id >= ?1 AND "
                    "operation_id < ?2 ORDER BY 1");
  if (!s.ok()) return ToError(s.status(), "prepare");
  s->Bind(1, prefix);
  if (!end.empty()) s->Bind(2, end);
  for (;;) {
    absl::StatusOr<bool> row = s->Step();
    if (!row.ok()) return ToError(row.status(), "list intents");
    if (!*row) break;
    ids.push_back(s->ColumnText(0));
  }
  return ids;
}

core::Result<std::vector<Intent>> MetadataStore::OpenIntents() const {
  core::MutexLock lock(&mu_);
  std::vector<std::string> ids;
  {
    absl::StatusOr<sqlite::Statement> s = db_->Prepare(
        "SELECT operation_id FROM intents WHERE state IN ('STAGING', 'COMMITTING') "
        "ORDER BY operation_id");
    if (!s.ok()) return ToError(s.status(), "prepare");
    for (;;) {
      absl::StatusOr<bool> row = s->Step();
      if (!row.ok()) return ToError(row.status(), "list intents");
      if (!*row) break;
      ids.push_back(s->ColumnText(0));
    }
  }
  std::vector<Intent> out;
  for (const std::string& id : ids) {
    core::Result<std::optional<Intent>> intent = GetIntentLocked(id);
    if (!intent.ok()) return intent.error();
    if (*intent) out.push_back(std::move(**intent));
  }
  return out;
}

}  // namespace gpop::sysvol
