// Non-fatal findings reach the sink as status messages: a settings file the reader has to leave
// out (a corrupt scripts.ini or preference XML) is a warning naming the file in a report, a
// backup and a dry run alike, and the operation still succeeds.

#include <gtest/gtest.h>

#include "service/backends/sysvol/demo_store.h"
#include "service/backends/sysvol/sysvol_backend.h"
#include "tests/backends/sysvol/backend_test_util.h"

namespace gpop::sysvol {
namespace {

namespace fs = std::filesystem;
using testing::BackupOf;
using testing::OpenBackend;
using testing::RecordingSink;
using testing::ReportOfGpo;
using testing::RunOp;
using testing::WriteBytes;

constexpr char kWorkstation[] = "{7C1A5B2E-3D4F-4A8B-9C6D-1E2F3A4B5C6D}";

// The warnings of `sink` naming a path that ends with `file`.
int WarningsAbout(const RecordingSink& sink, const std::string& file) {
  int n = 0;
  for (const core::StatusMessage& m : sink.messages) {
    if (m.severity == core::Severity::kWarning && m.object_path.size() >= file.size() &&
        m.object_path.compare(m.object_path.size() - file.size(), file.size(), file) == 0) {
      ++n;
    }
  }
  return n;
}

TEST(SysvolWarningsTest, UnreadableSettingsFilesAreWarningsInEveryOperation) {
  testing::TestStore store = testing::MakeEmptyStore();
  ASSERT_TRUE(WriteDemoStore(store.config.sysvol_dir).ok());
  const fs::path gpt = store.policies() / kWorkstation;
  WriteBytes(gpt / "Machine" / "Preferences" / "Groups" / "Groups.xml", "<Groups><Group clsid=");
  WriteBytes(gpt / "User" / "Scripts" / "scripts.ini", std::string("\xFF\xFE\x00\xD8", 4));
  auto backend = OpenBackend(store.config);
  ASSERT_NE(backend, nullptr);
  const std::string groups = "Machine/Preferences/Groups/Groups.xml";
  const std::string scripts = "User/Scripts/scripts.ini";

  RecordingSink report;
  core::Outcome out = RunOp(*backend, ReportOfGpo(kWorkstation), report);
  ASSERT_FALSE(out.error) << out.error->message;
  EXPECT_EQ(WarningsAbout(report, groups), 1);
  EXPECT_EQ(WarningsAbout(report, scripts), 1);

  RecordingSink backup;
  out = RunOp(*backend, BackupOf(kWorkstation), backup);
  ASSERT_FALSE(out.error) << out.error->message;
  EXPECT_EQ(WarningsAbout(backup, groups), 1);
  EXPECT_EQ(WarningsAbout(backup, scripts), 1);

  // A dry run of restoring that backup reads the staged files the real run would publish.
  core::RestoreSpec restore;
  restore.backup.backup_id = std::get<core::BackupInfo>(out.result).backup_id;
  restore.dry_run = true;
  RecordingSink dry;
  out = RunOp(*backend, restore, dry);
  ASSERT_FALSE(out.error) << out.error->message;
  EXPECT_EQ(WarningsAbout(dry, groups), 1);
  EXPECT_EQ(WarningsAbout(dry, scripts), 1);
}

}  // namespace
}  // namespace gpop::sysvol
