// Helpers for the sysvol backend tests: stores built from the fixtures' GPT trees, a recording
// progress sink that can cancel at its k-th call, and folder snapshots to prove "nothing
// changed".

#ifndef GPOP_TESTS_BACKENDS_SYSVOL_BACKEND_TEST_UTIL_H_
#define GPOP_TESTS_BACKENDS_SYSVOL_BACKEND_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "service/backends/sysvol/format/backup_inst.h"
#include "service/backends/sysvol/format/backup_xml.h"
#include "service/backends/sysvol/format/gpt_ini.h"
#include "service/backends/sysvol/sysvol_backend.h"
#include "service/core/backend.h"
#include "service/core/cancel_token.h"
#include "tests/backends/sysvol/test_files.h"
#include "tests/testing/fixtures.h"

namespace gpop::sysvol::testing {

// RecordingSink
//
// Records every Progress and Messages call. With `cancel_at` k > 0, the k-th Progress call
// requests a cancel on `token` (the engine's cancel arriving at that moment).
class RecordingSink : public core::ProgressSink {
 public:
  explicit RecordingSink(core::CancelToken* token = nullptr, int cancel_at = 0)
      : token_(token), cancel_at_(cancel_at) {}

  void Progress(int64_t numerator, int64_t denominator) override {
    progress.emplace_back(numerator, denominator);
    if (token_ != nullptr && static_cast<int>(progress.size()) == cancel_at_) {
      token_->RequestCancel();
    }
  }
  void Messages(std::vector<core::StatusMessage> m, std::optional<uint32_t>) override {
    for (auto& x : m) messages.push_back(std::move(x));
  }

  std::vector<std::pair<int64_t, int64_t>> progress;
  std::vector<core::StatusMessage> messages;

 private:
  core::CancelToken* token_;
  int cancel_at_;
};

// FixtureGpo
//
// A fixture backup placed as a GPT in a test store.
struct FixtureGpo {
  std::string guid;
  std::string display_name;
  std::filesystem::path backup_dir;  // the fixture's folder (read-only)
  std::filesystem::path gpt_dir;     // the copy in the store
  uint32_t version = 0;
  GpoMetadata metadata;  // the container half from the fixture's Backup.xml
};

// TestStore
//
// A temporary folder holding sysvol/Policies, backup locations and the metadata database.
struct TestStore {
  std::filesystem::path root;
  SysvolConfig config;
  std::vector<FixtureGpo> gpos;

