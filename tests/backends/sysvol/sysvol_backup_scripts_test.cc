// Backup.xml of a GPO with scripts: the Scripts extension lists scripts.ini and every script
// file and folder under its wildcards exactly as GPMC does in the fixtures' own Backup.xml (and
// none of them under "Unknown Extension"); without the Scripts extension in the GPO's list they
// stay unknown files, as in GPMC's. A restore of such a backup brings every script back.

#include <gtest/gtest.h>

#include <set>

#include "service/backends/sysvol/format/backup_xml.h"
#include "service/backends/sysvol/format/gpt_ini.h"
#include "service/backends/sysvol/sysvol_backend.h"
#include "tests/backends/sysvol/sysvol_test_fixture.h"

namespace gpop::sysvol::testing {
namespace {

// The fixture backup `dir`'s GPT placed in `store` as a GPO with Backup.xml's container half.
BackupXml PlaceGpo(const testing::TestStore& store, SysvolBackend& backend, const fs::path& dir) {
  auto parsed = ParseBackupXml(ReadFileBytes(dir / "Backup.xml"), "Backup.xml");
  EXPECT_TRUE(parsed.ok());
  if (!parsed.ok()) return {};
  const fs::path gpt = store.policies() / parsed->core.id;
  fs::copy(dir / "DomainSysvol" / "GPO", gpt, fs::copy_options::recursive);
  for (auto& e : fs::recursive_directory_iterator(gpt)) {
    fs::permissions(e.path(), fs::perms::owner_all, fs::perm_options::add);
  }
  GpoMetadata meta;
  meta.guid = parsed->core.id;
  meta.display_name = parsed->core.display_name;
  meta.version = 0x00010001;
  meta.machine_extension_guids = parsed->core.machine_extension_guids;
  meta.user_extension_guids = parsed->core.user_extension_guids;
  EXPECT_TRUE(backend.metadata().PutGpo(meta).ok());
  GptIni ini;
  ini.version = meta.version;
  ini.display_name = meta.display_name;
  testing::WriteBytes(gpt / "GPT.INI", WriteGptIni(ini));
  return *parsed;
}

// "path|location|function" of every object of the extension `id` (nested ones too), leaving out
// what `exists` says is not in the GPT (empty folders git did not keep).
std::set<std::string> Objects(const BackupXml& xml, const std::string& id,
                              const std::function<bool(const std::string&)>& exists) {
  std::set<std::string> out;
  std::function<void(const std::vector<FsObject>&)> walk = [&](const std::vector<FsObject>& v) {
    for (const FsObject& o : v) {
      if (o.location.empty() || exists(o.location)) {
        out.insert((o.is_dir ? "D " : "F ") + o.path + "|" + o.location + "|" +
                   o.re_evaluate_function);
      }
      walk(o.children);
    }
  };
  for (const BackupExtension& e : xml.extensions) {
    if (e.id == id) walk(e.objects);
  }
  return out;
}

TEST(SysvolBackupScriptsTest, ScriptsExtensionAsGpmcWritesIt) {
  GPOP_REQUIRE_FIXTURES(fixtures);
  const std::string scripts_id = "{42B5FAAE-6536-11d2-AE5A-0000F87571E3}";
  int with_scripts = 0;
  for (const char* rel : {"HAD-PowerShell-Logs", "HAD-LAPS-X64-Deployment",
                          "HAD-BitLocker-PIN-Enabled-Win10-11", "HAD-NBT-NS-Disabled"}) {
    SCOPED_TRACE(rel);
    fs::path dir;
    for (auto& e : fs::directory_iterator(fixtures / "hardenad" / rel)) {
      if (e.is_directory()) dir = e.path();
    }
    testing::TestStore store = testing::MakeEmptyStore();
    auto backend = OpenBackend(store.config);
    ASSERT_NE(backend, nullptr);
    const BackupXml windows = PlaceGpo(store, *backend, dir);
    RecordingSink sink;
    core::Outcome out = RunOp(*backend, BackupOf(windows.core.id), sink);
    ASSERT_FALSE(out.error) << out.error->message;
    const fs::path ours_dir = store.location() / std::get<core::BackupInfo>(out.result).backup_id;
    auto ours = ParseBackupXml(ReadFileBytes(ours_dir / "Backup.xml"), "Backup.xml");
    ASSERT_TRUE(ours.ok()) << ours.error().message;
    auto exists = [&](const std::string& location) {
      std::string rel_path = location;
      std::replace(rel_path.begin(), rel_path.end(), '\\', '/');
      return fs::exists(ours_dir / rel_path);
    };
    const std::set<std::string> expected = Objects(windows, scripts_id, exists);
    EXPECT_EQ(Objects(*ours, scripts_id, exists), expected);
    if (!expected.empty()) ++with_scripts;
    // Nothing the Scripts extension lists is also an unknown file; the unknown files Windows
    // lists, we list.
    const std::set<std::string> unknown = Objects(*ours, kUnknownExtensionGuid, exists);
    for (const std::string& o : expected) EXPECT_EQ(unknown.count(o), 0u) << o;
    for (const std::string& o : Objects(windows, kUnknownExtensionGuid, exists)) {
      EXPECT_EQ(unknown.count(o), 1u) << o;
    }

    // Restoring our backup brings every script file back byte for byte.
    fs::remove_all(store.policies() / windows.core.id / "Machine" / "Scripts");
    core::RestoreSpec restore;
    restore.backup.backup_id = std::get<core::BackupInfo>(out.result).backup_id;
    restore.safety_backup = false;
    RecordingSink restore_sink;
    core::Outcome restored = RunOp(*backend, restore, restore_sink);
    ASSERT_FALSE(restored.error) << restored.error->message;
    EXPECT_EQ(Snapshot(store.policies() / windows.core.id / "Machine" / "Scripts"),
              Snapshot(dir / "DomainSysvol" / "GPO" / "Machine" / "Scripts"));
  }
  EXPECT_EQ(with_scripts, 3);  // NBT-NS's GPO does not list the Scripts extension
}

}  // namespace
}  // namespace gpop::sysvol::testing
