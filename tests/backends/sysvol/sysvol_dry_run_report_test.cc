// A dry run's HTML page (dry_run_report): the report of the GPO as it would be, headed by one
// row per predicted setting change and per settings file that would be added, removed or
// changed; the real run then changes exactly those files.

#include <gtest/gtest.h>

#include <set>

#include "service/backends/sysvol/demo_store.h"
#include "service/backends/sysvol/format/report_html.h"
#include "service/backends/sysvol/sysvol_backend.h"
#include "tests/backends/sysvol/backend_test_util.h"

namespace gpop::sysvol {
namespace {

namespace fs = std::filesystem;
using testing::BackupOf;
using testing::OpenBackend;
using testing::RecordingSink;
using testing::RunOp;
using testing::Snapshot;
using testing::WriteBytes;

constexpr char kServer[] = "{2F8E4D6C-9B1A-4E3F-8D7C-6B5A4F3E2D1C}";
constexpr char kWorkstation[] = "{7C1A5B2E-3D4F-4A8B-9C6D-1E2F3A4B5C6D}";

size_t Count(const std::string& text, const std::string& part) {
  size_t n = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

// The files below the GPT's sides (lower-case paths) and their bytes.
std::map<std::string, std::string> SideFiles(const fs::path& gpt) {
  std::map<std::string, std::string> out;
  for (auto& [rel, bytes] : Snapshot(gpt)) {
    std::string lower = rel;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (bytes == "<dir>" || lower == "gpt.ini") continue;
    out[lower] = bytes;
  }
  return out;
}

TEST(SysvolDryRunReportTest, PageListsEveryChangeAndTheRealRunMakesExactlyThose) {
  testing::TestStore s = testing::MakeEmptyStore();
  ASSERT_TRUE(WriteDemoStore(s.config.sysvol_dir).ok());
  WriteBytes(s.policies() / kServer / "Machine" / "Scripts" / "Startup" / "start<1>.cmd",
             "echo start\r\n");
  WriteBytes(s.policies() / kWorkstation / "User" / "Scripts" / "Logon" / "old.cmd", "echo\r\n");
  auto backend = OpenBackend(s.config);
  ASSERT_NE(backend, nullptr);
  RecordingSink sink;
  core::Outcome backup = RunOp(*backend, BackupOf(kServer), sink);
  ASSERT_FALSE(backup.error);

  core::ImportSpec spec;
  spec.backup.backup_id = std::get<core::BackupInfo>(backup.result).backup_id;
  spec.target.guid = kWorkstation;
  spec.safety_backup = false;
  spec.dry_run_report = true;
  EXPECT_FALSE(backend->Validate(spec).ok());  // needs dry_run
  spec.dry_run = true;
  ASSERT_TRUE(backend->Validate(spec).ok());
  const auto before_files = SideFiles(s.policies() / kWorkstation);
  RecordingSink dry_sink;
  core::Outcome dry = RunOp(*backend, spec, dry_sink);
  ASSERT_FALSE(dry.error) << dry.error->message;
  const auto& predicted = std::get<core::GpoInfo>(dry.result);
  ASSERT_FALSE(predicted.predicted_changes.empty());
  const std::string& html = predicted.dry_run_report;
  ASSERT_FALSE(html.empty());
  EXPECT_NE(html.find("Predicted changes (dry run: nothing was changed)"), std::string::npos);
  // One row per setting change, each with its setting named (escaped), before the report.
  size_t added = 0, removed = 0, changed = 0;
  for (const core::SettingChange& c : predicted.predicted_changes) {
    (c.before.empty() ? added : c.after.empty() ? removed : changed)++;
    EXPECT_NE(html.find(HtmlEscape(c.setting)), std::string::npos) << c.setting;
  }
  EXPECT_LT(html.find("Predicted changes"), html.find("<summary>General</summary>"));
  EXPECT_NE(html.find("Workstation Baseline"), std::string::npos);  // the target's name

  // The real run changes exactly the files the page lists.
  spec.dry_run = false;
  spec.dry_run_report = false;
  RecordingSink real_sink;
  core::Outcome real = RunOp(*backend, spec, real_sink);
  ASSERT_FALSE(real.error) << real.error->message;
  EXPECT_TRUE(std::get<core::GpoInfo>(real.result).dry_run_report.empty());
  const auto after_files = SideFiles(s.policies() / kWorkstation);
  std::set<std::string> really;
  for (const auto& [path, bytes] : after_files) {
    auto it = before_files.find(path);
    if (it == before_files.end() || it->second != bytes) really.insert(path);
  }
  for (const auto& [path, bytes] : before_files) {
    if (!after_files.count(path)) really.insert(path);
  }
  ASSERT_FALSE(really.empty());
  EXPECT_TRUE(really.count("machine/scripts/startup/start<1>.cmd"));
  EXPECT_TRUE(really.count("user/scripts/logon/old.cmd"));
  size_t file_rows = 0;
  std::string lower_html = html;
  for (char& c : lower_html) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const std::string& path : really) {
    EXPECT_NE(lower_html.find(HtmlEscape(path)), std::string::npos) << path;
    ++file_rows;
  }
  EXPECT_EQ(Count(html, "<td>+ added</td>") + Count(html, "<td>- removed</td>") +
                Count(html, "<td>~ changed</td>"),
            predicted.predicted_changes.size() + file_rows);
  EXPECT_EQ(Count(html, "<td>+ added</td>"), added + 1);      // start<1>.cmd
  EXPECT_GE(Count(html, "<td>- removed</td>"), removed + 1);  // old.cmd
  (void)changed;
}

// GPO.cmt in UTF-16LE without a BOM, as GPMC writes it.
std::string GpoComment(const std::string& ascii) {
  std::string out;
  for (char c : ascii) {
    out += c;
    out += '\0';
  }
  return out;
}

TEST(SysvolDryRunReportTest, TheGpoCommentIsInTheDiffAndTheRealRunRestoresIt) {
  testing::TestStore s = testing::MakeEmptyStore();
  ASSERT_TRUE(WriteDemoStore(s.config.sysvol_dir).ok());
  const fs::path comment = s.policies() / kServer / "GPO.cmt";
  WriteBytes(comment, GpoComment("Hardened for the web tier"));
  auto backend = OpenBackend(s.config);
  ASSERT_NE(backend, nullptr);
  RecordingSink sink;
  core::Outcome backup = RunOp(*backend, BackupOf(kServer), sink);
  ASSERT_FALSE(backup.error);
  WriteBytes(comment, GpoComment("Edited by hand"));

  core::RestoreSpec spec;
  spec.backup.backup_id = std::get<core::BackupInfo>(backup.result).backup_id;
  spec.safety_backup = false;
  spec.dry_run = true;
  spec.dry_run_report = true;
  RecordingSink dry_sink;
  core::Outcome dry = RunOp(*backend, spec, dry_sink);
  ASSERT_FALSE(dry.error) << dry.error->message;
  const auto& predicted = std::get<core::GpoInfo>(dry.result);
  // Only the comment differs: one setting change, one file row.
  ASSERT_EQ(predicted.predicted_changes.size(), 1u);
  EXPECT_EQ(predicted.predicted_changes[0],
            (core::SettingChange{"GPO", "General", "Comment", "Edited by hand",
                                 "Hardened for the web tier"}));
  EXPECT_EQ(Count(predicted.dry_run_report, "<td>~ changed</td>"), 2u);
  EXPECT_NE(predicted.dry_run_report.find("GPO.cmt"), std::string::npos);
  EXPECT_EQ(testing::ReadFileBytes(comment), GpoComment("Edited by hand"));  // nothing changed

  spec.dry_run = false;
  spec.dry_run_report = false;
  RecordingSink real_sink;
  core::Outcome real = RunOp(*backend, spec, real_sink);
  ASSERT_FALSE(real.error) << real.error->message;
  EXPECT_EQ(testing::ReadFileBytes(comment), GpoComment("Hardened for the web tier"));
  // Nothing is left to predict.
  spec.dry_run = true;
  RecordingSink again_sink;
  core::Outcome again = RunOp(*backend, spec, again_sink);
  ASSERT_FALSE(again.error) << again.error->message;
  EXPECT_TRUE(std::get<core::GpoInfo>(again.result).predicted_changes.empty());
}

}  // namespace
}  // namespace gpop::sysvol
