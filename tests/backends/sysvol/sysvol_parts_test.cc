// Tests of the pieces the sysvol backend was split into: the ADMX cache (a corrupt template is
// a warning, never a crash; an edited template is noticed), recovery dispatching on the
// intent's kind, claims on resolved GUIDs, GPO.cmt kept by backups, and file names a backup
// cannot carry.

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <utime.h>

#include "service/backends/sysvol/admx_cache.h"
#include "service/backends/sysvol/demo_store.h"
#include "service/backends/sysvol/sysvol_backend.h"
#include "tests/backends/sysvol/backend_test_util.h"

namespace gpop::sysvol {
namespace {

namespace fs = std::filesystem;
using testing::BackupOf;
using testing::OpenBackend;
using testing::ReadFileBytes;
using testing::RecordingSink;
using testing::ReportOfBackup;
using testing::ReportOfGpo;
using testing::RunOp;
using testing::TestStore;
using testing::WriteBytes;

constexpr char kServer[] = "{2F8E4D6C-9B1A-4E3F-8D7C-6B5A4F3E2D1C}";  // "Server Hardening"

TestStore Demo() {
  TestStore s = testing::MakeEmptyStore();
  EXPECT_TRUE(WriteDemoStore(s.config.sysvol_dir).ok());
  return s;
}

std::string Admx(const std::string& display_name) {
  return "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
         "<policyDefinitions revision=\"1.0\" schemaVersion=\"1.0\">"
         "<policyNamespaces><target prefix=\"t\" namespace=\"Gpop.Test\"/></policyNamespaces>"
         "<categories><category name=\"TestCat\" displayName=\"Test category\"/></categories>"
         "<policies><policy name=\"P1\" class=\"Machine\" displayName=\"" +
         display_name +
         "\" key=\"Software\\Policies\\GpopTest\" valueName=\"Flag\">"
         "<parentCategory ref=\"TestCat\"/>"
         "<enabledValue><decimal value=\"1\"/></enabledValue></policy></policies>"
         "</policyDefinitions>\n";
}

std::string FoundName(const LoadedAdmx& loaded) {
  if (!loaded.catalog) return "<no catalog>";
  auto found = loaded.catalog->Find(true, "Software\\Policies\\GpopTest", "Flag");
  return found.empty() ? "<none>" : found.front()->display_name;
}

TEST(SysvolPartsTest, CorruptTemplateIsAWarningNotACrash) {
  TestStore s = Demo();
  fs::path defs = s.policies() / "PolicyDefinitions";
  WriteBytes(defs / "good.admx", Admx("Good policy"));
  WriteBytes(defs / "broken.admx", "<policyDefinitions><policies><policy");  // truncated
  WriteBytes(defs / "en-US" / "broken.adml", "not xml at all");
  auto backend = OpenBackend(s.config);
  for (int run = 0; run < 2; ++run) {  // the second run comes from the cache
    RecordingSink sink;
    core::Outcome out = RunOp(*backend, ReportOfGpo(kServer), sink);
    ASSERT_FALSE(out.error) << out.error->message;
    bool named = false;
    for (const core::StatusMessage& m : sink.messages) {
      if (m.object_path.find("broken.admx") != std::string::npos) {
        named = true;
        EXPECT_EQ(m.severity, core::Severity::kWarning);
      }
    }
    EXPECT_TRUE(named) << "run " << run << ": no status message names broken.admx";
  }
  // And a backup (which writes a report too) still works.
  RecordingSink sink;
  EXPECT_FALSE(RunOp(*backend, BackupOf(kServer), sink).error);
  // The good template is still used.
  auto policies = Dir::OpenRoot(s.policies(), "Policies");
  ASSERT_TRUE(policies.ok());
  AdmxCache cache;
  EXPECT_EQ(FoundName(cache.Load(*policies)), "Good policy");
}

TEST(SysvolPartsTest, AdmxCacheNoticesATemplateEditedInPlace) {
  TestStore s = Demo();
  fs::path file = s.policies() / "PolicyDefinitions" / "test.admx";
  WriteBytes(file, Admx("First name"));
  auto policies = Dir::OpenRoot(s.policies(), "Policies");
  ASSERT_TRUE(policies.ok());
  AdmxCache cache;
  EXPECT_EQ(FoundName(cache.Load(*policies)), "First name");
  struct stat before;
  ASSERT_EQ(::stat(file.parent_path().c_str(), &before), 0);
  // Rewrite the file in place: the folder's mtime does not change, the file's does.
  WriteBytes(file, Admx("Second name, longer"));
  struct utimbuf times = {before.st_atime, before.st_mtime + 10};
  ASSERT_EQ(::utime(file.c_str(), &times), 0);
  struct stat after;
  ASSERT_EQ(::stat(file.parent_path().c_str(), &after), 0);
  EXPECT_EQ(before.st_mtim.tv_nsec, after.st_mtim.tv_nsec);
  EXPECT_EQ(FoundName(cache.Load(*policies)), "Second name, longer");
}

TEST(SysvolPartsTest, RecoveryDispatchesOnTheIntentKind) {
  TestStore s = Demo();
  auto backend = OpenBackend(s.config);
  Intent intent;
  intent.operation_id = "op-future";
  intent.kind = "teleport";  // a kind this build does not know
  intent.root = "default";
  intent.staging = "op-future";
  ASSERT_TRUE(backend->metadata().RecordIntent(intent).ok());
  ASSERT_TRUE(backend->metadata().SetIntentState("op-future", IntentState::kCommitting).ok());
  std::optional<core::Outcome> out = backend->Recover("op-future");
  ASSERT_TRUE(out.has_value());
  ASSERT_TRUE(out->error);
  EXPECT_NE(out->error->message.find("teleport"), std::string::npos) << out->error->message;
  EXPECT_EQ(out->effects, core::Effects::kUnknown);
  // It stays open (a newer gpop may finish it), and does not block start-up.
  auto open = backend->metadata().OpenIntents();
  ASSERT_TRUE(open.ok());
  ASSERT_EQ(open->size(), 1u);
  EXPECT_TRUE(backend->ResolveLeftovers().ok());
}

TEST(SysvolPartsTest, ClaimsUseTheResolvedGuid) {
  TestStore s = Demo();
  auto backend = OpenBackend(s.config);
  core::BackupSpec by_name;
  by_name.gpo.display_name = "server hardening";
  core::BackupSpec by_guid = BackupOf("{2f8e4d6c-9b1a-4e3f-8d7c-6b5a4f3e2d1c}");
  auto gpo_claim = [](const std::vector<core::ResourceClaim>& claims) {
    for (const auto& c : claims) {
      if (c.resource.rfind("gpo", 0) == 0) return c.resource;
    }
    return std::string();
  };
  EXPECT_EQ(gpo_claim(backend->Claims(by_name)), std::string("gpo:") + kServer);
  EXPECT_EQ(gpo_claim(backend->Claims(by_guid)), std::string("gpo:") + kServer);
}

TEST(SysvolPartsTest, BackupKeepsTheGpoComment) {
  TestStore s = Demo();
  const std::string comment = "\xFF\xFE" + std::string("T\0e\0s\0t\0", 8);
  WriteBytes(s.policies() / kServer / "GPO.cmt", comment);
  auto backend = OpenBackend(s.config);
  RecordingSink sink;
  core::Outcome out = RunOp(*backend, BackupOf(kServer), sink);
  ASSERT_FALSE(out.error) << out.error->message;
  const auto& info = std::get<core::BackupInfo>(out.result);
  fs::path backup = s.location() / info.backup_id;
  EXPECT_EQ(ReadFileBytes(backup / "DomainSysvol" / "GPO" / "GPO.cmt"), comment);
  auto xml = ParseBackupXml(ReadFileBytes(backup / "Backup.xml"), "Backup.xml");
  ASSERT_TRUE(xml.ok());
  bool listed = false;
  for (const auto& ext : xml->extensions) {
    for (const auto& o : ext.objects) {
      if (o.location == "DomainSysvol\\GPO\\GPO.cmt") listed = true;
    }
  }
  EXPECT_TRUE(listed);
}

TEST(SysvolPartsTest, FileNamesABackupCannotCarryAreRefusedByName) {
  for (const std::string& bad : {std::string("bad\xC3(name.txt"), std::string("tab\there.txt")}) {
    TestStore s = Demo();
    WriteBytes(s.policies() / kServer / "Machine" / bad, "x");
    auto backend = OpenBackend(s.config);
    auto before = testing::Snapshot(s.location());
    RecordingSink sink;
    core::Outcome out = RunOp(*backend, BackupOf(kServer), sink);
    ASSERT_TRUE(out.error);
    EXPECT_EQ(out.effects, core::Effects::kNone);
    EXPECT_EQ(testing::Snapshot(s.location()), before);
    ASSERT_EQ(sink.messages.size(), 1u);
    EXPECT_EQ(sink.messages[0].severity, core::Severity::kError);
    EXPECT_NE(sink.messages[0].object_path.find("Machine/"), std::string::npos);
    for (unsigned char c : sink.messages[0].object_path) EXPECT_GE(c, 0x20);
  }
}

}  // namespace
}  // namespace gpop::sysvol
