// What a restore does with versions and with the parts of a GPO this store cannot hold, and
// the undo of an import through its safety backup:
// - versions: with the backed-up version above the live one (the halves differing in which of
//   the four values, live/backed-up directory/GPT.INI, is highest), each half of the restored
//   GPO is above all of them; a re-created GPO is above the version its metadata row last had;
// - a backup's security descriptor is restored into the container half (a note says nothing
//   enforces it) and carried by the next backup; its WMI filter link is not restored, and the
//   restore warns (nothing when the backup holds neither);
// - restoring an import's safety backup gives the settings files byte for byte and the
//   container half (display name, flags, extension lists, security descriptor) as before the
//   import, which kept the target's security descriptor;
// - a restore or an import over a GPO whose live Registry.pol (both sides) and GptTmpl.inf are
//   corrupt takes its safety backup anyway: the backup keeps those files byte for byte (a
//   warning names each, its report says it left them out), and restoring it puts them back.

#include <gtest/gtest.h>

#include "service/backends/sysvol/format/backup_xml.h"
#include "service/backends/sysvol/format/utf16.h"
#include "tests/backends/sysvol/gpo_write_test_util.h"
#include "tests/backends/sysvol/sysvol_test_fixture.h"

namespace gpop::sysvol::testing {
namespace {

uint32_t V(uint32_t user, uint32_t computer) { return (user << 16) | computer; }

// Each half of `v` above the same half of every one of `others`.
void ExpectAboveAll(uint32_t v, std::initializer_list<uint32_t> others) {
  for (uint32_t o : others) {
    EXPECT_GT(v >> 16, o >> 16) << std::hex << v << " vs " << o;
    EXPECT_GT(v & 0xFFFF, o & 0xFFFF) << std::hex << v << " vs " << o;
  }
}

int MessagesContaining(const RecordingSink& sink, const std::string& text) {
  int n = 0;
  for (const auto& m : sink.messages) {
    if (m.message.find(text) != std::string::npos) ++n;
  }
  return n;
}

TEST(SysvolGpoWriteUndoTest, RestoredVersionsAreAboveTheBackedUpAndTheLiveOnes) {
  TestStore s = MakeDemoStore();
  const fs::path gpt = s.policies() / kServer;
  // Backed up: directory user 0x30 / computer 0x04, GPT.INI user 0x02 / computer 0x50.
  GpoMetadata row;
  row.guid = kServer;
  row.display_name = "Server Hardening";
  row.version = V(0x30, 0x04);
  PutStoredGpo(s.config, row);
  SetGptIniVersion(gpt, V(0x02, 0x50));
  auto backend = OpenBackend(s.config);
  core::Outcome backup = BackupGpo(*backend, kServer);
  ASSERT_FALSE(backup.error) << backup.error->message;

  // Live, lower on the whole: directory user 0x05 / computer 0x60, GPT.INI user 0x40 / 0x03.
  row.version = V(0x05, 0x60);
  ASSERT_TRUE(backend->metadata().PutGpo(row).ok());
  SetGptIniVersion(gpt, V(0x40, 0x03));
  RecordingSink sink;
  core::Outcome out = RunOp(*backend, RestoreOf(BackupIdOf(backup), false), sink);
  ASSERT_FALSE(out.error) << out.error->message;
  const uint32_t restored = std::get<core::GpoInfo>(out.result).version;
  ExpectAboveAll(restored, {V(0x30, 0x04), V(0x02, 0x50), V(0x05, 0x60), V(0x40, 0x03)});
  EXPECT_EQ(restored, V(0x41, 0x61));  // the highest of each half, plus one
  EXPECT_EQ(GptIniVersion(gpt), restored);
  EXPECT_EQ(StoredGpo(s.config, kServer).version, restored);

  // The GPT is deleted: the restore re-creates it above the backed-up version and above the
  // version clients last saw (the metadata row's), so that they apply it again.
  fs::remove_all(gpt);
  out = RunOp(*backend, RestoreOf(BackupIdOf(backup), false), sink);
  ASSERT_FALSE(out.error) << out.error->message;
  const uint32_t recreated = std::get<core::GpoInfo>(out.result).version;
  ExpectAboveAll(recreated, {V(0x30, 0x04), V(0x02, 0x50), restored});
  EXPECT_EQ(GptIniVersion(gpt), recreated);
  EXPECT_EQ(StoredGpo(s.config, kServer).version, recreated);
}

// The backup of kServer with its Backup.xml given a security descriptor and a WMI filter link.
void AddDescriptorAndFilter(const fs::path& backup_dir, bool descriptor, bool filter) {
  auto parsed = ParseBackupXml(ReadFileBytes(backup_dir / "Backup.xml"), "Backup.xml");
  ASSERT_TRUE(parsed.ok());
  if (descriptor) parsed->core.security_descriptor = std::string("\x01\x00\x04\x9c", 4);
  if (filter) {
    parsed->core.wmi_filter = "[gpop.test;{D6F0C4D2-8F3B-4E59-9B0A-2C1E5A7B9D31};0]";
  }
  WriteBytes(backup_dir / "Backup.xml", WriteBackupXml(*parsed));
}

TEST(SysvolGpoWriteUndoTest, RestorePutsTheDescriptorBackAndSaysWhatItCannot) {
  TestStore s = MakeDemoStore();
  auto backend = OpenBackend(s.config);
  core::Outcome backup = BackupGpo(*backend, kServer);
  ASSERT_FALSE(backup.error);
  const std::string id = BackupIdOf(backup);

  // gpop's own backup holds neither: no such message.
  RecordingSink plain;
  core::Outcome out = RunOp(*backend, RestoreOf(id, false), plain);
  ASSERT_FALSE(out.error) << out.error->message;
  EXPECT_EQ(MessagesContaining(plain, "not restored"), 0);
  EXPECT_EQ(MessagesContaining(plain, "security descriptor"), 0);
  EXPECT_TRUE(StoredGpo(s.config, kServer).security_descriptor.empty());

  AddDescriptorAndFilter(s.location() / id, true, true);
  for (bool dry : {true, false}) {
    SCOPED_TRACE(dry ? "dry run" : "real run");
    core::RestoreSpec spec = RestoreOf(id, false);
    spec.dry_run = dry;
    RecordingSink sink;
    out = RunOp(*backend, spec, sink);
    ASSERT_FALSE(out.error) << out.error->message;
    int descriptor = 0;
    int filter = 0;
    for (const auto& m : sink.messages) {
      if (m.message.find("security descriptor") != std::string::npos &&
          m.message.find("is restored") != std::string::npos) {
        EXPECT_EQ(m.severity, core::Severity::kInfo);
        EXPECT_EQ(m.object_path, kServer);
        ++descriptor;
      }
      if (m.message.find("WMI filter [gpop.test;{D6F0C4D2") != std::string::npos &&
          m.message.find("not restored") != std::string::npos) {
        EXPECT_EQ(m.severity, core::Severity::kWarning);
        EXPECT_EQ(m.object_path, kServer);
        ++filter;
      }
    }
    EXPECT_EQ(descriptor, 1);
    EXPECT_EQ(filter, 1);
    // The dry run leaves the container half; the real run puts the descriptor in it.
    EXPECT_EQ(StoredGpo(s.config, kServer).security_descriptor,
              dry ? std::string() : std::string("\x01\x00\x04\x9c", 4));
  }
  // The next backup of the GPO carries it.
  core::Outcome again = BackupGpo(*backend, kServer);
  ASSERT_FALSE(again.error);
  auto xml = ParseBackupXml(ReadFileBytes(s.location() / BackupIdOf(again) / "Backup.xml"), "x");
  ASSERT_TRUE(xml.ok());
  EXPECT_EQ(xml->core.security_descriptor, std::string("\x01\x00\x04\x9c", 4));
}

TEST(SysvolGpoWriteUndoTest, ABackupWithoutADescriptorKeepsTheStoredOne) {
  TestStore s = MakeDemoStore();
  const std::string kept("\x01\x00\x04\x8c\x00\x07", 6);
  // The container half as a directory would hold it (the demo store has no row yet).
  GpoMetadata row;
  row.guid = kServer;
  row.display_name = "Server Hardening";
  row.version = GptIniVersion(s.policies() / kServer);
  row.security_descriptor = kept;
  PutStoredGpo(s.config, row);
  auto backend = OpenBackend(s.config);
  core::Outcome backup = BackupGpo(*backend, kServer);
  ASSERT_FALSE(backup.error);
  const std::string id = BackupIdOf(backup);
  // As a backup made before the store kept descriptors: Backup.xml has none.
  auto parsed = ParseBackupXml(ReadFileBytes(s.location() / id / "Backup.xml"), "Backup.xml");
  ASSERT_TRUE(parsed.ok());
  ASSERT_EQ(parsed->core.security_descriptor, kept);
  parsed->core.security_descriptor.clear();
  WriteBytes(s.location() / id / "Backup.xml", WriteBackupXml(*parsed));

  RecordingSink sink;
  core::Outcome out = RunOp(*backend, RestoreOf(id, false), sink);
  ASSERT_FALSE(out.error) << out.error->message;
  EXPECT_EQ(StoredGpo(s.config, kServer).security_descriptor, kept);
  int said = 0;
  for (const auto& m : sink.messages) {
    if (m.message.find("carries no security descriptor") == std::string::npos) continue;
    EXPECT_EQ(m.severity, core::Severity::kInfo);
    EXPECT_EQ(m.object_path, kServer);
    ++said;
  }
  EXPECT_EQ(said, 1);
}

TEST(SysvolGpoWriteUndoTest, AnImportIsUndoneByItsSafetyBackup) {
  TestStore s = MakeDemoStore();
  // The target's container half differs from the backup's on every field an import changes or
  // a restore puts back.
  GpoMetadata before;
  before.guid = kWorkstation;
  before.display_name = "Workstation Baseline (named in the directory)";
  before.flags = 1;  // user part disabled
  before.version = GptIniVersion(s.policies() / kWorkstation);
  before.machine_extension_guids =
      "[{35378EAC-683F-11D2-A89A-00C04FBBCFA2}"
      "{D02B1F72-3407-48AE-BA88-E8213C6761F1}]";
  before.user_extension_guids =
      "[{42B5FAAE-6536-11D2-AE5A-0000F87571E3}"
      "{40B66650-4972-11D1-A7CA-0000F87571E3}]";
  before.created_ms = 1700000000000;
  before.modified_ms = 1700000001000;
  before.security_descriptor = std::string("\x01\x00\x04\x8c\x00\x07", 6);
  PutStoredGpo(s.config, before);
  WriteBytes(s.policies() / kWorkstation / "GPO.cmt", "the workstation's own comment");
  const auto settings_before = Settings(s.policies() / kWorkstation);
  auto backend = OpenBackend(s.config);
  core::Outcome backup = BackupGpo(*backend, kServer);
  ASSERT_FALSE(backup.error);

  core::ImportSpec spec;
  spec.backup.backup_id = BackupIdOf(backup);
  spec.target.guid = kWorkstation;
  RecordingSink sink;
  core::Outcome imported = RunOp(*backend, spec, sink);
  ASSERT_FALSE(imported.error) << imported.error->message;
  const auto& gpo = std::get<core::GpoInfo>(imported.result);
  ASSERT_NE(Settings(s.policies() / kWorkstation), settings_before);
  const GpoMetadata after_import = StoredGpo(s.config, kWorkstation);
  ASSERT_NE(after_import.machine_extension_guids + after_import.user_extension_guids,
            before.machine_extension_guids + before.user_extension_guids);
  ASSERT_FALSE(gpo.safety_backup_id.empty());
  EXPECT_EQ(after_import.security_descriptor, before.security_descriptor);  // GPMC keeps it

  RecordingSink undo_sink;
  core::Outcome undo = RunOp(*backend, RestoreOf(gpo.safety_backup_id, false), undo_sink);
  ASSERT_FALSE(undo.error) << undo.error->message;
  EXPECT_EQ(Settings(s.policies() / kWorkstation), settings_before);  // byte for byte
  const GpoMetadata now = StoredGpo(s.config, kWorkstation);
  EXPECT_EQ(now.display_name, before.display_name);
  EXPECT_EQ(now.flags, before.flags);
  EXPECT_EQ(now.machine_extension_guids, before.machine_extension_guids);
  EXPECT_EQ(now.user_extension_guids, before.user_extension_guids);
  EXPECT_EQ(now.created_ms, before.created_ms);
  EXPECT_EQ(now.security_descriptor, before.security_descriptor);
  ExpectAboveAll(now.version, {before.version, gpo.version});
  EXPECT_EQ(GptIniVersion(s.policies() / kWorkstation), now.version);
  auto ini = ParseGptIni(ReadFileBytes(s.policies() / kWorkstation / "GPT.INI"), "GPT.INI");
  ASSERT_TRUE(ini.ok());
  ASSERT_TRUE(ini->display_name.has_value());
  EXPECT_EQ(*ini->display_name, before.display_name);
}

// The settings files of `gpt` that KeepUnreadable concerns, below the GPT, and corrupt bytes for
// each (a truncated entry, a template without its UTF-16 byte order mark).
const std::vector<std::pair<std::string, std::string>>& CorruptFiles() {
  static const auto* files = new std::vector<std::pair<std::string, std::string>>{
      {"Machine/Registry.pol", std::string("PReg\x01\0\0\0[\0K\0", 13)},
      {"User/Registry.pol", std::string("NOPE\x01\0\0\0", 8)},
      {"Machine/Microsoft/Windows NT/SecEdit/GptTmpl.inf", "[Unicode]\r\nUnicode=yes\r\n"},
  };
  return *files;
}

// Corrupts the files of CorruptFiles in `gpt` (each exists in the demo store's Workstation
// Baseline); returns the settings as they are then.
std::map<std::string, std::string> Corrupt(const fs::path& gpt) {
  for (const auto& [rel, bytes] : CorruptFiles()) {
    EXPECT_TRUE(fs::exists(gpt / rel)) << rel;
    WriteBytes(gpt / rel, bytes);
  }
  return Settings(gpt);
}

// The extensions of CorruptFiles' files are named in `machine` and `user`.
void ExpectKeptExtensions(const std::string& machine, const std::string& user) {
  EXPECT_NE(machine.find(kRegistryExtensionGuid), std::string::npos) << machine;
  EXPECT_NE(machine.find(kSecurityExtensionGuid), std::string::npos) << machine;
  EXPECT_NE(user.find(kRegistryExtensionGuid), std::string::npos) << user;
}

// The operation that overwrote the corrupt GPO warned once about each corrupt file, naming it,
// and its safety backup `safety_id` holds the corrupt bytes and a report that says it left
// them out (the User side's file in the User side).
void ExpectKeptBySafetyBackup(const TestStore& s, const RecordingSink& sink,
                              const std::string& safety_id) {
  const fs::path backup = s.location() / safety_id;
  auto report = DecodeUtf16LeWithBom(ReadFileBytes(backup / "gpreport.xml"), "gpreport.xml");
  ASSERT_TRUE(report.ok()) << report.error().message;
  const size_t user_at = report->find("<User>");
  ASSERT_NE(user_at, std::string::npos);
  for (const auto& [rel, bytes] : CorruptFiles()) {
    SCOPED_TRACE(rel);
    int warned = 0;
    for (const auto& m : sink.messages) {
      if (m.severity == core::Severity::kWarning && m.object_path.size() >= rel.size() &&
          m.object_path.compare(m.object_path.size() - rel.size(), rel.size(), rel) == 0 &&
          m.message.find("keeps the file byte for byte") != std::string::npos) {
        ++warned;
      }
    }
    EXPECT_EQ(warned, 1);
    EXPECT_EQ(ReadFileBytes(backup / "DomainSysvol" / "GPO" / rel), bytes);
    // <!-- gpop: <the file>: <what is wrong>; the backup keeps the file ... -->
    const size_t named = report->find(rel + ":");
    ASSERT_NE(named, std::string::npos) << *report;
    const size_t comment = report->rfind("<!-- gpop: ", named);
    ASSERT_NE(comment, std::string::npos);
    EXPECT_EQ(report->find('\n', comment), report->find('\n', named));  // one line
    EXPECT_EQ(named > user_at, rel.rfind("User/", 0) == 0);
  }
  // The files' extensions stay the GPO's (the demo store's GPOs have no metadata row, so they
  // are derived from the files): an undo through this backup must not drop them.
  auto xml = ParseBackupXml(ReadFileBytes(backup / "Backup.xml"), "Backup.xml");
  ASSERT_TRUE(xml.ok()) << xml.error().message;
  ExpectKeptExtensions(xml->core.machine_extension_guids, xml->core.user_extension_guids);
}

TEST(SysvolGpoWriteUndoTest, ARestoreOverCorruptSettingsFilesIsUndoneByItsSafetyBackup) {
  TestStore s = MakeDemoStore();
  auto backend = OpenBackend(s.config);
  const fs::path gpt = s.policies() / kWorkstation;
  const auto healthy = Settings(gpt);
  core::Outcome backup = BackupGpo(*backend, kWorkstation);
  ASSERT_FALSE(backup.error) << backup.error->message;
  const auto broken = Corrupt(gpt);

  RecordingSink sink;
  core::Outcome restored = RunOp(*backend, RestoreOf(BackupIdOf(backup)), sink);
  ASSERT_FALSE(restored.error) << restored.error->message;
  EXPECT_EQ(Settings(gpt), healthy);  // repaired
  const std::string safety_id = std::get<core::GpoInfo>(restored.result).safety_backup_id;
  ASSERT_FALSE(safety_id.empty());
  ExpectKeptBySafetyBackup(s, sink, safety_id);

  RecordingSink undo_sink;
  core::Outcome undo = RunOp(*backend, RestoreOf(safety_id), undo_sink);
  ASSERT_FALSE(undo.error) << undo.error->message;
  EXPECT_EQ(Settings(gpt), broken);  // the corrupt bytes back, exactly
  const GpoMetadata undone = StoredGpo(s.config, kWorkstation);
  ExpectKeptExtensions(undone.machine_extension_guids, undone.user_extension_guids);
}

TEST(SysvolGpoWriteUndoTest, AnImportOverCorruptSettingsFilesIsUndoneByItsSafetyBackup) {
  TestStore s = MakeDemoStore();
  auto backend = OpenBackend(s.config);
  core::Outcome backup = BackupGpo(*backend, kServer);
  ASSERT_FALSE(backup.error) << backup.error->message;
  const fs::path gpt = s.policies() / kWorkstation;
  const auto broken = Corrupt(gpt);

  core::ImportSpec spec;
  spec.backup.backup_id = BackupIdOf(backup);
  spec.target.guid = kWorkstation;
  RecordingSink sink;
  core::Outcome imported = RunOp(*backend, spec, sink);
  ASSERT_FALSE(imported.error) << imported.error->message;
  EXPECT_EQ(Settings(gpt).count("User/Registry.pol"), 0u);  // the Server Hardening's settings
  const std::string safety_id = std::get<core::GpoInfo>(imported.result).safety_backup_id;
  ASSERT_FALSE(safety_id.empty());
  ExpectKeptBySafetyBackup(s, sink, safety_id);

  RecordingSink undo_sink;
  core::Outcome undo = RunOp(*backend, RestoreOf(safety_id), undo_sink);
  ASSERT_FALSE(undo.error) << undo.error->message;
  EXPECT_EQ(Settings(gpt), broken);
}

}  // namespace
}  // namespace gpop::sysvol::testing
