// Folder redirection (fdeploy.ini, fdeploy1.ini) under a migration table: the group SIDs that
// name each redirection and the UNC paths they redirect to are mapped, the files keep their
// encoding and every other line; a group mapped to None loses its line; a group mapped to a
// name (not a SID) and an unmapped path fail "migration table only" with nothing written.

#include <gtest/gtest.h>

#include "tests/backends/sysvol/migration_test_util.h"
#include "tests/backends/sysvol/sysvol_test_fixture.h"

namespace gpop::sysvol {
namespace {

namespace fs = std::filesystem;
using testing::ReadFileBytes;
using testing::RecordingSink;
using testing::Snapshot;
using testing::WriteBytes;

constexpr char kStaff[] = "S-1-5-21-1111111111-2222222222-3333333333-1104";
constexpr char kSales[] = "S-1-5-21-1111111111-2222222222-3333333333-1105";
constexpr char kTemps[] = "S-1-5-21-1111111111-2222222222-3333333333-1106";
constexpr char kNewStaff[] = "S-1-5-21-4444444444-5555555555-6666666666-2104";

std::string Utf16(const std::string& text) { return testing::Utf16Of(text); }
std::string Utf8(const std::string& bytes) { return testing::Utf8Of(bytes); }
std::string Table(const std::string& mappings) { return testing::TableXml(mappings); }
std::string Mapping(const char* type, const std::string& source, const std::string& dest) {
  return testing::MappingXml(type, source, dest);
}

class SysvolRedirectionTest : public testing::DemoCopyTest {
 protected:
  void WriteSources(const fs::path& gpt) override {
    redirection_ = gpt / "User" / "Documents & Settings";
    // fdeploy.ini as Windows XP-era GPMC writes it (UTF-16LE) and fdeploy1.ini (known-folder
    // GUID sections), both naming groups by SID.
    WriteBytes(
        redirection_ / "fdeploy.ini",
        Utf16(std::string("[FolderStatus]\r\nMy Documents=11\r\n[My Documents]\r\n") + kStaff +
              "=\\\\fs1.gpop.test\\home\\%USERNAME%\\Documents\r\n" + kTemps +
              "=\\\\fs1.gpop.test\\temps\\%USERNAME%\r\ns-1-1-0=\\\\fs1.gpop.test\\all\r\n"));
    WriteBytes(redirection_ / "fdeploy1.ini",
               Utf16(std::string("[FolderStatus]\r\n{FDD39AD0-238F-46AF-ADB4-6C85480369C7}=11\r\n"
                                 "[{FDD39AD0-238F-46AF-ADB4-6C85480369C7}]\r\n") +
                     kSales + "=\\\\fs1.gpop.test\\sales\\%USERNAME%\r\n"));
  }

  fs::path redirection_;
};

TEST_F(SysvolRedirectionTest, SidsAndPathsAreMapped) {
  PutTable("move", Table(Mapping("GlobalGroup", kStaff, kNewStaff) +
                         Mapping("GlobalGroup", kTemps, "") + Mapping("GlobalGroup", kSales, "=") +
                         Mapping("UNCPath", "\\\\fs1.gpop.test\\home", "\\\\fs9.new.test\\users") +
                         Mapping("UNCPath", "\\\\fs1.gpop.test", "\\\\fs2.new.test")));
  RecordingSink sink;
  core::Outcome out = Copy("move", true, sink);
  ASSERT_FALSE(out.error) << out.error->message;
  const fs::path copied = GptOf(out) / "User" / "Documents & Settings";
  const std::string fdeploy = ReadFileBytes(copied / "fdeploy.ini");
  ASSERT_TRUE(HasUtf16LeBom(fdeploy));  // the encoding is kept
  EXPECT_EQ(Utf8(fdeploy), std::string("[FolderStatus]\r\nMy Documents=11\r\n[My Documents]\r\n") +
                               kNewStaff +
                               "=\\\\fs9.new.test\\users\\%USERNAME%\\Documents\r\n"
                               "s-1-1-0=\\\\fs2.new.test\\all\r\n");
  EXPECT_EQ(Utf8(ReadFileBytes(copied / "fdeploy1.ini")),
            std::string("[FolderStatus]\r\n{FDD39AD0-238F-46AF-ADB4-6C85480369C7}=11\r\n"
                        "[{FDD39AD0-238F-46AF-ADB4-6C85480369C7}]\r\n") +
                kSales + "=\\\\fs2.new.test\\sales\\%USERNAME%\r\n");
  // The source GPO is untouched.
  EXPECT_EQ(Utf8(ReadFileBytes(redirection_ / "fdeploy1.ini")).find("fs2"), std::string::npos);
}

TEST_F(SysvolRedirectionTest, ANameForARedirectionGroupAndAnUnmappedPathFailTableOnly) {
  PutTable("names",
           Table(Mapping("GlobalGroup", kStaff, "NEW\\Staff") +
                 Mapping("GlobalGroup", kTemps, "=") + Mapping("GlobalGroup", kSales, "=") +
                 Mapping("UNCPath", "\\\\fs1.gpop.test\\home", "=")));
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
  // The name for a SID, and the two paths of \\fs1.gpop.test outside \home (temps, all, sales).
  ASSERT_EQ(errors.size(), 4u) << ::testing::PrintToString(errors);
  EXPECT_NE(errors[0].find("which is not a SID"), std::string::npos) << errors[0];
  EXPECT_NE(out.error->message.find("4 principal(s)"), std::string::npos) << out.error->message;
  // Without "table only" the copy goes through, the SID kept, and the problems are warnings.
  RecordingSink lenient;
  out = Copy("names", false, lenient);
  ASSERT_FALSE(out.error) << out.error->message;
  const fs::path copied = GptOf(out) / "User" / "Documents & Settings";
  EXPECT_NE(Utf8(ReadFileBytes(copied / "fdeploy.ini")).find(kStaff), std::string::npos);
}

}  // namespace
}  // namespace gpop::sysvol
