// Regression tests for defects a review found in the sysvol backend: links out of the ADMX
// store, an unresolvable intent blocking start-up, descriptor use growing with a GPT's size,
// manifest entries lost for unreadable backups, and control characters in comments.

#include <gtest/gtest.h>
#include <sys/resource.h>

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

TEST(SysvolReviewTest, AdmxLinksOutOfTheRootAreNotFollowed) {
  TestStore s = Demo();
  auto backend = OpenBackend(s.config);
  fs::path outside = s.root / "outside";
  fs::create_directories(outside);
  WriteBytes(outside / "secret.txt", "not an ADMX file");
  fs::create_directories(s.policies() / "PolicyDefinitions");
  fs::create_symlink(outside / "secret.txt", s.policies() / "PolicyDefinitions" / "evil.admx");
  RecordingSink sink;
  core::Outcome out = RunOp(*backend, ReportOfGpo(kServer), sink);
  // The link is not a template: the report is made without it (the outside file is never read).
  ASSERT_FALSE(out.error) << out.error->message;
}

TEST(SysvolReviewTest, UnresolvableIntentDoesNotBlockStartUp) {
  TestStore s = Demo();
  auto backend = OpenBackend(s.config);
  backend->SetFaultHookForTesting([](FaultPoint p) { return p == FaultPoint::kAfterCommitRecord; });
  RecordingSink sink;
  ASSERT_TRUE(RunOp(*backend, BackupOf(kServer), sink, nullptr, "op-lost").error);
  backend.reset();
  fs::remove_all(s.location() / ".gpop-staging");  // an operator cleaned up by hand
  auto restarted = OpenBackend(s.config);
  auto resolved = restarted->ResolveLeftovers();
  ASSERT_TRUE(resolved.ok()) << resolved.error().message;
  EXPECT_TRUE(resolved->empty());
  // And the backend still works.
  EXPECT_FALSE(RunOp(*restarted, BackupOf(kServer), sink).error);
}

TEST(SysvolReviewTest, OpenDescriptorsDoNotGrowWithTheTree) {
  TestStore s = Demo();
  auto backend = OpenBackend(s.config);
  for (int i = 0; i < 300; ++i) {
    WriteBytes(s.policies() / kServer / "Machine" / "many" / ("d" + std::to_string(i)) / "f.txt",
               "x");
  }
  struct rlimit old;
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &old), 0);
  struct rlimit low = {128, old.rlim_max};
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
  RecordingSink sink;
  core::Outcome out = RunOp(*backend, BackupOf(kServer), sink);
  setrlimit(RLIMIT_NOFILE, &old);
  EXPECT_FALSE(out.error) << out.error->message;
}

TEST(SysvolReviewTest, UnreadableBackupKeepsItsManifestEntry) {
  TestStore s = Demo();
  auto backend = OpenBackend(s.config);
  RecordingSink sink;
  core::Outcome first = RunOp(*backend, BackupOf(kServer), sink);
  ASSERT_FALSE(first.error);
  std::string id = std::get<core::BackupInfo>(first.result).backup_id;
  std::string info = ReadFileBytes(s.location() / id / "bkupInfo.xml");
  WriteBytes(s.location() / id / "bkupInfo.xml", info.substr(0, info.size() / 2));
  ASSERT_FALSE(RunOp(*backend, BackupOf(kServer), sink).error);
  std::string manifest = ReadFileBytes(s.location() / "manifest.xml");
  EXPECT_NE(manifest.find(id), std::string::npos) << "a backup whose folder exists was dropped";
}

TEST(SysvolReviewTest, ControlCharactersInCommentsAreRefused) {
  TestStore s = Demo();
  auto backend = OpenBackend(s.config);
  core::Status valid = core::ValidateSpec(BackupOf(kServer, std::string("a\x01"
                                                                        "b")));
  ASSERT_FALSE(valid.ok());
  EXPECT_EQ(valid.error().code, core::Code::kInvalidArgument);
  EXPECT_TRUE(core::ValidateSpec(BackupOf(kServer, "line one\r\nline two\ttab")).ok());
  // 2,047 UTF-16 units: 1,023 characters outside the BMP (2 units each) + 1 fit; one more
  // does not.
  std::string astral;
  for (int i = 0; i < 1023; ++i) astral += "\xF0\x9F\x98\x80";
  EXPECT_TRUE(core::ValidateSpec(BackupOf(kServer, astral + "x")).ok());
  EXPECT_FALSE(core::ValidateSpec(BackupOf(kServer, astral + "xy")).ok());
}

TEST(SysvolReviewTest, TwoLocationNamesForOneFolderAreRefused) {
  TestStore s = Demo();
  SysvolConfig config = s.config;
  config.backup_locations["alias"] = s.location() / ".";
  auto opened = SysvolBackend::Open(config);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().code, core::Code::kInvalidArgument);
  EXPECT_NE(opened.error().message.find("same folder"), std::string::npos);
}

TEST(SysvolReviewTest, BackupNeverWidensFilePermissions) {
  TestStore s = Demo();
  auto backend = OpenBackend(s.config);
  fs::path secret = s.policies() / kServer / "Machine" / "secret.dat";
  WriteBytes(secret, "pw");
  fs::permissions(secret, fs::perms::owner_read | fs::perms::owner_write);
  RecordingSink sink;
  core::Outcome out = RunOp(*backend, BackupOf(kServer), sink);
  ASSERT_FALSE(out.error) << out.error->message;
  std::string id = std::get<core::BackupInfo>(out.result).backup_id;
  fs::perms copied =
      fs::status(s.location() / id / "DomainSysvol" / "GPO" / "Machine" / "secret.dat")
          .permissions();
  EXPECT_EQ(copied & (fs::perms::group_all | fs::perms::others_all), fs::perms::none);
}

}  // namespace
}  // namespace gpop::sysvol
