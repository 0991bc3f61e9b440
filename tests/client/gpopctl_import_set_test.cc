// Tests of `gpopctl import-set`'s parsing (the selection, the options for every backup, the
// flags every operation takes) and of its text: the backup the progress is at, the outcomes.

#include <optional>
#include <string>
#include <vector>

#include "client/ctl/args.h"
#include "client/ctl/import_set_render.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gpop::ctl {
namespace {

using ::testing::HasSubstr;

constexpr char kA[] = "{16D29EA5-BD80-4487-A7C7-20AF2D68F202}";
constexpr char kB[] = "{32D5EEFD-DACE-44DC-BC16-D364B32B0D2A}";

absl::StatusOr<Command> Parse(std::vector<std::string> args) {
  return ParseCommandLine(args, [](const std::string&) { return std::nullopt; });
}

TEST(ImportSetArgsTest, BackupIdsAsArgumentsAndFlags) {
  absl::StatusOr<Command> c =
      Parse({"import-set", kA, "--backup-id", "32d5eefd-dace-44dc-bc16-d364b32b0d2a",
             "--location", "incoming", "--migration-table", "prod", "--migration-table-only",
             "--no-safety-backup", "--dry-run", "--wait", "--label", "change=7"});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->verb, Verb::kImportSet);
  const v1::ImportSetSpec& set = c->start.spec().import_set();
  ASSERT_EQ(set.backup_ids_size(), 2);
  EXPECT_EQ(set.backup_ids(0), kA);
  EXPECT_EQ(set.backup_ids(1), kB);  // normalized: braces, upper case
  EXPECT_EQ(set.location(), "incoming");
  EXPECT_EQ(set.migration_table(), "prod");
  EXPECT_TRUE(set.migration_table_only());
  EXPECT_TRUE(set.skip_safety_backup());
  EXPECT_TRUE(set.dry_run());
  EXPECT_TRUE(c->wait.wait);
  EXPECT_EQ(c->start.labels().at("change"), "7");
  EXPECT_TRUE(c->import_set.upload_id.empty());
  EXPECT_FALSE(c->import_set.all);
}

TEST(ImportSetArgsTest, UploadAndAllSelectOnTheServer) {
  absl::StatusOr<Command> c = Parse({"import-set", "--upload", "up-abc"});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->import_set.upload_id, "up-abc");
  EXPECT_EQ(c->start.spec().import_set().backup_ids_size(), 0);
  EXPECT_TRUE(c->start.spec().has_import_set());
  EXPECT_FALSE(c->start.spec().import_set().dry_run());
  EXPECT_FALSE(c->start.spec().import_set().skip_safety_backup());
  c = Parse({"import-set", "--all", "--location", "incoming"});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->import_set.all);
  EXPECT_EQ(c->start.spec().import_set().location(), "incoming");
}

TEST(ImportSetArgsTest, BadCommandLines) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"import-set"},                          // nothing selected
           {"import-set", kA, "--all"},             // two selections
           {"import-set", "--upload", "u", "--all"},
           {"import-set", "not-a-guid"},
           {"import-set", kA, kA},                  // a repeat
           {"import-set", kA, "--migration-table-only"},
           {"import-set", kA, "--target", "X"},     // import's flag, not import-set's
           {"import-set", kA, "--out", "f.html"},
           {"import-set", "--upload", ""},
           {"import-set", kA, "--wait-timeout", "5m"},  // needs --wait
       }) {
    absl::StatusOr<Command> c = Parse(args);
    EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument) << args.back();
  }
}

TEST(ImportSetArgsTest, HelpListsIt) {
  EXPECT_THAT(UsageText(), HasSubstr("import-set (ID [ID...] | --backup-id ID ... | --upload"));
}

WatchView At(int64_t numerator, int64_t denominator) {
  WatchView view;
  view.numerator = numerator;
  view.denominator = denominator;
  return view;
}

TEST(ImportSetRenderTest, BackupProgressFromTheOverall) {
  EXPECT_EQ(ImportSetBackupProgress(At(0, 3000), 3), "backup 1/3 0%");
  EXPECT_EQ(ImportSetBackupProgress(At(1500, 3000), 3), "backup 2/3 50%");
  EXPECT_EQ(ImportSetBackupProgress(At(2999, 3000), 3), "backup 3/3 99%");
  EXPECT_EQ(ImportSetBackupProgress(At(3000, 3000), 3), "backup 3/3 100%");
  EXPECT_EQ(ImportSetBackupProgress(At(9000, 3000), 3), "backup 3/3 100%");  // clamped
  EXPECT_EQ(ImportSetBackupProgress(At(5, 0), 3), "");                       // not known yet
  EXPECT_EQ(ImportSetBackupProgress(At(5, 10), 0), "");
}

TEST(ImportSetRenderTest, OutcomesAndTally) {
  v1::ImportSetResult result;
  v1::ImportSetEntry* ok = result.add_entries();
  ok->set_backup_id(kA);
  ok->set_display_name("AppLocker (Audit)");
  ok->set_outcome(v1::IMPORTED);
  ok->mutable_gpo()->set_guid("{G1}");
  ok->mutable_gpo()->set_safety_backup_id("{S1}");
  v1::ImportSetEntry* bad = result.add_entries();
  bad->set_backup_id(kB);
  bad->set_display_name("Broken");
  bad->set_outcome(v1::IMPORT_FAILED);
  bad->mutable_error()->set_message("registry.pol:\nbad header");
  v1::ImportSetEntry* later = result.add_entries();
  later->set_backup_id("{C}");
  later->set_outcome(v1::NOT_STARTED);
  const std::string text = ImportSetOutcomeText(result);
  EXPECT_THAT(text, HasSubstr("OUTCOME"));
  EXPECT_THAT(text, HasSubstr(std::string("IMPORTED     ") + kA));
  EXPECT_THAT(text, HasSubstr("{G1}"));
  EXPECT_THAT(text, HasSubstr("safety backup {S1}"));
  EXPECT_THAT(text, HasSubstr("registry.pol: bad header"));  // one line
  EXPECT_THAT(text, HasSubstr("NOT STARTED"));
  EXPECT_THAT(text, HasSubstr("1 imported, 1 failed, 1 not started (of 3 backups)"));
  EXPECT_TRUE(ImportSetFailed(result));

  v1::ImportSetResult dry;
  v1::ImportSetEntry* p = dry.add_entries();
  p->set_outcome(v1::PREDICTED);
  p->mutable_gpo()->add_predicted_changes();
  EXPECT_THAT(ImportSetOutcomeText(dry), HasSubstr("1 setting(s) would change"));
  EXPECT_THAT(ImportSetOutcomeText(dry), HasSubstr("dry run: 1 predicted, 0 failed"));
  EXPECT_FALSE(ImportSetFailed(dry));
}

}  // namespace
}  // namespace gpop::ctl
