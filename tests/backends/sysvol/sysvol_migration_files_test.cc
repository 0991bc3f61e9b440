// A migration table on every other kind of settings file that names principals or UNC paths,
// through a copy (the optional table of a copy) and a UTF-16 .migtable: audit.csv's global
// object access SACL, scripts.ini and psscripts.ini paths, and the run-as account of a
// scheduled task (Preferences). The mapped entries are rewritten and nothing else; with
// "migration table only" each unmapped one is a message and nothing is written; a dry run
// reports the same problems (warnings, or errors with "migration table only").

#include <gtest/gtest.h>

#include <algorithm>

#include "tests/backends/sysvol/migration_test_util.h"
#include "tests/backends/sysvol/sysvol_test_fixture.h"

namespace gpop::sysvol {
namespace {

namespace fs = std::filesystem;
using testing::ReadFileBytes;
using testing::RecordingSink;
using testing::Snapshot;
using testing::WriteBytes;

using testing::kWorkstation;
constexpr char kAuditors[] = "S-1-5-21-1111111111-2222222222-3333333333-1107";
constexpr char kNewAuditors[] = "S-1-5-21-4444444444-5555555555-6666666666-2107";

const char kAuditCsv[] =
    "Machine Name,Policy Target,Subcategory,Subcategory GUID,Inclusion Setting,Exclusion "
    "Setting,Setting Value\r\n"
    ",System,Audit Logon,{0cce9215-69ae-11d9-bed3-505054503030},Success and Failure,,3\r\n"
    ",,FileGlobalSacl,,,,S:(AU;SA;FA;;;S-1-5-21-1111111111-2222222222-3333333333-1107)"
    "(AU;FA;FA;;;WD)\r\n";

std::string Utf16(const std::string& text) { return testing::Utf16Of(text); }
std::string Utf8(const std::string& bytes) { return testing::Utf8Of(bytes); }

std::string ScriptsIni(const std::string& server) {
  return "\r\n[Startup]\r\n0CmdLine=\\\\" + server + "\\netlogon\\start.cmd\r\n0Parameters=/q\r\n";
}
std::string PsScriptsIni(const std::string& server) {
  return "\r\n[Logon]\r\n0CmdLine=\\\\" + server + "\\scripts\\logon.ps1\r\n0Parameters=\r\n";
}
std::string TasksXml(const std::string& account) {
  return "<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n<ScheduledTasks "
         "clsid=\"{CC63F200-7309-4ba0-B154-A71CD118DBCC}\"><TaskV2 "
         "clsid=\"{D8896631-B747-47a7-84A6-C155337F3BC8}\" name=\"Nightly\"><Properties "
         "action=\"C\" name=\"Nightly\" runAs=\"" +
         account + "\" logonType=\"Password\"/></TaskV2></ScheduledTasks>";
}

class SysvolMigrationFilesTest : public testing::DemoCopyTest {
 protected:
  void WriteSources(const fs::path& gpt) override {
    WriteBytes(gpt / "Machine" / "Microsoft" / "Windows NT" / "Audit" / "audit.csv", kAuditCsv);
    WriteBytes(gpt / "Machine" / "Scripts" / "scripts.ini", Utf16(ScriptsIni("fs1.gpop.test")));
    WriteBytes(gpt / "User" / "Scripts" / "psscripts.ini", Utf16(PsScriptsIni("fs1.gpop.test")));
    WriteBytes(gpt / "Machine" / "Preferences" / "ScheduledTasks" / "ScheduledTasks.xml",
               TasksXml("GPOP\\svc-nightly"));
  }

