// Tests of the scripts.ini / psscripts.ini reader and of DecodeWindowsText: the editor's
// UTF-16LE layout, UTF-8 from other tools, hostile and malformed inputs.

#include "service/backends/sysvol/format/scripts_ini.h"

#include <gtest/gtest.h>

#include <string>

#include "service/backends/sysvol/format/report_builder.h"
#include "service/backends/sysvol/format/utf16.h"
#include "service/backends/sysvol/format/windows_text.h"

namespace gpop::sysvol {
namespace {

std::string Utf16(const std::string& utf8) {
  auto bytes = EncodeUtf16LeWithBom(utf8);
  EXPECT_TRUE(bytes.ok());
  return bytes.ok() ? *bytes : std::string();
}

TEST(ScriptsIniTest, ReadsTheEditorsLayoutInTypeAndNumberOrder) {
  // As the editor writes it: a blank line and blanks before the first section.
  std::string text =
      "\r\n     \r\n[Shutdown]\r\n0CmdLine=off.cmd\r\n0Parameters=\r\n"
      "[startup]\r\n1CmdLine=second.bat\r\n1Parameters=/q \"x y\"\r\n0cmdline=first.bat\r\n"
      "0Parameters=\r\n2Parameters=orphan\r\n[Other]\r\n0CmdLine=ignored\r\n";
  auto ini = ParseScriptsIni(Utf16(text), "scripts.ini");
  ASSERT_TRUE(ini.ok()) << ini.error().message;
  ASSERT_EQ(ini->scripts.size(), 3u);
  EXPECT_EQ(ini->scripts[0], (ScriptEntry{"Startup", 0, "first.bat", ""}));
  EXPECT_EQ(ini->scripts[1], (ScriptEntry{"Startup", 1, "second.bat", "/q \"x y\""}));
  EXPECT_EQ(ini->scripts[2], (ScriptEntry{"Shutdown", 0, "off.cmd", ""}));
  EXPECT_FALSE(ini->start_powershell_first.has_value());

  std::vector<ReportScript> report = ScriptsFromIni(*ini, false);
  ASSERT_EQ(report.size(), 3u);
  EXPECT_EQ(report[1].order, 1);
  EXPECT_EQ(report[1].run_order, "PSNotConfigured");
  EXPECT_FALSE(report[1].powershell);
}

TEST(ScriptsIniTest, PowerShellRunOrderFromScriptsConfig) {
  std::string text =
      "[Logon]\n0CmdLine=a.ps1\n[Logoff]\n0CmdLine=b.ps1\n[ScriptsConfig]\n"
      "StartExecutePSFirst=TRUE\nEndExecutePSFirst=false\n";
  auto ini = ParseScriptsIni(text, "psscripts.ini");  // UTF-8 without a BOM (Samba)
  ASSERT_TRUE(ini.ok()) << ini.error().message;
  EXPECT_EQ(ini->start_powershell_first, std::optional<bool>(true));
  EXPECT_EQ(ini->end_powershell_first, std::optional<bool>(false));
  std::vector<ReportScript> report = ScriptsFromIni(*ini, true);
  ASSERT_EQ(report.size(), 2u);
  EXPECT_EQ(report[0].type, "Logon");
  EXPECT_EQ(report[0].run_order, "PSFirst");
  EXPECT_EQ(report[1].run_order, "PSLast");
  EXPECT_TRUE(report[1].powershell);
}

TEST(ScriptsIniTest, EmptyAndHostileInputs) {
  auto empty = ParseScriptsIni(std::string("\xFF\xFE\r\x00\n\x00", 6), "scripts.ini");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->scripts.empty());
  EXPECT_TRUE(ParseScriptsIni("", "scripts.ini").ok());

  for (const std::string& bad : {
           std::string("\xFF\xFE\x00\xD8", 4),                // unpaired surrogate
           std::string("\xFF\xFE\x41", 3),                    // odd UTF-16 length
           std::string("[Startup]\n0CmdLine=\xC3\x28\n"),     // invalid UTF-8
           std::string("[Startup]\n99999999999CmdLine=x\n"),  // index out of range
           std::string("\xEF\xBB\xBF[Startup]\n\xFF\n"),      // bad UTF-8 after a BOM
           std::string(kMaxScriptsIniBytes + 1, 'a'),         // too large
       }) {
    auto r = ParseScriptsIni(bad, "Machine/Scripts/scripts.ini");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().reason, core::reason::kCorruptFile);
    EXPECT_NE(r.error().message.find("Machine/Scripts/scripts.ini"), std::string::npos);
  }
  // A NUL inside the decoded text.
  EXPECT_FALSE(ParseScriptsIni(Utf16(std::string("[Startup]\n0CmdLine=a\0b\n", 22)), "s").ok());
}

TEST(WindowsTextTest, EncodingsWindowsWrites) {
  // GPO.cmt: UTF-16LE without a BOM.
  auto no_bom = DecodeWindowsText(std::string("H\0i\0", 4), "GPO.cmt", 100);
  ASSERT_TRUE(no_bom.ok());
  EXPECT_EQ(*no_bom, "Hi");
  auto bom = DecodeWindowsText(std::string("\xFF\xFE\xE9\x00", 4), "f", 100);
  ASSERT_TRUE(bom.ok());
  EXPECT_EQ(*bom, "\xC3\xA9");
  auto utf8 = DecodeWindowsText("\xEF\xBB\xBFok", "f", 100);
  ASSERT_TRUE(utf8.ok());
  EXPECT_EQ(*utf8, "ok");
  auto plain = DecodeWindowsText("abc", "f", 100);  // odd length: UTF-8
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(*plain, "abc");
  EXPECT_FALSE(DecodeWindowsText("abcd", "f", 3).ok());
}

}  // namespace
}  // namespace gpop::sysvol
