// Security descriptors in GptTmpl.inf ([File Security], [Registry Keys], [Service General
// Setting]) under a migration table, as GPMC migrates them: the domain SIDs they name are in the
// migration table template, mapped SIDs are rewritten (owner, group, DACL and SACL trustees), a
// SID mapped to None loses its ACE, and a SID mapped to a name (a descriptor holds SIDs only)
// or left unmapped fails "migration table only" with effects NONE and nothing written.

#include <gtest/gtest.h>

#include "tests/backends/sysvol/migration_test_util.h"
#include "tests/backends/sysvol/sysvol_test_fixture.h"

namespace gpop::sysvol {
namespace {

namespace fs = std::filesystem;
using testing::MappingXml;
using testing::ReadFileBytes;
using testing::RecordingSink;
using testing::Snapshot;
using testing::TableXml;
using testing::Utf16Of;
using testing::Utf8Of;

using testing::kWorkstation;
constexpr char kStaff[] = "S-1-5-21-1111111111-2222222222-3333333333-1104";
constexpr char kSales[] = "S-1-5-21-1111111111-2222222222-3333333333-1105";
constexpr char kTemps[] = "S-1-5-21-1111111111-2222222222-3333333333-1106";
constexpr char kNewStaff[] = "S-1-5-21-4444444444-5555555555-6666666666-2104";

std::string Inf(const std::string& staff, const std::string& temps_ace) {
  return std::string(
             "[Unicode]\r\nUnicode=yes\r\n[Version]\r\nsignature=\"$CHICAGO$\"\r\nRevision=1\r\n"
             "[File "
             "Security]\r\n\"%SystemRoot%\\Temp\",0,\"D:PAR(A;OICI;FA;;;BA)(A;OICI;0x1200a9;;;") +
         staff + ")" + temps_ace +
         "\"\r\n[Registry Keys]\r\n\"MACHINE\\SOFTWARE\\Gpop\",0,\"O:" + staff +
         "G:SYD:(A;CI;KA;;;" + kSales +
         ")\"\r\n[Service General Setting]\r\n\"Spooler\",4,\"D:AR(A;;CCLCSWLOCRRC;;;" + staff +
         ")S:(AU;FA;RPWPDT;;;" + kSales + ")\"\r\n";
}

class SysvolSddlMigrationTest : public testing::DemoCopyTest {
 protected:
  void WriteSources(const fs::path& gpt) override {
    secedit_ = gpt / "Machine" / "Microsoft" / "Windows NT" / "SecEdit";
    testing::WriteBytes(secedit_ / "GptTmpl.inf",
                        Utf16Of(Inf(kStaff, std::string("(A;OICI;FA;;;") + kTemps + ")")));
  }

  fs::path secedit_;
};

TEST_F(SysvolSddlMigrationTest, TemplateListsTheDescriptorsSids) {
  RecordingSink sink;
  core::Outcome out =
      Run(testing::ReportOfGpo(kWorkstation, core::ReportFormat::kMigrationTable), sink);
  ASSERT_FALSE(out.error) << out.error->message;
  auto table = ParseMigrationTable(std::get<core::ReportInfo>(out.result).content, "template");
  ASSERT_TRUE(table.ok()) << table.error().message;
  for (const char* sid : {kStaff, kSales, kTemps}) {
    const MigrationMapping* m = table->FindPrincipal(sid);
    ASSERT_NE(m, nullptr) << sid;
    EXPECT_EQ(m->kind, MigrationDestination::kSameAsSource);
  }
  // Aliases (BA, SY) are the same in every domain: not listed.
  EXPECT_EQ(table->mappings.size(), 3u);
}

TEST_F(SysvolSddlMigrationTest, MappedSidsAreRewrittenAndNoneRemovesTheAce) {
  PutTable("move", TableXml(MappingXml("GlobalGroup", kStaff, kNewStaff) +
                            MappingXml("GlobalGroup", kTemps, "") +
                            MappingXml("GlobalGroup", kSales, "=")));
  RecordingSink sink;
  core::Outcome out = Copy("move", true, sink);
  ASSERT_FALSE(out.error) << out.error->message;
  EXPECT_TRUE(testing::UnmappedMessages(sink).empty());
  const std::string inf = ReadFileBytes(GptOf(out) / "Machine" / "Microsoft" / "Windows NT" /
                                        "SecEdit" / "GptTmpl.inf");
  ASSERT_TRUE(HasUtf16LeBom(inf));  // the encoding is kept
  EXPECT_EQ(Utf8Of(inf), Inf(kNewStaff, "")) << Utf8Of(inf);
  // The source GPO is untouched.
  EXPECT_EQ(Utf8Of(ReadFileBytes(secedit_ / "GptTmpl.inf")),
            Inf(kStaff, std::string("(A;OICI;FA;;;") + kTemps + ")"));
}

TEST_F(SysvolSddlMigrationTest, ANameOrAnUnmappedSidFailsTableOnlyWithNothingWritten) {
  PutTable("names", TableXml(MappingXml("GlobalGroup", kStaff, "NEW\\Staff") +
                             MappingXml("GlobalGroup", kSales, "=")));
  const auto before = Snapshot(store_.config.sysvol_dir);
  RecordingSink sink;
  core::Outcome out = Copy("names", true, sink);
  ASSERT_TRUE(out.error);
  EXPECT_EQ(out.error->code, core::Code::kFailedPrecondition);
  EXPECT_EQ(out.effects, core::Effects::kNone);
  EXPECT_EQ(Snapshot(store_.config.sysvol_dir), before);
  std::vector<std::string> errors;
  for (const auto& m : sink.messages) {
    if (m.severity == core::Severity::kError) errors.push_back(m.message);
  }
  // The name for kStaff (once, though three descriptors name it) and the unmapped kTemps.
  ASSERT_EQ(errors.size(), 2u) << ::testing::PrintToString(errors);
  EXPECT_NE(errors[0].find("which is not a SID: a security descriptor"), std::string::npos)
      << errors[0];
  EXPECT_NE(errors[1].find(kTemps), std::string::npos) << errors[1];
  EXPECT_NE(out.error->message.find("2 principal(s)"), std::string::npos) << out.error->message;
}

TEST_F(SysvolSddlMigrationTest, DryRunPredictsTheRewrittenDescriptors) {
  PutTable("move", TableXml(MappingXml("GlobalGroup", kStaff, kNewStaff) +
                            MappingXml("GlobalGroup", kTemps, "") +
                            MappingXml("GlobalGroup", kSales, "=")));
  core::CopySpec spec;
  spec.source.guid = kWorkstation;
  spec.new_display_name = "Predicted";
  spec.migration_table = "move";
  spec.migration_table_only = true;
  spec.dry_run = true;
  const auto before = Snapshot(store_.config.sysvol_dir);
  RecordingSink sink;
  core::Outcome out = Run(spec, sink);
  ASSERT_FALSE(out.error) << out.error->message;
  EXPECT_EQ(out.effects, core::Effects::kNone);
  EXPECT_TRUE(Snapshot(store_.config.sysvol_dir) == before);
  // A new GPO: every setting is added, the descriptors as migrated.
  std::string added;
  for (const core::SettingChange& c : std::get<core::GpoInfo>(out.result).predicted_changes) {
    added += c.after + "\n";
  }
  EXPECT_NE(added.find(kNewStaff), std::string::npos) << added;
  EXPECT_EQ(added.find(kStaff), std::string::npos) << added;
  EXPECT_EQ(added.find(kTemps), std::string::npos) << added;
}

}  // namespace
}  // namespace gpop::sysvol
