// Helpers for the tests of the operations that write a GPO (restore, import, copy): a GPT's
// settings files by side whatever the side folders' case, GPT.INI's version, the container half
// as the metadata store holds it (and every row of its tables), the fixture backups, and the
// settings diff a change really made (to compare with a dry run's prediction).

#ifndef GPOP_TESTS_BACKENDS_SYSVOL_GPO_WRITE_TEST_UTIL_H_
#define GPOP_TESTS_BACKENDS_SYSVOL_GPO_WRITE_TEST_UTIL_H_

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "service/backends/sysvol/admx_cache.h"
#include "service/backends/sysvol/format/backup_xml.h"
#include "service/backends/sysvol/format/gpt_ini.h"
#include "service/backends/sysvol/format/text_util.h"
#include "service/backends/sysvol/gpt_reader.h"
#include "service/backends/sysvol/metadata_store.h"
#include "service/backends/sysvol/ops/dry_run.h"
#include "tests/backends/sysvol/sysvol_test_fixture.h"

namespace gpop::sysvol::testing {

// Settings
//
// The settings of a GPT: the Machine and User trees and GPO.cmt (GPT.INI follows the version
// rules), keyed "Machine/<path below the side>", "User/..." and "GPO.cmt" whatever the case of
// the side folders and the comment file on disk (Windows writes Machine/, Samba MACHINE/). Two
// folders of one side in different cases are a key "<two Machine folders>" of their own, so
// that such a tree never compares equal to a clean one.
inline std::map<std::string, std::string> Settings(const std::filesystem::path& gpt) {
  std::map<std::string, std::string> out;
  std::error_code ec;
  if (!std::filesystem::is_directory(gpt, ec)) return out;
  std::map<std::string, int> sides;
  for (const auto& e : std::filesystem::directory_iterator(gpt)) {
    const std::string name = e.path().filename().string();
    std::string side;
    if (internal::EqualsNoCase(name, "Machine") && e.is_directory()) side = "Machine";
    if (internal::EqualsNoCase(name, "User") && e.is_directory()) side = "User";
    if (internal::EqualsNoCase(name, "GPO.cmt") && e.is_regular_file()) {
      out["GPO.cmt"] = ReadFileBytes(e.path());
    }
    if (side.empty()) continue;
    if (++sides[side] > 1) out["<two " + side + " folders>"] = "";
    for (auto& [rel, bytes] : Snapshot(e.path())) out[side + "/" + rel] = bytes;
  }
  return out;
}

// GptIniVersion
//
// GPT.INI's Version= (0, with a failure, when unreadable).
inline uint32_t GptIniVersion(const std::filesystem::path& gpt) {
  auto ini = ParseGptIni(ReadFileBytes(gpt / "GPT.INI"), "GPT.INI");
  EXPECT_TRUE(ini.ok());
  return ini.ok() ? ini->version : 0;
}

// SetGptIniVersion
//
// Rewrites GPT.INI's version (keeping its display name).
inline void SetGptIniVersion(const std::filesystem::path& gpt, uint32_t version) {
  auto ini = ParseGptIni(ReadFileBytes(gpt / "GPT.INI"), "GPT.INI");
  ASSERT_TRUE(ini.ok());
  ini->version = version;
  WriteBytes(gpt / "GPT.INI", WriteGptIni(*ini));
}

// StoredGpo / StoredGpos / PutStoredGpo
//
// The container half as the metadata store holds it, over a connection of the test's own.
inline std::optional<GpoMetadata> FindStoredGpo(const SysvolConfig& config,
                                                const std::string& guid) {
  auto store = MetadataStore::Open(config.metadata_db);
  EXPECT_TRUE(store.ok());
  if (!store.ok()) return std::nullopt;
  auto gpo = (*store)->GetGpo(guid);
  EXPECT_TRUE(gpo.ok());
  return gpo.ok() ? *gpo : std::nullopt;
}

inline GpoMetadata StoredGpo(const SysvolConfig& config, const std::string& guid) {
  std::optional<GpoMetadata> gpo = FindStoredGpo(config, guid);
  EXPECT_TRUE(gpo.has_value()) << guid;
  return gpo.value_or(GpoMetadata{});
}

// Every row, as "guid|name|flags|version|machine|user|created|modified|descriptor-hex", sorted.
inline std::vector<std::string> StoredGpos(const SysvolConfig& config) {
  std::vector<std::string> out;
  auto store = MetadataStore::Open(config.metadata_db);
  EXPECT_TRUE(store.ok());
  if (!store.ok()) return out;
  auto all = (*store)->ListGpos();
  EXPECT_TRUE(all.ok());
  if (!all.ok()) return out;
  for (const GpoMetadata& g : *all) {
    out.push_back(g.guid + "|" + g.display_name + "|" + std::to_string(g.flags) + "|" +
                  std::to_string(g.version) + "|" + g.machine_extension_guids + "|" +
                  g.user_extension_guids + "|" + std::to_string(g.created_ms) + "|" +
                  std::to_string(g.modified_ms) + "|" + FormatHexBytes(g.security_descriptor));
  }
  std::sort(out.begin(), out.end());
  return out;
}

// StoredRows
//
// Every row of every table of the metadata store (gpos, intents, intent_fields), as
// "table|col|col|..." (blobs in hex), sorted, read over a read-only connection of the test's own.
inline std::vector<std::string> StoredRows(const SysvolConfig& config) {
  std::vector<std::string> out;
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(config.metadata_db.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  EXPECT_EQ(rc, SQLITE_OK) << config.metadata_db;
  if (rc == SQLITE_OK) {
    for (const char* table : {"gpos", "intents", "intent_fields"}) {
      sqlite3_stmt* stmt = nullptr;
      const std::string sql = std::string("SELECT * FROM ") + table;
      EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK) << table;
      while (stmt != nullptr && sqlite3_step(stmt) == SQLITE_ROW) {
        std::string row = table;
        for (int i = 0; i < sqlite3_column_count(stmt); ++i) {
          const auto* data = reinterpret_cast<const char*>(sqlite3_column_blob(stmt, i));
          const std::string bytes(data != nullptr ? data : "",
                                  static_cast<size_t>(sqlite3_column_bytes(stmt, i)));
          const bool blob = sqlite3_column_type(stmt, i) == SQLITE_BLOB;
          row += "|" + (blob ? FormatHexBytes(bytes) : bytes);
        }
        out.push_back(std::move(row));
      }
      sqlite3_finalize(stmt);
    }
  }
  sqlite3_close(db);
  std::sort(out.begin(), out.end());
  return out;
}

inline void PutStoredGpo(const SysvolConfig& config, const GpoMetadata& gpo) {
  auto store = MetadataStore::Open(config.metadata_db);
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->PutGpo(gpo).ok());
}

