// Tests of the GPT.INI reader and writer.

#include "service/backends/sysvol/format/gpt_ini.h"

#include <gtest/gtest.h>

#include <string>

namespace gpop::sysvol {
namespace {

using std::string_literals::operator""s;

TEST(GptIniTest, ReadsWindowsFile) {
  auto ini = ParseGptIni("[General]\r\nVersion=458759\r\ndisplayName=New Group Policy Object\r\n",
                         "GPT.INI");
  ASSERT_TRUE(ini.ok()) << ini.error().message;
  EXPECT_EQ(ini->version, 458759u);
  ASSERT_TRUE(ini->display_name.has_value());
  EXPECT_EQ(*ini->display_name, "New Group Policy Object");
  EXPECT_EQ(WriteGptIni(*ini),
            "[General]\r\nVersion=458759\r\ndisplayName=New Group Policy Object\r\n");
}

TEST(GptIniTest, ReadsSambaFileCaseInsensitively) {
  // Samba's provisioning writes LF line ends; key case varies between tools.
  auto ini = ParseGptIni("[general]\nversion=0\n", "GPT.INI");
  ASSERT_TRUE(ini.ok());
  EXPECT_EQ(ini->version, 0u);
  EXPECT_FALSE(ini->display_name.has_value());
  EXPECT_EQ(WriteGptIni(*ini), "[General]\r\nVersion=0\r\n");
}

TEST(GptIniTest, KeepsOtherLines) {
  std::string text =
      "\xEF\xBB\xBF[General]\r\nVersion=65537\r\nOptions=0\r\n[Extra]\r\nfoo=bar\r\n";
  auto ini = ParseGptIni(text, "GPT.INI");
  ASSERT_TRUE(ini.ok());
  EXPECT_EQ(ini->general_extra, (std::vector<std::string>{"Options=0"}));
  EXPECT_EQ(ini->other_lines, (std::vector<std::string>{"[Extra]", "foo=bar"}));
  EXPECT_EQ(WriteGptIni(*ini), text.substr(3));
  auto again = ParseGptIni(WriteGptIni(*ini), "GPT.INI");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *ini);
}

TEST(GptIniTest, LinesBeforeGeneralStayBeforeIt) {
  std::string text = "; tool\r\n[Other]\r\ndisplayName=not this\r\n[General]\r\nVersion=3\r\n";
  auto ini = ParseGptIni(text, "GPT.INI");
  ASSERT_TRUE(ini.ok());
  EXPECT_FALSE(ini->display_name.has_value());
  EXPECT_EQ(ini->leading_lines.size(), 3u);
  EXPECT_EQ(WriteGptIni(*ini), text);
}

TEST(GptIniTest, MissingVersionReadsZero) {
  auto ini = ParseGptIni("[General]\r\ndisplayName=x\r\n", "GPT.INI");
  ASSERT_TRUE(ini.ok());
  EXPECT_EQ(ini->version, 0u);
}

TEST(GptIniTest, RejectsHostileFiles) {
  for (const std::string& bad :
       {"Version=1\r\n"s, "[General]\r\nVersion=abc\r\n"s, "[General]\r\nVersion=4294967296\r\n"s,
        "[General]\r\nVersion=-1\r\n"s, "\xFF\xFE[\0G\0"s, std::string(70000, 'x')}) {
    auto ini = ParseGptIni(bad, "Policies/{X}/GPT.INI");
    ASSERT_FALSE(ini.ok()) << bad.substr(0, 30);
    EXPECT_EQ(ini.error().reason, "CORRUPT_FILE");
    EXPECT_NE(ini.error().message.find("Policies/{X}/GPT.INI"), std::string::npos);
  }
}

}  // namespace
}  // namespace gpop::sysvol
