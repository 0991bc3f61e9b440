// The sysvol metadata store on the shared SQLite layer: a fresh file is created at the current
// schema version, a file written before the schema was versioned is adopted with its rows, and
// a newer-schema, foreign or damaged file is refused with an error naming it, untouched.

#include "service/backends/sysvol/metadata_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "tests/testing/fixtures.h"

namespace gpop::sysvol {
namespace {

namespace fs = std::filesystem;

// Runs `sql` on `path` with a raw connection (the files other versions would have written).
void RawExec(const fs::path& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.string().c_str(), &db), SQLITE_OK);
  char* error = nullptr;
  int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  std::string message = error != nullptr ? error : "";
  sqlite3_free(error);
  sqlite3_close(db);
  ASSERT_EQ(rc, SQLITE_OK) << message;
}

int64_t RawInt(const fs::path& path, const std::string& sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(path.string().c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  int64_t value = -1;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK &&
      sqlite3_step(stmt) == SQLITE_ROW) {
    value = sqlite3_column_int64(stmt, 0);
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return value;
}

std::string RawText(const fs::path& path, const std::string& sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(path.string().c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  std::string value;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK &&
      sqlite3_step(stmt) == SQLITE_ROW) {
    const unsigned char* t = sqlite3_column_text(stmt, 0);
    if (t != nullptr) value = reinterpret_cast<const char*>(t);
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return value;
}

constexpr int64_t kApplicationId = 0x67707376;  // "gpsv"

GpoMetadata Gpo(const std::string& guid, const std::string& name) {
  GpoMetadata g;
  g.guid = guid;
  g.display_name = name;
  g.flags = 1;
  g.version = 65537;
  g.machine_extension_guids = "[{35378EAC}]";
  g.created_ms = 1700000000000;
  g.modified_ms = 1700000001000;
  return g;
}

TEST(MetadataStoreTest, AFreshFileIsCreatedAtTheCurrentVersionAndKeepsItsRows) {
  fs::path path = gpop::testing::TempDir("gpop-metadata") / "sub" / "metadata.db";
  {
    auto store = MetadataStore::Open(path);
    ASSERT_TRUE(store.ok()) << store.error().message;
    ASSERT_TRUE((*store)->PutGpo(Gpo("{A}", "Alpha")).ok());
    Intent intent;
    intent.operation_id = "op-1";
    intent.kind = "backup";
    intent.root = "default";
    intent.staging = "st-1";
    intent.fields = {{"backup_id", "{B}"}, {"gpo_guid", "{A}"}};
    ASSERT_TRUE((*store)->RecordIntent(intent).ok());
    core::Status again = (*store)->RecordIntent(intent);
    EXPECT_EQ(again.error().code, core::Code::kAlreadyExists);
    ASSERT_TRUE((*store)->SetIntentState("op-1", IntentState::kCommitting).ok());
    EXPECT_EQ((*store)->SetIntentState("op-none", IntentState::kDone).error().code,
              core::Code::kNotFound);
  }
  EXPECT_EQ(RawInt(path, "PRAGMA user_version"), MetadataStore::SchemaVersion());
  EXPECT_EQ(RawInt(path, "PRAGMA application_id"), kApplicationId);
  EXPECT_EQ(RawText(path, "PRAGMA journal_mode"), "wal");
  auto store = MetadataStore::Open(path);
  ASSERT_TRUE(store.ok()) << store.error().message;
  auto gpo = (*store)->GetGpo("{A}");
  ASSERT_TRUE(gpo.ok() && gpo->has_value());
  EXPECT_EQ((*gpo)->display_name, "Alpha");
  EXPECT_EQ((*gpo)->version, 65537u);
  EXPECT_EQ((*gpo)->created_ms, 1700000000000);
  auto open = (*store)->OpenIntents();
  ASSERT_TRUE(open.ok());
  ASSERT_EQ(open->size(), 1u);
  EXPECT_EQ(open->front().state, IntentState::kCommitting);
  EXPECT_EQ(open->front().fields.at("backup_id"), "{B}");
  auto none = (*store)->GetGpo("{Z}");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
}

TEST(MetadataStoreTest, IntentIdsWithPrefixAreExactlyThoseBeginningWithIt) {
  fs::path path = gpop::testing::TempDir("gpop-metadata") / "metadata.db";
  auto store = MetadataStore::Open(path);
  ASSERT_TRUE(store.ok()) << store.error().message;
  for (const char* id : {"op-a.set-0", "op-a.set-10", "op-a.set-2", "op-a.set.", "op-a.set",
                         "op-ab.set-0", "op-a", "op-b.set-0"}) {
    Intent intent;
    intent.operation_id = id;
    intent.kind = "gpo-write";
    intent.root = "policies";
    intent.staging = std::string("st-") + id;
    ASSERT_TRUE((*store)->RecordIntent(intent).ok()) << id;
  }
  ASSERT_TRUE((*store)->SetIntentState("op-a.set-2", IntentState::kDone).ok());
  auto ids = (*store)->IntentIdsWithPrefix("op-a.set-");
  ASSERT_TRUE(ids.ok()) << ids.error().message;
  EXPECT_EQ(*ids, (std::vector<std::string>{"op-a.set-0", "op-a.set-10", "op-a.set-2"}));
  auto none = (*store)->IntentIdsWithPrefix("op-c.set-");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST(MetadataStoreTest, AnOlderUnversionedFileIsAdoptedWithItsRows) {
  fs::path path = gpop::testing::TempDir("gpop-metadata") / "metadata.db";
  // The schema as gpopd wrote it before the store was versioned (user_version 0, no
  // application_id), with one GPO and one open intent.
  RawExec(path, R"sql(
PRAGMA journal_mode=WAL;
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
INSERT INTO gpos (guid, display_name, version) VALUES ('{OLD}', 'Old one', 7);
INSERT INTO intents VALUES ('op-old', 'restore', 'STAGING', 'sysvol', 'st-old');
INSERT INTO intent_fields VALUES ('op-old', 'gpo_guid', '{OLD}');
)sql");
  ASSERT_EQ(RawInt(path, "PRAGMA user_version"), 0);
  auto store = MetadataStore::Open(path);
  ASSERT_TRUE(store.ok()) << store.error().message;
  auto gpo = (*store)->GetGpo("{OLD}");
  ASSERT_TRUE(gpo.ok() && gpo->has_value());
  EXPECT_EQ((*gpo)->display_name, "Old one");
  EXPECT_EQ((*gpo)->version, 7u);
  auto open = (*store)->OpenIntents();
  ASSERT_TRUE(open.ok());
  ASSERT_EQ(open->size(), 1u);
  EXPECT_EQ(open->front().operation_id, "op-old");
  EXPECT_EQ(open->front().fields.at("gpo_guid"), "{OLD}");
  ASSERT_TRUE((*store)->PutGpo(Gpo("{NEW}", "New one")).ok());
  store->reset();
  // Now versioned: stamped with the schema's id and version.
  EXPECT_EQ(RawInt(path, "PRAGMA user_version"), MetadataStore::SchemaVersion());
  EXPECT_EQ(RawInt(path, "PRAGMA application_id"), kApplicationId);
  EXPECT_EQ(RawInt(path, "SELECT count(*) FROM gpos"), 2);
}

// Schema 2 adds the GPO's security descriptor: a version-1 file gains the column (its rows with
// none), and binary bytes (a NUL among them) round-trip.
TEST(MetadataStoreTest, AVersionOneFileGainsTheSecurityDescriptor) {
  fs::path path = gpop::testing::TempDir("gpop-metadata") / "metadata.db";
  RawExec(path, "PRAGMA journal_mode=WAL; PRAGMA application_id=" + std::to_string(kApplicationId) +
                    "; PRAGMA user_version=1;"
                    "CREATE TABLE gpos (guid TEXT PRIMARY KEY, display_name TEXT NOT NULL,"
                    " flags INTEGER NOT NULL DEFAULT 0, version INTEGER NOT NULL DEFAULT 0,"
                    " machine_extension_guids TEXT NOT NULL DEFAULT '',"
                    " user_extension_guids TEXT NOT NULL DEFAULT '',"
                    " created_ms INTEGER NOT NULL DEFAULT 0, modified_ms INTEGER NOT NULL"
                    " DEFAULT 0);"
                    "CREATE TABLE intents (operation_id TEXT PRIMARY KEY, kind TEXT NOT NULL,"
                    " state TEXT NOT NULL, root TEXT NOT NULL, staging TEXT NOT NULL);"
                    "CREATE TABLE intent_fields (operation_id TEXT NOT NULL, key TEXT NOT NULL,"
                    " value TEXT NOT NULL, PRIMARY KEY (operation_id, key));"
                    "INSERT INTO gpos (guid, display_name, version) VALUES ('{V1}', 'One', 3);");
  auto store = MetadataStore::Open(path);
  ASSERT_TRUE(store.ok()) << store.error().message;
  auto old = (*store)->GetGpo("{V1}");
  ASSERT_TRUE(old.ok() && old->has_value());
  EXPECT_EQ((*old)->display_name, "One");
  EXPECT_TRUE((*old)->security_descriptor.empty());
  GpoMetadata g = Gpo("{SD}", "With a descriptor");
  g.security_descriptor = std::string("\x01\x00\x04\x9c\x00\xff", 6);
  ASSERT_TRUE((*store)->PutGpo(g).ok());
  store->reset();
  EXPECT_EQ(RawInt(path, "PRAGMA user_version"), MetadataStore::SchemaVersion());
  auto again = MetadataStore::Open(path);
  ASSERT_TRUE(again.ok());
  auto read = (*again)->GetGpo("{SD}");
  ASSERT_TRUE(read.ok() && read->has_value());
  EXPECT_EQ((*read)->security_descriptor, g.security_descriptor);
}

TEST(MetadataStoreTest, ANewerSchemaFileIsRefusedAndLeftAsItIs) {
  fs::path path = gpop::testing::TempDir("gpop-metadata") / "metadata.db";
  const int64_t newer = MetadataStore::SchemaVersion() + 1;
  RawExec(path,
          "CREATE TABLE gpos (guid TEXT PRIMARY KEY, future TEXT);"
          "PRAGMA application_id=" +
              std::to_string(kApplicationId) + "; PRAGMA user_version=" + std::to_string(newer) +
              ";");
  auto store = MetadataStore::Open(path);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code, core::Code::kFailedPrecondition);
  EXPECT_NE(store.error().message.find(path.string()), std::string::npos) << store.error().message;
  EXPECT_NE(store.error().message.find("newer"), std::string::npos) << store.error().message;
  EXPECT_EQ(RawInt(path, "PRAGMA user_version"), newer);
  EXPECT_EQ(RawInt(path, "SELECT count(*) FROM sqlite_master WHERE name = 'intents'"), 0);
}

TEST(MetadataStoreTest, AForeignOrDamagedFileIsRefused) {
  fs::path dir = gpop::testing::TempDir("gpop-metadata");
  fs::path foreign = dir / "foreign.db";
  RawExec(foreign, "CREATE TABLE accounts (id INTEGER PRIMARY KEY);");
  auto a = MetadataStore::Open(foreign);
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error().code, core::Code::kFailedPrecondition);
  EXPECT_NE(a.error().message.find("another program"), std::string::npos) << a.error().message;
  EXPECT_EQ(RawInt(foreign, "SELECT count(*) FROM sqlite_master WHERE name = 'gpos'"), 0);

  fs::path damaged = dir / "damaged.db";
  {
    std::ofstream out(damaged, std::ios::binary);
    out << std::string(8192, 'x');
  }
  auto b = MetadataStore::Open(damaged);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().code, core::Code::kDataLoss);
  EXPECT_EQ(b.error().reason, core::reason::kCorruptFile);
  EXPECT_NE(b.error().message.find(damaged.string()), std::string::npos) << b.error().message;
}

}  // namespace
}  // namespace gpop::sysvol