// AllFixtureBackups
//
// Every Windows-made backup folder of the fixtures: gpmc-backups/{ID} and hardenad/*/{ID}.
inline std::vector<std::filesystem::path> AllFixtureBackups(const std::filesystem::path& fixtures) {
  std::vector<std::filesystem::path> out = BackupDirs(fixtures);
  std::vector<std::filesystem::path> hardenad;
  for (auto& named : std::filesystem::directory_iterator(fixtures / "hardenad")) {
    if (!named.is_directory()) continue;
    for (auto& e : std::filesystem::directory_iterator(named.path())) {
      if (e.is_directory() && e.path().filename().string().front() == '{') {
        hardenad.push_back(e.path());
      }
    }
  }
  std::sort(hardenad.begin(), hardenad.end());
  out.insert(out.end(), hardenad.begin(), hardenad.end());
  return out;
}

// ActualChanges
//
// The settings diff, in the dry run's terms (DiffReports), between the GPT `before` (nullopt: no
// GPO) and the GPT `after`, with the ADMX templates of the store's Policies folder.
inline std::vector<core::SettingChange> ActualChanges(
    const std::filesystem::path& policies, const std::optional<std::filesystem::path>& before,
    const std::filesystem::path& after) {
  auto policies_dir = Dir::OpenRoot(policies, "Policies");
  auto after_dir = Dir::OpenRoot(after, "after");
  EXPECT_TRUE(policies_dir.ok() && after_dir.ok());
  if (!policies_dir.ok() || !after_dir.ok()) return {};
  GptSettings before_settings;
  if (before) {
    auto before_dir = Dir::OpenRoot(*before, "before");
    EXPECT_TRUE(before_dir.ok());
    if (!before_dir.ok()) return {};
    auto read = ReadGptSettings(*before_dir);
    EXPECT_TRUE(read.ok());
    if (read.ok()) before_settings = std::move(*read);
  }
  auto after_settings = ReadGptSettings(*after_dir);
  EXPECT_TRUE(after_settings.ok());
  if (!after_settings.ok()) return {};
  AdmxCache admx;
  auto catalog = admx.Load(*policies_dir).catalog;
  const ReportIdentity identity;
  return DiffReports(MakeReport(identity, before_settings, catalog.get()),
                     MakeReport(identity, *after_settings, catalog.get()));
}

}  // namespace gpop::sysvol::testing

#endif  // GPOP_TESTS_BACKENDS_SYSVOL_GPO_WRITE_TEST_UTIL_H_
