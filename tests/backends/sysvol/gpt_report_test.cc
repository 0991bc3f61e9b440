// The report of a GPT read from disk (ReadGptSettings + MakeReport) against Windows' own
// gpreport.xml of the HardenAD backups: scripts and Group Policy Preferences appear as their own
// extensions with Windows' names, namespaces, items and values; the GPO's comment is there; a
// malformed report-only file is a problem and a warning, never a failed report.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "service/backends/sysvol/format/report_html.h"
#include "service/backends/sysvol/format/report_xml.h"
#include "service/backends/sysvol/gpt_reader.h"
#include "tests/backends/sysvol/test_files.h"
#include "tests/testing/fixtures.h"

namespace gpop::sysvol {
namespace {

namespace fs = std::filesystem;
using testing::ReadFileBytes;

// The HardenAD backup folders ({GUID} below each named folder), sorted.
std::vector<fs::path> HardenAdBackups(const fs::path& fixtures) {
  std::vector<fs::path> out;
  for (const auto& named : fs::directory_iterator(fixtures / "hardenad")) {
    if (!named.is_directory()) continue;
    for (const auto& e : fs::directory_iterator(named.path())) {
      if (e.is_directory() && e.path().filename().string().front() == '{') out.push_back(e.path());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

struct Reports {
  GptSettings settings;
  Report ours;
  Report windows;
};

Reports Read(const fs::path& backup) {
  Reports r;
  auto dir = Dir::OpenRoot(backup / "DomainSysvol" / "GPO", "GPO");
  EXPECT_TRUE(dir.ok());
  if (!dir.ok()) return r;
  auto settings = ReadGptSettings(*dir);
  EXPECT_TRUE(settings.ok()) << (settings.ok() ? "" : settings.error().message);
  if (!settings.ok()) return r;
  r.settings = *settings;
  auto windows = ParseReportXml(ReadFileBytes(backup / "gpreport.xml"), "gpreport.xml");
  EXPECT_TRUE(windows.ok());
  if (windows.ok()) r.windows = *windows;
  ReportIdentity id;
  id.guid = r.windows.guid;
  id.name = r.windows.name;
  r.ours = MakeReport(id, r.settings, nullptr);
  return r;
}

// The items of a preference tree as "Element|name|uid|action", Collections flattened.
void Items(const ReportXmlElement& parent, std::vector<std::string>* out) {
  for (const ReportXmlElement& c : parent.children) {
    if (c.Attribute("clsid").empty()) continue;
    std::string action;
    for (const ReportXmlElement& k : c.children) {
      if (k.name == "Properties") action = k.Attribute("action");
    }
    out->push_back(c.name + "|" + c.Attribute("name") + "|" + c.Attribute("uid") + "|" + action);
    if (c.name == "Collection") Items(c, out);
  }
}

std::vector<std::string> ExtensionNames(const ReportSide& side) {
  std::vector<std::string> out;
  if (!side.scripts.empty()) out.push_back("Scripts");
  for (const ReportPreference& p : side.preferences) out.push_back(p.extension_name);
  return out;
}

TEST(GptReportTest, ScriptsAndPreferencesMatchWindowsReports) {
  GPOP_REQUIRE_FIXTURES(fixtures);
  size_t backups = 0, scripts = 0, preferences = 0, identical_trees = 0;
  for (const fs::path& backup : HardenAdBackups(fixtures)) {
    SCOPED_TRACE(backup.string());
    Reports r = Read(backup);
    ++backups;
    EXPECT_TRUE(r.settings.warnings.empty());
    for (const auto& [windows, ours] : {std::pair{&r.windows.computer, &r.ours.computer},
                                        std::pair{&r.windows.user, &r.ours.user}}) {
      EXPECT_TRUE(ours->problems.empty());
      // Every extension Windows lists beside Registry and Security, under Windows' name.
      std::vector<std::string> want = ExtensionNames(*windows);
      std::vector<std::string> got = ExtensionNames(*ours);
      std::sort(want.begin(), want.end());
      std::sort(got.begin(), got.end());
      EXPECT_EQ(got, want);

      ASSERT_EQ(ours->scripts.size(), windows->scripts.size());
      for (size_t i = 0; i < ours->scripts.size(); ++i) {
        const ReportScript& o = ours->scripts[i];
        const ReportScript& w = windows->scripts[i];
        EXPECT_EQ(o.command, w.command);
        EXPECT_EQ(o.parameters, w.parameters);
        EXPECT_EQ(o.type, w.type);
        EXPECT_EQ(o.order, w.order);
        EXPECT_EQ(o.run_order, w.run_order);
        ++scripts;
      }
      for (const ReportPreference& w : windows->preferences) {
        auto o = std::find_if(ours->preferences.begin(), ours->preferences.end(),
                              [&](const ReportPreference& p) { return p.folder == w.folder; });
        ASSERT_NE(o, ours->preferences.end()) << w.folder;
        EXPECT_EQ(o->xml_namespace, w.xml_namespace);
        EXPECT_EQ(o->xsi_type, w.xsi_type);
        EXPECT_EQ(o->root.name, w.root.name);
        EXPECT_EQ(o->root.attributes, w.root.attributes);
        std::vector<std::string> want_items, got_items;
        Items(w.root, &want_items);
        Items(o->root, &got_items);
        EXPECT_EQ(got_items, want_items);
        EXPECT_FALSE(got_items.empty());
        // Windows' report of a file it has not changed since holds the very same tree (both
        // Folders); Groups were translated after the report, Windows reorders a task's XML and
        // adds an empty <Values/> to registry items.
        if (o->root == w.root) ++identical_trees;
        ++preferences;
      }
    }
    // The GPO's own comment, as GPO.cmt holds it.
    if (fs::exists(backup / "DomainSysvol" / "GPO" / "GPO.cmt")) {
      EXPECT_FALSE(r.ours.comment.empty());
      EXPECT_EQ(r.ours.comment.find('\0'), std::string::npos);
    }
    // Our XML keeps all of it, and the HTML names every extension.
    auto back = ParseReportXml(WriteReportXml(r.ours), "ours.xml");
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(back->comment, r.ours.comment);
    EXPECT_EQ(back->computer.preferences, r.ours.computer.preferences);
    EXPECT_EQ(back->computer.scripts.size(), r.ours.computer.scripts.size());
    auto utf16 = ParseReportXml(WriteReportXmlUtf16(r.ours), "ours16.xml");
    ASSERT_TRUE(utf16.ok());
    EXPECT_EQ(utf16->computer.preferences, r.ours.computer.preferences);
    std::string html = RenderReportHtml(r.ours);
    for (const std::string& name : ExtensionNames(r.ours.computer)) {
      EXPECT_NE(html.find(name), std::string::npos) << name;
    }
  }
  EXPECT_EQ(backups, 8u);
  EXPECT_EQ(scripts, 4u);      // 2 + 1 + 1 startup scripts; NBT-NS's files list none
  EXPECT_GE(preferences, 6u);  // Groups x2, Registry, ScheduledTasks x2, Folders x2
  EXPECT_GE(identical_trees, 2u);
}

TEST(GptReportTest, GpoCommentTextIsTheFile) {
  GPOP_REQUIRE_FIXTURES(fixtures);
  fs::path backup;
  for (const fs::path& b : HardenAdBackups(fixtures)) {
    if (b.parent_path().filename() == "HAD-PowerShell-Logs") backup = b;
  }
  ASSERT_FALSE(backup.empty());
  Reports r = Read(backup);
  EXPECT_EQ(r.ours.comment.rfind("Harden AD ---", 0), 0u) << r.ours.comment;
  EXPECT_NE(r.ours.comment.find("Enable Logs for PowerShell."), std::string::npos);
  std::string xml = WriteReportXml(r.ours);
  EXPECT_NE(xml.find("<Comment>Harden AD ---"), std::string::npos);
}

void Write(const fs::path& path, const std::string& bytes) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << bytes;
}

TEST(GptReportTest, MalformedReportFilesAreProblemsNotFailures) {
  fs::path gpt = gpop::testing::TempDir("gpop-gpt-report");
  Write(gpt / "MACHINE" / "scripts" / "Scripts.ini", std::string("\xFF\xFE\x00\xD8", 4));
  Write(gpt / "MACHINE" / "Preferences" / "Groups" / "groups.XML", "<Groups><Group clsid=");
  Write(gpt / "MACHINE" / "Preferences" / "Files" / "Files.xml",
        "<!DOCTYPE x [<!ENTITY a 'b'>]><Files/>");
  Write(gpt / "MACHINE" / "Preferences" / "Shortcuts" / "Shortcuts.xml",
        "<Shortcuts clsid=\"{x}\"><Shortcut clsid=\"{y}\" name=\"&lt;b&gt; &amp; co\">"
        "<Properties action=\"C\" targetPath=\"C:\\a&quot;b\"/></Shortcut></Shortcuts>");
  Write(gpt / "MACHINE" / "Preferences" / "NotAFolder.xml", "<x/>");
  Write(gpt / "MACHINE" / "comment.cmtx", "<policyComments><comments>");
  Write(gpt / "User" / "Scripts" / "psscripts.ini",
        "[Logon]\r\n0CmdLine=a.ps1\r\n0Parameters=-x\r\n[ScriptsConfig]\r\n"
        "StartExecutePSFirst=true\r\n");
  Write(gpt / "GPO.cmt", "\xC3\x28");
  auto dir = Dir::OpenRoot(gpt, "GPT");
  ASSERT_TRUE(dir.ok());
  auto settings = ReadGptSettings(*dir);
  ASSERT_TRUE(settings.ok()) << settings.error().message;
  const std::vector<std::string>& problems = settings->machine.problems;
  ASSERT_EQ(problems.size(), 5u);
  for (const char* file :
       {"GPT/MACHINE/scripts/Scripts.ini", "GPT/MACHINE/Preferences/Groups/groups.XML",
        "GPT/MACHINE/Preferences/Files/Files.xml", "GPT/MACHINE/comment.cmtx", "GPT/GPO.cmt"}) {
    EXPECT_TRUE(std::any_of(problems.begin(), problems.end(), [&](const std::string& p) {
      return p.rfind(file, 0) == 0;
    })) << file;
  }
  ASSERT_EQ(settings->warnings.size(), 5u);
  EXPECT_EQ(settings->warnings[0].severity, core::Severity::kWarning);
  ASSERT_EQ(settings->machine.preferences.size(), 1u);  // Shortcuts, the only good one
  EXPECT_EQ(settings->machine.preferences[0].extension_name, "Shortcuts");

  Report report = MakeReport({}, *settings, nullptr);
  EXPECT_EQ(report.computer.problems.size(), 5u);
  ASSERT_EQ(report.user.scripts.size(), 1u);
  EXPECT_EQ(report.user.scripts[0].type, "Logon");
  EXPECT_EQ(report.user.scripts[0].parameters, "-x");
  EXPECT_EQ(report.user.scripts[0].run_order, "PSFirst");
  EXPECT_TRUE(report.user.scripts[0].powershell);
  // Names from the files are escaped in both renderings.
  std::string html = RenderReportHtml(report);
  EXPECT_EQ(html.find("<b>"), std::string::npos);
  EXPECT_NE(html.find("&lt;b&gt; &amp; co"), std::string::npos);
  size_t first = html.find("<summary>Preferences: Shortcuts</summary>");
  ASSERT_NE(first, std::string::npos);
  EXPECT_EQ(html.find("<summary>Preferences: Shortcuts</summary>", first + 1), std::string::npos);
  size_t scripts = html.find("<summary>Scripts</summary>");
  ASSERT_NE(scripts, std::string::npos);
  EXPECT_EQ(html.find("<summary>Scripts</summary>", scripts + 1), std::string::npos);
  std::string xml = WriteReportXml(report);
  EXPECT_NE(xml.find("name=\"&lt;b> &amp; co\""), std::string::npos);  // '>' is legal here
  auto back = ParseReportXml(xml, "r.xml");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->computer.preferences, report.computer.preferences);
}

TEST(GptReportTest, LinksInReportFilesAreStillRefused) {
  fs::path gpt = gpop::testing::TempDir("gpop-gpt-report-link");
  Write(gpt / "outside.ini", "[Startup]\r\n0CmdLine=x\r\n");
  fs::create_directories(gpt / "Machine" / "Scripts");
  fs::create_symlink(gpt / "outside.ini", gpt / "Machine" / "Scripts" / "scripts.ini");
  auto dir = Dir::OpenRoot(gpt, "GPT");
  ASSERT_TRUE(dir.ok());
  auto settings = ReadGptSettings(*dir);
  ASSERT_FALSE(settings.ok());
  EXPECT_NE(settings.error().message.find("scripts.ini"), std::string::npos);
}

}  // namespace
}  // namespace gpop::sysvol
