// The SQLite metadata store of the sysvol backend (see metadata_store.h).

#include "service/backends/sysvol/metadata_store.h"

#include <sqlite3.h>

#include <system_error>
#include <utility>

namespace gpop::sysvol {
namespace {

core::Error DbError(sqlite3* db, const std::string& what) {
  return core::MakeError(core::Code::kInternal, core::reason::kIoError,
                         "metadata store: " + what + ": " + sqlite3_errmsg(db));
}

// A prepared statement, finalised on scope exit.
class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK) stmt_ = nullptr;
  }
  ~Stmt() { sqlite3_finalize(stmt_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  bool ok() const { return stmt_ != nullptr; }
  sqlite3_stmt* get() const { return stmt_; }
  void Bind(int i, const std::string& s) {
    sqlite3_bind_text(stmt_, i, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
  }
  void Bind(int i, int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
  std::string Text(int col) const {
    const unsigned char* t = sqlite3_column_text(stmt_, col);
    int n = sqlite3_column_bytes(stmt_, col);
    return t == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(t), n);
  }
  int64_t Int(int col) const { return sqlite3_column_int64(stmt_, col); }
  core::Error Error(const std::string& what) const { return DbError(db_, what); }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

IntentState ParseIntentState(const std::string& s) {
  if (s == "COMMITTING") return IntentState::kCommitting;
  if (s == "DONE") return IntentState::kDone;
  if (s == "ROLLED_BACK") return IntentState::kRolledBack;
  return IntentState::kStaging;
}

GpoMetadata ReadGpoRow(const Stmt& s) {
  GpoMetadata g;
  g.guid = s.Text(0);
  g.display_name = s.Text(1);
  g.flags = static_cast<uint32_t>(s.Int(2));
  g.version = static_cast<uint32_t>(s.Int(3));
  g.machine_extension_guids = s.Text(4);
  g.user_extension_guids = s.Text(5);
  g.created_ms = s.Int(6);
  g.modified_ms = s.Int(7);
  return g;
}

constexpr char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS gpos (
  guid TEXT PRIMARY KEY,
  display_name TEXT NOT NULL,
  flags INTEGER NOT NULL DEFAULT 0,
  version INTEGER NOT NULL DEFAULT 0,
  machine_extension_guids TEXT NOT NULL DEFAULT '',
  user_extension_guids TEXT NOT NULL DEFAULT '',
  created_ms INTEGER NOT NULL DEFAULT 0,
  modified_ms INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS intents (
  operation_id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  state TEXT NOT NULL,
  root TEXT NOT NULL,
  staging TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS intent_fields (
  operation_id TEXT NOT NULL,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (operation_id, key)
);
)sql";

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

core::Result<std::unique_ptr<MetadataStore>> MetadataStore::Open(
    const std::filesystem::path& path) {
  if (path.empty()) {
    return core::MakeError(core::Code::kFailedPrecondition, core::reason::kInvalidField,
                           "no metadata database path configured");
  }
  std::error_code ec;
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
  sqlite3* db = nullptr;
  int rc =
      sqlite3_open_v2(path.c_str(), &db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    core::Error e = core::MakeError(
        core::Code::kInternal, core::reason::kIoError,
        "metadata store " + path.string() + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
    sqlite3_close(db);
    return e;
  }
  sqlite3_busy_timeout(db, 5000);
  std::unique_ptr<MetadataStore> store(new MetadataStore(db));
  {
    core::MutexLock lock(&store->mu_);
    for (const char* sql : {"PRAGMA journal_mode=WAL;", "PRAGMA synchronous=FULL;", kSchema}) {
      if (core::Status s = store->ExecLocked(sql); !s.ok()) return s.error();
    }
  }
  return store;
}

MetadataStore::~MetadataStore() {
  core::MutexLock lock(&mu_);
  sqlite3_close(db_);
}

core::Status MetadataStore::ExecLocked(const char* sql) const {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string message = err ? err : "error";
    sqlite3_free(err);
    return core::MakeError(core::Code::kInternal, core::reason::kIoError,
                           "metadata store: " + message);
  }
  return core::Status();
}

core::Result<std::optional<GpoMetadata>> MetadataStore::GetGpo(const std::string& guid) const {
  core::MutexLock lock(&mu_);
  Stmt s(db_,
         "SELECT guid, display_name, flags, version, machine_extension_guids, "
         "user_extension_guids, created_ms, modified_ms FROM gpos WHERE guid = ?");
  if (!s.ok()) return DbError(db_, "prepare");
  s.Bind(1, guid);
  int rc = sqlite3_step(s.get());
  if (rc == SQLITE_DONE) return std::optional<GpoMetadata>();
  if (rc != SQLITE_ROW) return s.Error("read gpo");
  return std::optional<GpoMetadata>(ReadGpoRow(s));
}

core::Result<std::vector<GpoMetadata>> MetadataStore::ListGpos() const {
  core::MutexLock lock(&mu_);
  Stmt s(db_,
         "SELECT guid, display_name, flags, version, machine_extension_guids, "
         "user_extension_guids, created_ms, modified_ms FROM gpos ORDER BY guid");
  if (!s.ok()) return DbError(db_, "prepare");
  std::vector<GpoMetadata> out;
  int rc;
  while ((rc = sqlite3_step(s.get())) == SQLITE_ROW) out.push_back(ReadGpoRow(s));
  if (rc != SQLITE_DONE) return s.Error("list gpos");
  return out;
}

core::Status MetadataStore::PutGpo(const GpoMetadata& g) {
  core::MutexLock lock(&mu_);
  Stmt s(db_,
         "INSERT OR REPLACE INTO gpos (guid, display_name, flags, version, "
         "machine_extension_guids, user_extension_guids, created_ms, modified_ms) "
         "VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  if (!s.ok()) return DbError(db_, "prepare");
  s.Bind(1, g.guid);
  s.Bind(2, g.display_name);
  s.Bind(3, static_cast<int64_t>(g.flags));
  s.Bind(4, static_cast<int64_t>(g.version));
  s.Bind(5, g.machine_extension_guids);
  s.Bind(6, g.user_extension_guids);
  s.Bind(7, g.created_ms);
  s.Bind(8, g.modified_ms);
  if (sqlite3_step(s.get()) != SQLITE_DONE) return s.Error("write gpo " + g.guid);
  return core::Status();
}

core::Status MetadataStore::RecordIntent(const Intent& intent) {
  core::MutexLock lock(&mu_);
  if (core::Status st = ExecLocked("BEGIN IMMEDIATE;"); !st.ok()) return st;
  core::Status st = InsertIntentLocked(intent);
  if (!st.ok()) {
    (void)ExecLocked("ROLLBACK;");
    return st;
  }
  return ExecLocked("COMMIT;");
}

core::Status MetadataStore::InsertIntentLocked(const Intent& intent) {
  {
    Stmt s(db_,
           "INSERT INTO intents (operation_id, kind, state, root, staging) VALUES (?, ?, ?, ?, ?)");
    if (!s.ok()) return DbError(db_, "prepare");
    s.Bind(1, intent.operation_id);
    s.Bind(2, intent.kind);
    s.Bind(3, std::string(IntentStateName(intent.state)));
    s.Bind(4, intent.root);
    s.Bind(5, intent.staging);
    int rc = sqlite3_step(s.get());
    if (rc == SQLITE_CONSTRAINT) {
      return core::MakeError(core::Code::kAlreadyExists, core::reason::kInternal,
                             "an intent is already recorded for operation " + intent.operation_id);
    }
    if (rc != SQLITE_DONE) return s.Error("record intent");
  }
  for (const auto& [key, value] : intent.fields) {
    Stmt s(db_, "INSERT INTO intent_fields (operation_id, key, value) VALUES (?, ?, ?)");
    if (!s.ok()) return DbError(db_, "prepare");
    s.Bind(1, intent.operation_id);
    s.Bind(2, key);
    s.Bind(3, value);
    if (sqlite3_step(s.get()) != SQLITE_DONE) return s.Error("record intent field");
  }
  return core::Status();
}

core::Status MetadataStore::SetIntentState(const std::string& operation_id, IntentState state) {
  core::MutexLock lock(&mu_);
  Stmt s(db_, "UPDATE intents SET state = ? WHERE operation_id = ?");
  if (!s.ok()) return DbError(db_, "prepare");
  s.Bind(1, std::string(IntentStateName(state)));
  s.Bind(2, operation_id);
  if (sqlite3_step(s.get()) != SQLITE_DONE) return s.Error("update intent");
  if (sqlite3_changes(db_) != 1) {
    return core::MakeError(core::Code::kNotFound, core::reason::kOperationNotFound,
                           "no intent recorded for operation " + operation_id);
  }
  return core::Status();
}

core::Result<std::optional<Intent>> MetadataStore::GetIntentLocked(
    const std::string& operation_id) const {
  Stmt s(db_, "SELECT kind, state, root, staging FROM intents WHERE operation_id = ?");
  if (!s.ok()) return DbError(db_, "prepare");
  s.Bind(1, operation_id);
  int rc = sqlite3_step(s.get());
  if (rc == SQLITE_DONE) return std::optional<Intent>();
  if (rc != SQLITE_ROW) return s.Error("read intent");
  Intent intent;
  intent.operation_id = operation_id;
  intent.kind = s.Text(0);
  intent.state = ParseIntentState(s.Text(1));
  intent.root = s.Text(2);
  intent.staging = s.Text(3);
  Stmt f(db_, "SELECT key, value FROM intent_fields WHERE operation_id = ?");
  if (!f.ok()) return DbError(db_, "prepare");
  f.Bind(1, operation_id);
  while ((rc = sqlite3_step(f.get())) == SQLITE_ROW) intent.fields[f.Text(0)] = f.Text(1);
  if (rc != SQLITE_DONE) return f.Error("read intent fields");
  return std::optional<Intent>(std::move(intent));
}

core::Result<std::optional<Intent>> MetadataStore::GetIntent(
    const std::string& operation_id) const {
  core::MutexLock lock(&mu_);
  return GetIntentLocked(operation_id);
}

core::Result<std::vector<Intent>> MetadataStore::OpenIntents() const {
  core::MutexLock lock(&mu_);
  std::vector<std::string> ids;
  {
    Stmt s(db_,
           "SELECT operation_id FROM intents WHERE state IN ('STAGING', 'COMMITTING') "
           "ORDER BY operation_id");
    if (!s.ok()) return DbError(db_, "prepare");
    int rc;
    while ((rc = sqlite3_step(s.get())) == SQLITE_ROW) ids.push_back(s.Text(0));
    if (rc != SQLITE_DONE) return s.Error("list intents");
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