  // `mappings` as a .migtable in UTF-16LE, as GPMC's editor saves one.
  void PutUtf16Table(const std::string& name, const std::string& mappings) const {
    std::string xml = testing::TableXml(mappings);
    const std::string decl = "encoding=\"utf-8\"";
    xml.replace(xml.find(decl), decl.size(), "encoding=\"utf-16\"");
    PutTable(name, Utf16(xml));
  }
};

TEST_F(SysvolMigrationFilesTest, AuditScriptsAndRunAsAccountsAreMapped) {
  PutUtf16Table("all", testing::MappingXml("GlobalGroup", kAuditors, kNewAuditors) +
                           testing::MappingXml("User", "GPOP\\svc-nightly", "NEW\\svc-nightly") +
                           testing::MappingXml("UNCPath", "\\\\fs1.gpop.test", "\\\\fs2.new.test"));
  const auto source_before = Snapshot(gpt_);
  RecordingSink sink;
  core::Outcome out = Copy("all", true, sink);
  ASSERT_FALSE(out.error) << out.error->message;
  const fs::path copied = GptOf(out);
  std::string want_audit = kAuditCsv;
  want_audit.replace(want_audit.find(kAuditors), std::string(kAuditors).size(), kNewAuditors);
  EXPECT_EQ(ReadFileBytes(copied / "Machine" / "Microsoft" / "Windows NT" / "Audit" / "audit.csv"),
            want_audit);
  const std::string scripts = ReadFileBytes(copied / "Machine" / "Scripts" / "scripts.ini");
  ASSERT_TRUE(HasUtf16LeBom(scripts));
  EXPECT_EQ(Utf8(scripts), ScriptsIni("fs2.new.test"));
  EXPECT_EQ(Utf8(ReadFileBytes(copied / "User" / "Scripts" / "psscripts.ini")),
            PsScriptsIni("fs2.new.test"));
  const std::string tasks =
      ReadFileBytes(copied / "Machine" / "Preferences" / "ScheduledTasks" / "ScheduledTasks.xml");
  EXPECT_NE(tasks.find("runAs=\"NEW\\svc-nightly\""), std::string::npos) << tasks;
  EXPECT_EQ(tasks.find("GPOP\\svc-nightly"), std::string::npos) << tasks;
  // The source GPO is as it was.
  EXPECT_EQ(Snapshot(gpt_), source_before);
}

TEST_F(SysvolMigrationFilesTest, TableOnlyNamesEachUnmappedEntryAndWritesNothing) {
  PutUtf16Table("partial", testing::MappingXml("UNCPath", "\\\\fs1.gpop.test", "="));
  const auto before = Snapshot(store_.config.sysvol_dir);
  RecordingSink sink;
  core::Outcome out = Copy("partial", true, sink);
  ASSERT_TRUE(out.error);
  EXPECT_EQ(out.error->code, core::Code::kFailedPrecondition);
  EXPECT_EQ(out.effects, core::Effects::kNone);
  EXPECT_EQ(Snapshot(store_.config.sysvol_dir), before);
  // One message per unmapped account: the SACL's SID in audit.csv and the task's run-as user.
  std::vector<std::string> unmapped = testing::UnmappedMessages(sink);
  ASSERT_EQ(unmapped.size(), 2u);
  std::sort(unmapped.begin(), unmapped.end());
  EXPECT_NE(unmapped[0].find("GPOP\\svc-nightly"), std::string::npos) << unmapped[0];
  EXPECT_NE(unmapped[1].find(kAuditors), std::string::npos) << unmapped[1];
  // The template of the GPO lists both, and the path.
  core::ReportSpec report = testing::ReportOfGpo(kWorkstation, core::ReportFormat::kMigrationTable);
  RecordingSink report_sink;
  core::Outcome tmpl = Run(report, report_sink);
  ASSERT_FALSE(tmpl.error) << tmpl.error->message;
  const std::string& text = std::get<core::ReportInfo>(tmpl.result).content;
  for (const std::string& name :
       {std::string(kAuditors), std::string("svc-nightly"), std::string("\\\\fs1.gpop.test")}) {
    EXPECT_NE(text.find(name), std::string::npos) << name << "\n" << text;
  }
}

TEST_F(SysvolMigrationFilesTest, ADryRunReportsEveryMigrationProblemAndChangesNothing) {
  PutUtf16Table("partial", testing::MappingXml("UNCPath", "\\\\fs1.gpop.test", "\\\\fs2.new.test"));
  const auto sysvol_before = Snapshot(store_.config.sysvol_dir);
  const auto backups_before = Snapshot(store_.location());
  // Without "migration table only": the prediction, and a warning for each unmapped entry.
  RecordingSink sink;
  core::Outcome dry = Copy("partial", false, sink, /*dry_run=*/true);
  ASSERT_FALSE(dry.error) << dry.error->message;
  EXPECT_EQ(dry.effects, core::Effects::kNone);
  EXPECT_FALSE(std::get<core::GpoInfo>(dry.result).predicted_changes.empty());
  std::vector<std::string> unmapped = testing::UnmappedMessages(sink);
  ASSERT_EQ(unmapped.size(), 2u);
  for (const core::StatusMessage& m : sink.messages) {
    if (m.message.find("does not map") != std::string::npos) {
      EXPECT_EQ(m.severity, core::Severity::kWarning) << m.message;
    }
  }
  // With it: the same two entries, as errors, and the dry run fails as the real run would.
  RecordingSink only_sink;
  core::Outcome refused = Copy("partial", true, only_sink, /*dry_run=*/true);
  ASSERT_TRUE(refused.error);
  EXPECT_EQ(refused.error->code, core::Code::kFailedPrecondition);
  EXPECT_EQ(refused.effects, core::Effects::kNone);
  EXPECT_EQ(testing::UnmappedMessages(only_sink).size(), 2u);
  // Neither wrote anything: the sysvol tree and the backup location are as they were.
  EXPECT_EQ(Snapshot(store_.config.sysvol_dir), sysvol_before);
  EXPECT_EQ(Snapshot(store_.location()), backups_before);
}

}  // namespace
}  // namespace gpop::sysvol