  std::filesystem::path policies() const { return config.sysvol_dir / "Policies"; }
  std::filesystem::path location() const { return config.backup_locations.at("default"); }
};

inline SysvolConfig MakeConfig(const std::filesystem::path& root) {
  SysvolConfig c;
  c.sysvol_dir = root / "sysvol";
  c.domain = "gpop.test";
  c.domain_guid = "{5C8A9F2B-1D3E-4F5A-8B7C-9D0E1F2A3B4C}";
  c.domain_controller = "dc1.gpop.test";
  c.backup_locations = {{"default", root / "backups"}, {"other", root / "backups2"}};
  c.default_backup_location = "default";
  c.metadata_db = root / "state" / "sysvol.db";
  c.detect_running_dc = false;
  return c;
}

inline void WriteBytes(const std::filesystem::path& p, const std::string& bytes) {
  std::filesystem::create_directories(p.parent_path());
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << bytes;
}

// MakeEmptyStore
//
// A store with an empty Policies folder.
inline TestStore MakeEmptyStore() {
  TestStore s;
  s.root = gpop::testing::TempDir("gpop-sysvol");
  s.config = MakeConfig(s.root);
  std::filesystem::create_directories(s.policies());
  std::filesystem::create_directories(s.location());
  return s;
}

// MakeFixtureStore
//
// Every fixture backup's DomainSysvol/GPO tree copied to Policies/{GPO GUID}/ with a GPT.INI
// holding the backup's GPT version and display name (the container half comes from GPT.INI,
// as for a tree gpop has never seen).
inline TestStore MakeFixtureStore(const std::filesystem::path& fixtures) {
  TestStore s = MakeEmptyStore();
  for (const auto& dir : BackupDirs(fixtures)) {
    auto parsed = ParseBackupXml(ReadFileBytes(dir / "Backup.xml"), "Backup.xml");
    if (!parsed.ok()) continue;
    FixtureGpo g;
    g.guid = parsed->core.id;
    g.display_name = parsed->core.display_name;
    g.backup_dir = dir;
    g.gpt_dir = s.policies() / g.guid;
    g.version = (parsed->core.user_version_number & 0xFFFF0000u) |
                (parsed->core.machine_version_number >> 16);
    g.metadata.guid = g.guid;
    g.metadata.display_name = g.display_name;
    g.metadata.flags = parsed->core.options;
    g.metadata.version = ((parsed->core.user_version_number & 0xFFFFu) << 16) |
                         (parsed->core.machine_version_number & 0xFFFFu);
    g.metadata.machine_extension_guids = parsed->core.machine_extension_guids;
    g.metadata.user_extension_guids = parsed->core.user_extension_guids;
    std::filesystem::copy(dir / "DomainSysvol" / "GPO", g.gpt_dir,
                          std::filesystem::copy_options::recursive);
    for (auto& e : std::filesystem::recursive_directory_iterator(g.gpt_dir)) {
      std::filesystem::permissions(e.path(), std::filesystem::perms::owner_all,
                                   std::filesystem::perm_options::add);
    }
    std::filesystem::permissions(g.gpt_dir, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::add);
    GptIni ini;
    ini.version = g.version;
    ini.display_name = g.display_name;
    WriteBytes(g.gpt_dir / "GPT.INI", WriteGptIni(ini));
    s.gpos.push_back(std::move(g));
  }
  return s;
}

// The HardenAD fixture backups with migration tables (below fixtures/hardenad).
inline constexpr char kHardenAdT0[] =
    "HAD-LoginRestrictions-T0/{7F2DE5D7-B30E-4F9D-BA75-BCD4990C090D}";
inline constexpr char kHardenAdPaw[] =
    "HAD-LoginRestrictions-Paw/{BB58C8C0-81A4-403E-99ED-E18F0C577632}";

// CopyWritable
//
// `from` copied to `to` recursively, every copy writable by its owner (fixtures are read-only).
inline void CopyWritable(const std::filesystem::path& from, const std::filesystem::path& to) {
  std::filesystem::copy(from, to, std::filesystem::copy_options::recursive);
  for (auto& e : std::filesystem::recursive_directory_iterator(to)) {
    std::filesystem::permissions(e.path(), std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::add);
  }
  std::filesystem::permissions(to, std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::add);
}

// MakeStoreWithHardenAdBackup
//
// An empty store with the HardenAD fixture backup `rel` in its default location and a
// migration table folder configured (empty).
inline TestStore MakeStoreWithHardenAdBackup(const std::filesystem::path& fixtures,
                                             const std::string& rel) {
  TestStore s = MakeEmptyStore();
  const std::filesystem::path dir = fixtures / "hardenad" / rel;
  CopyWritable(dir, s.location() / dir.filename());
  s.config.migration_table_dir = s.root / "migtables";
  std::filesystem::create_directories(s.config.migration_table_dir);
  return s;
}

// PutFixtureMetadata
//
// Records each fixture GPO's container half (as a directory would hold it) in the backend's
// metadata store.
inline void PutFixtureMetadata(const TestStore& store, SysvolBackend& backend) {
  for (const FixtureGpo& g : store.gpos) {
    core::Status s = backend.metadata().PutGpo(g.metadata);
    if (!s.ok()) ADD_FAILURE() << s.error().message;
  }
}

// OpenBackend
//
// SysvolBackend::Open, asserting success.
inline std::unique_ptr<SysvolBackend> OpenBackend(const SysvolConfig& config) {
  auto backend = SysvolBackend::Open(config);
  if (!backend.ok()) {
    ADD_FAILURE() << "Open: " << backend.error().message;
    return nullptr;
  }
  return std::move(backend).value();
}

// Snapshot
//
// Every file (relative path -> bytes) and folder (relative path -> "<dir>") below `root`.
inline std::map<std::string, std::string> Snapshot(const std::filesystem::path& root) {
  std::map<std::string, std::string> out;
  std::error_code ec;
  if (!std::filesystem::exists(root, ec)) return out;
  for (auto& e : std::filesystem::recursive_directory_iterator(root)) {
    std::string rel = std::filesystem::relative(e.path(), root).string();
    if (e.is_symlink()) {
      out[rel] = "<link>";
    } else if (e.is_directory()) {
      out[rel] = "<dir>";
    } else {
      out[rel] = ReadFileBytes(e.path());
    }
  }
  return out;
}

// RunOp
//
// Runs `spec` as operation `id` on `backend` with `sink` and a fresh token (or `token`).
inline core::Outcome RunOp(core::Backend& backend, const core::OperationSpec& spec,
                           core::ProgressSink& sink, core::CancelToken* token = nullptr,
                           std::string id = "") {
  static int counter = 0;
  core::RunRequest request;
  request.operation_id = id.empty() ? "op-" + std::to_string(++counter) : id;
  request.spec = spec;
  core::CancelToken local;
  return backend.Run(request, sink, token != nullptr ? *token : local);
}

inline core::BackupSpec BackupOf(const std::string& guid, std::string comment = "") {
  core::BackupSpec spec;
  spec.gpo.guid = guid;
  spec.comment = std::move(comment);
  return spec;
}

inline core::ReportSpec ReportOfGpo(const std::string& guid,
                                    core::ReportFormat format = core::ReportFormat::kXml) {
  core::ReportSpec spec;
  core::GpoRef ref;
  ref.guid = guid;
  spec.subject = ref;
  spec.format = format;
  return spec;
}

inline core::ReportSpec ReportOfBackup(const std::string& backup_id,
                                       core::ReportFormat format = core::ReportFormat::kXml) {
  core::ReportSpec spec;
  core::BackupRef ref;
  ref.backup_id = backup_id;
  spec.subject = ref;
  spec.format = format;
  return spec;
}

}  // namespace gpop::sysvol::testing

#endif  // GPOP_TESTS_BACKENDS_SYSVOL_BACKEND_TEST_UTIL_H_
