// Tests of the INF model and the GptTmpl.inf encoding: the fixtures' files round-trip byte for
// byte; wrong BOMs fail clearly.

#include "service/backends/sysvol/format/inf_file.h"

#include <gtest/gtest.h>

#include <string>

#include "service/backends/sysvol/format/utf16.h"
#include "tests/backends/sysvol/test_files.h"
#include "tests/testing/fixtures.h"

namespace gpop::sysvol {
namespace {

using std::string_literals::operator""s;
using testing::BackupDirs;
using testing::FindFiles;
using testing::ReadFileBytes;

TEST(InfFileTest, SplitsLinesKeepingSpacing) {
  InfLine a = SplitInfLine("MinimumPasswordAge = 1");
  EXPECT_EQ(a.key, "MinimumPasswordAge");
  EXPECT_EQ(a.separator, " = ");
  EXPECT_EQ(a.value, "1");
  InfLine b = SplitInfLine("SeTcbPrivilege =");
  EXPECT_EQ(b.key, "SeTcbPrivilege");
  EXPECT_EQ(b.separator, " =");
  EXPECT_EQ(b.value, "");
  InfLine c = SplitInfLine("\"AppIDSvc\",2,\"\"");
  EXPECT_FALSE(c.HasValue());
  EXPECT_EQ(c.Text(), "\"AppIDSvc\",2,\"\"");
  InfLine d = SplitInfLine("MACHINE\\X\\Y=1,\"O:BAG:BAD:(A;;RC;;;BA)\"");
  EXPECT_EQ(d.key, "MACHINE\\X\\Y");
  EXPECT_EQ(d.value, "1,\"O:BAG:BAD:(A;;RC;;;BA)\"");
}

TEST(InfFileTest, EveryFixtureGptTmplRoundTripsByteForByte) {
  GPOP_REQUIRE_FIXTURES(fixtures);
  size_t files = 0;
  for (const auto& backup : BackupDirs(fixtures)) {
    for (const auto& path : FindFiles(backup, "GptTmpl.inf")) {
      std::string bytes = ReadFileBytes(path);
      ASSERT_FALSE(bytes.empty()) << path;
      auto inf = ParseGptTmplInf(bytes, path.string());
      ASSERT_TRUE(inf.ok()) << inf.error().message;
      EXPECT_EQ(inf->encoding, InfEncoding::kUtf16LeBom);
      ASSERT_NE(inf->FindSection("unicode"), nullptr) << path;
      ASSERT_NE(inf->FindSection("Version"), nullptr) << path;
      EXPECT_EQ(inf->FindSection("Version")->Find("signature")->value, "\"$CHICAGO$\"");
      auto written = WriteGptTmplInf(*inf);
      ASSERT_TRUE(written.ok());
      EXPECT_EQ(*written, bytes) << path;
      ++files;
    }
  }
  EXPECT_EQ(files, 4u);
}

TEST(InfFileTest, KeepsUnknownSectionsCommentsAndPreamble) {
  std::string text =
      "; written by hand\r\n[Unicode]\r\nUnicode=yes\r\n[Frobnicate] ; x\r\n\r\nodd line\r\n"
      "; comment\r\nk = v\r\n[Version]\r\nsignature=\"$CHICAGO$\"";
  auto inf = ParseInfText(text, "t.inf");
  ASSERT_TRUE(inf.ok());
  EXPECT_FALSE(inf->final_newline);
  ASSERT_EQ(inf->preamble.size(), 1u);
  ASSERT_EQ(inf->sections.size(), 3u);
  EXPECT_EQ(inf->sections[1].name, "Frobnicate");
  EXPECT_EQ(inf->sections[1].header_suffix, " ; x");
  EXPECT_EQ(inf->sections[1].lines.size(), 4u);
  EXPECT_EQ(inf->FindSection(" frobnicate ")->Find("K")->value, "v");
  EXPECT_EQ(FormatInfText(*inf), text);
}

TEST(InfFileTest, AcceptsLfAndWritesCrlf) {
  auto inf = ParseInfText("[Unicode]\nUnicode=yes\n", "t.inf");
  ASSERT_TRUE(inf.ok());
  EXPECT_EQ(FormatInfText(*inf), "[Unicode]\r\nUnicode=yes\r\n");
}

TEST(InfFileTest, Utf8WithBomIsKept) {
  std::string bytes = "\xEF\xBB\xBF[Unicode]\r\nUnicode=yes\r\n";
  auto inf = ParseGptTmplInf(bytes, "GptTmpl.inf");
  ASSERT_TRUE(inf.ok());
  EXPECT_EQ(inf->encoding, InfEncoding::kUtf8Bom);
  EXPECT_EQ(*WriteGptTmplInf(*inf), bytes);
}

TEST(InfFileTest, WrongEncodingsFailClearly) {
  struct Case {
    std::string bytes;
    const char* part;
  };
  for (const Case& c : std::vector<Case>{
           {"[Unicode]\r\n", "no byte order mark"},
           {"\xFE\xFF\0[\0U"s, "UTF-16BE"},
           {"\xFF\xFE[\0U"s, "odd number of bytes"},
           {"\xFF\xFE\x00\xDC"s, "surrogate"},
           {"\xFF\xFE[\0\0\0]\0"s, "NUL character"},
           {"\xEF\xBB\xBF\xC0\xAF", "invalid UTF-8"},
       }) {
    auto inf = ParseGptTmplInf(c.bytes, "Machine/Microsoft/Windows NT/SecEdit/GptTmpl.inf");
    ASSERT_FALSE(inf.ok()) << c.part;
    EXPECT_EQ(inf.error().reason, "CORRUPT_FILE");
    EXPECT_NE(inf.error().message.find("SecEdit/GptTmpl.inf"), std::string::npos);
    EXPECT_NE(inf.error().message.find(c.part), std::string::npos) << inf.error().message;
  }
}

TEST(InfFileTest, EditsKeepTheRest) {
  auto inf = ParseInfText("[Privilege Rights]\r\nSeBackupPrivilege = *S-1-5-32-544\r\n", "t");
  ASSERT_TRUE(inf.ok());
  inf->FindSection("Privilege Rights")->Find("SeBackupPrivilege")->value = "*S-1-5-32-551";
  inf->GetOrAddSection("System Access").lines.push_back(MakeInfLine("LockoutBadCount", "3"));
  EXPECT_EQ(FormatInfText(*inf),
            "[Privilege Rights]\r\nSeBackupPrivilege = *S-1-5-32-551\r\n[System Access]\r\n"
            "LockoutBadCount = 3\r\n");
}

}  // namespace
}  // namespace gpop::sysvol
