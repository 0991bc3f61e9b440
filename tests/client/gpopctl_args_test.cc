// Tests of gpopctl's command-line parsing.

#include <map>

#include "client/ctl/args.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gpop::ctl {
namespace {

using ::testing::HasSubstr;

absl::StatusOr<Command> Parse(std::vector<std::string> args,
                              std::map<std::string, std::string> env = {}) {
  return ParseCommandLine(args, [env](const std::string& name) -> std::optional<std::string> {
    auto it = env.find(name);
    if (it == env.end()) return std::nullopt;
    return it->second;
  });
}

void ExpectUsageError(std::vector<std::string> args, const std::string& message_part) {
  absl::StatusOr<Command> command = Parse(args);
  ASSERT_FALSE(command.ok()) << "accepted: " << ::testing::PrintToString(args);
  EXPECT_EQ(command.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(command.status().message()), HasSubstr(message_part));
}

TEST(GpopctlArgsTest, UploadAndDownloadBackup) {
  absl::StatusOr<Command> up = Parse({"upload", "baseline/", "--location", "incoming"});
  ASSERT_TRUE(up.ok()) << up.status();
  EXPECT_EQ(up->verb, Verb::kUpload);
  EXPECT_EQ(up->transfer_paths, std::vector<std::string>{"baseline/"});
  EXPECT_EQ(up->transfer_location, "incoming");
  ExpectUsageError({"upload"}, "one folder or .tar file");
  ExpectUsageError({"upload", "a", "b"}, "one folder or .tar file");
  absl::StatusOr<Command> down = Parse({"download-backup", "{A}", "{B}", "--out", "set", "--set"});
  ASSERT_TRUE(down.ok()) << down.status();
  EXPECT_EQ(down->verb, Verb::kDownloadBackup);
  EXPECT_EQ(down->transfer_paths, (std::vector<std::string>{"{A}", "{B}"}));
  EXPECT_EQ(down->out_file, "set");
  EXPECT_TRUE(down->as_backup_set);
  ExpectUsageError({"download-backup", "--out", "x.tar"}, "backup IDs");
  ExpectUsageError({"download-backup", "{A}"}, "--out");
}

TEST(GpopctlArgsTest, EventsTakesAFilterAndAnOptionalRevision) {
  absl::StatusOr<Command> listed = Parse({"events", "--filter", "kind=backup"});
  ASSERT_TRUE(listed.ok()) << listed.status();
  EXPECT_EQ(listed->verb, Verb::kEvents);
  EXPECT_EQ(listed->events_filter, "kind=backup");
  EXPECT_FALSE(listed->after_revision.has_value());  // list first, then watch
  absl::StatusOr<Command> resumed = Parse({"events", "--after-revision", "42"});
  ASSERT_TRUE(resumed.ok());
  EXPECT_EQ(resumed->after_revision, 42u);
  EXPECT_FALSE(Parse({"events", "--after-revision", "soon"}).ok());
  EXPECT_FALSE(Parse({"events", "op-1"}).ok());
}

TEST(GpopctlArgsTest, GpoGuidIsDetectedAndNormalized) {
  v1::GpoRef ref = ParseGpoRef("31b2f340-016d-11d2-945f-00c04fb984f9");
  EXPECT_EQ(ref.guid(), "{31B2F340-016D-11D2-945F-00C04FB984F9}");
  ref = ParseGpoRef("{31B2F340-016D-11D2-945F-00C04FB984F9}");
  EXPECT_EQ(ref.guid(), "{31B2F340-016D-11D2-945F-00C04FB984F9}");
  ref = ParseGpoRef("Default Domain Policy");
  EXPECT_EQ(ref.display_name(), "Default Domain Policy");
  ref = ParseGpoRef("{not-a-guid}");
  EXPECT_EQ(ref.display_name(), "{not-a-guid}");
}

TEST(GpopctlArgsTest, BackupBuildsTheSpecLabelsAndTimeout) {
  absl::StatusOr<Command> command =
      Parse({"backup", "--gpo", "Default Domain Policy", "--location=nightly", "--comment", "c",
             "--label", "team=infra", "--label", "ticket=CHG-1=2", "--request-id", "r1",
             "--timeout", "10m"});
  ASSERT_TRUE(command.ok()) << command.status();
  EXPECT_EQ(command->verb, Verb::kStart);
  const v1::StartOperationRequest& request = command->start;
  EXPECT_EQ(request.spec().backup().gpo().display_name(), "Default Domain Policy");
  EXPECT_EQ(request.spec().backup().location(), "nightly");
  EXPECT_EQ(request.spec().backup().comment(), "c");
  EXPECT_EQ(request.labels().at("team"), "infra");
  EXPECT_EQ(request.labels().at("ticket"), "CHG-1=2");
  EXPECT_EQ(request.request_id(), "r1");
  EXPECT_EQ(request.timeout().seconds(), 600);
  EXPECT_FALSE(command->wait.wait);
}

TEST(GpopctlArgsTest, RestoreImportCopy) {
  absl::StatusOr<Command> restore = Parse({"restore", "--backup-id", "{B}", "--location", "L"});
  ASSERT_TRUE(restore.ok()) << restore.status();
  EXPECT_EQ(restore->start.spec().restore().backup().backup_id(), "{B}");
  EXPECT_EQ(restore->start.spec().restore().backup().location(), "L");
  EXPECT_FALSE(restore->start.spec().restore().skip_safety_backup());
  absl::StatusOr<Command> unsafe = Parse({"restore", "--backup-id", "{B}", "--no-safety-backup"});
  ASSERT_TRUE(unsafe.ok()) << unsafe.status();
  EXPECT_TRUE(unsafe->start.spec().restore().skip_safety_backup());
  EXPECT_FALSE(unsafe->start.spec().restore().dry_run());
  absl::StatusOr<Command> dry = Parse({"restore", "--backup-id", "{B}", "--dry-run"});
  ASSERT_TRUE(dry.ok()) << dry.status();
  EXPECT_TRUE(dry->start.spec().restore().dry_run());

  absl::StatusOr<Command> import =
      Parse({"import", "--backup-id", "{B}", "--create-if-needed", "New GPO", "--migration-table",
             "mt", "--migration-table-only"});
  ASSERT_TRUE(import.ok()) << import.status();
  EXPECT_EQ(import->start.spec().import().create_if_needed_name(), "New GPO");
  EXPECT_EQ(import->start.spec().import().migration_table(), "mt");
  EXPECT_TRUE(import->start.spec().import().migration_table_only());
  EXPECT_FALSE(import->start.spec().import().skip_safety_backup());

  absl::StatusOr<Command> copy = Parse({"copy", "--gpo", "31b2f340-016d-11d2-945f-00c04fb984f9",
                                        "--new-name", "Copy", "--copy-acl"});
  ASSERT_TRUE(copy.ok()) << copy.status();
  EXPECT_EQ(copy->start.spec().copy().source_gpo().guid(),
            "{31B2F340-016D-11D2-945F-00C04FB984F9}");
  EXPECT_EQ(copy->start.spec().copy().new_display_name(), "Copy");
  EXPECT_TRUE(copy->start.spec().copy().copy_acl());
}

TEST(GpopctlArgsTest, ReportOutImpliesWait) {
  absl::StatusOr<Command> command =
      Parse({"report", "--backup-id", "{B}", "--format", "html", "--out", "r.html"});
  ASSERT_TRUE(command.ok()) << command.status();
  EXPECT_EQ(command->start.spec().report().backup().backup_id(), "{B}");
  EXPECT_EQ(command->start.spec().report().format(), v1::HTML);
  EXPECT_EQ(command->out_file, "r.html");
  EXPECT_TRUE(command->wait.wait);
}

TEST(GpopctlArgsTest, ReportMigrationTableTemplate) {
  absl::StatusOr<Command> command =
      Parse({"report", "--gpo", "Baseline", "--format", "migtable", "--out", "t.migtable"});
  ASSERT_TRUE(command.ok()) << command.status();
  EXPECT_EQ(command->start.spec().report().format(), v1::MIGRATION_TABLE);
  EXPECT_EQ(command->out_file, "t.migtable");
  EXPECT_FALSE(command->start.spec().report().include_dacl_principals());
  command = Parse({"report", "--backup-id", "{B}", "--format", "migtable", "--include-dacl"});
  ASSERT_TRUE(command.ok()) << command.status();
  EXPECT_TRUE(command->start.spec().report().include_dacl_principals());
  ExpectUsageError({"report", "--gpo", "G", "--format", "xml", "--include-dacl"},
                   "--include-dacl goes with --format migtable");
}

TEST(GpopctlArgsTest, DryRunOutAsksForTheHtmlPage) {
  absl::StatusOr<Command> command =
      Parse({"import", "--backup-id", "{B}", "--target", "G", "--dry-run", "--out", "diff.html"});
  ASSERT_TRUE(command.ok()) << command.status();
  EXPECT_TRUE(command->start.spec().import().dry_run_report());
  EXPECT_EQ(command->out_file, "diff.html");
  EXPECT_TRUE(command->wait.wait);
  ExpectUsageError({"restore", "--backup-id", "{B}", "--out", "x.html"}, "dry runs only");
}

TEST(GpopctlArgsTest, WaitFlags) {
  absl::StatusOr<Command> command =
      Parse({"backup", "--gpo", "G", "--wait", "--wait-timeout", "30m", "--cancel-on-interrupt"});
  ASSERT_TRUE(command.ok()) << command.status();
  EXPECT_TRUE(command->wait.wait);
  EXPECT_EQ(command->wait.wait_timeout, absl::Minutes(30));
  EXPECT_TRUE(command->wait.cancel_on_interrupt);
  ExpectUsageError({"backup", "--gpo", "G", "--wait-timeout", "30m"}, "need --wait");
}

TEST(GpopctlArgsTest, KindUsageErrors) {
  ExpectUsageError({"backup"}, "needs --gpo");
  ExpectUsageError({"backup", "--gpo", ""}, "needs --gpo");
  ExpectUsageError({"import", "--backup-id", "B"}, "exactly one of --target and --create-if");
  ExpectUsageError({"import", "--backup-id", "B", "--target", "T", "--create-if-needed", "N"},
                   "exactly one");
  ExpectUsageError({"copy", "--gpo", "G"}, "needs --new-name");
  ExpectUsageError({"report", "--gpo", "G"}, "needs --format");
  ExpectUsageError({"report", "--gpo", "G", "--format", "pdf"}, "expected xml, html or migtable");
  ExpectUsageError({"report", "--gpo", "G", "--backup-id", "B", "--format", "xml"},
                   "exactly one of --gpo and --backup-id");
  ExpectUsageError({"backup", "--gpo", "G", "--label", "novalue"}, "KEY=VALUE");
  ExpectUsageError({"backup", "--gpo", "G", "--label", "a=1", "--label", "a=2"}, "twice");
  ExpectUsageError({"backup", "--gpo", "G", "--timeout", "soon"}, "positive duration");
  ExpectUsageError({"backup", "--gpo", "G", "--timeout", "-5m"}, "positive duration");
  ExpectUsageError({"backup", "--gpo", "G", "--gpo", "H"}, "given twice");
  ExpectUsageError({"backup", "--gpo", "G", "--new-name", "N"}, "unknown flag --new-name");
  ExpectUsageError({"backup", "--gpo"}, "needs a value");
  ExpectUsageError({"backup", "--gpo", "G", "--wait=yes"}, "takes no value");
  ExpectUsageError({"backup", "--gpo", "G", "--out", "f"}, "unknown flag --out");
  ExpectUsageError({"start", "--spec", R"({"backup": {}})", "--out", "f"}, "dry runs only");
}

TEST(GpopctlArgsTest, GenericStart) {
  absl::StatusOr<Command> by_kind =
      Parse({"start", "--kind", "copy", "--gpo", "G", "--new-name", "N", "--label", "a=b"});
  ASSERT_TRUE(by_kind.ok()) << by_kind.status();
  EXPECT_EQ(by_kind->start.spec().copy().new_display_name(), "N");
  EXPECT_EQ(by_kind->start.labels().at("a"), "b");

  absl::StatusOr<Command> by_spec = Parse(
      {"start", "--spec", R"({"report": {"gpo": {"guid": "{X}"}, "format": "XML"}})", "--wait"});
  ASSERT_TRUE(by_spec.ok()) << by_spec.status();
  EXPECT_EQ(by_spec->start.spec().report().gpo().guid(), "{X}");
  EXPECT_EQ(by_spec->start.spec().report().format(), v1::XML);
  EXPECT_TRUE(by_spec->wait.wait);

  ExpectUsageError({"start"}, "exactly one of --kind");
  ExpectUsageError({"start", "--kind", "explode"}, "--kind: expected");
  ExpectUsageError({"start", "--kind", "backup", "--gpo", "G", "--format", "xml"},
                   "does not apply to kind backup");
  ExpectUsageError({"start", "--spec", "{nope"}, "--spec: not a gpop.v1.OperationSpec");
  ExpectUsageError({"start", "--spec", "{}"}, "no kind set");
  ExpectUsageError({"start", "--spec", R"({"copy": {}})", "--gpo", "G"}, "does not go with");
}

TEST(GpopctlArgsTest, TlsFromFlagsAndEnvironment) {
  absl::StatusOr<Command> command = Parse(
      {"ls"}, {{"GPOP_TLS_CA", "ca.pem"}, {"GPOP_TLS_CERT", "me.crt"}, {"GPOP_TLS_KEY", "me.key"}});
  ASSERT_TRUE(command.ok()) << command.status();
  EXPECT_TRUE(command->global.tls);
  EXPECT_EQ(command->global.ca_file, "ca.pem");
  EXPECT_EQ(command->global.cert_file, "me.crt");
  EXPECT_EQ(command->global.key_file, "me.key");
  command = Parse({"ls", "--cert", "other.crt", "--key", "other.key"},
                  {{"GPOP_TLS_CERT", "me.crt"}, {"GPOP_TLS_KEY", "me.key"}});
  ASSERT_TRUE(command.ok()) << command.status();
  EXPECT_EQ(command->global.cert_file, "other.crt");
  EXPECT_TRUE(command->global.tls);
  command = Parse({"ls"}, {{"GPOP_TLS", "1"}});
  ASSERT_TRUE(command.ok()) << command.status();
  EXPECT_TRUE(command->global.tls);
  EXPECT_TRUE(command->global.ca_file.empty());
  ExpectUsageError({"ls", "--cert", "me.crt"}, "--cert and --key go together");
}

TEST(GpopctlArgsTest, GlobalFlagsAnywhereAndEnvironment) {
  absl::StatusOr<Command> command =
      Parse({"--server", "unix:/run/gpop.sock", "get", "op-1", "-o", "json"},
            {{"GPOP_SERVER", "10.0.0.1:1"}, {"GPOP_TOKEN", "t0k"}});
  ASSERT_TRUE(command.ok()) << command.status();
  EXPECT_EQ(command->verb, Verb::kGet);
  EXPECT_EQ(command->operation_id, "op-1");
  EXPECT_EQ(command->global.server, "unix:/run/gpop.sock");
  EXPECT_EQ(command->global.output, OutputFormat::kJson);
  EXPECT_EQ(command->global.token, "t0k");
  EXPECT_FALSE(command->global.tls);

  command = Parse({"ls", "--output=text", "--ca-file", "ca.pem", "--call-timeout", "5s"},
                  {{"GPOP_SERVER", "10.0.0.1:1"}});
  ASSERT_TRUE(command.ok()) << command.status();
  EXPECT_EQ(command->global.server, "10.0.0.1:1");
  EXPECT_TRUE(command->global.tls);
  EXPECT_EQ(command->global.ca_file, "ca.pem");
  EXPECT_EQ(command->global.call_timeout, absl::Seconds(5));

  command = Parse({"gpos"});
  ASSERT_TRUE(command.ok());
  EXPECT_EQ(command->global.server, kDefaultServer);
  EXPECT_EQ(command->global.output, OutputFormat::kText);
  ExpectUsageError({"gpos", "-o", "yaml"}, "text or json");
}

TEST(GpopctlArgsTest, WatchCancelGetListBackups) {
  absl::StatusOr<Command> watch =
      Parse({"watch", "op-7", "--after", "12", "--cancel-on-interrupt", "--wait-timeout", "1h"});
  ASSERT_TRUE(watch.ok()) << watch.status();
  EXPECT_EQ(watch->verb, Verb::kWatch);
  EXPECT_EQ(watch->operation_id, "op-7");
  EXPECT_EQ(watch->after_sequence, 12u);
  EXPECT_TRUE(watch->wait.cancel_on_interrupt);
  EXPECT_EQ(watch->wait.wait_timeout, absl::Hours(1));
  ExpectUsageError({"watch"}, "exactly one operation id");
  ExpectUsageError({"watch", "a", "b"}, "exactly one operation id");
  ExpectUsageError({"watch", "op-1", "--after", "x"}, "--after");
  ExpectUsageError({"cancel"}, "exactly one operation id");

  absl::StatusOr<Command> ls =
      Parse({"ls", "--filter", "state=RUNNING AND labels.team=x", "--page-size", "10", "--all"});
  ASSERT_TRUE(ls.ok()) << ls.status();
  EXPECT_EQ(ls->list.filter(), "state=RUNNING AND labels.team=x");
  EXPECT_EQ(ls->list.page_size(), 10);
  EXPECT_TRUE(ls->list_all);
  ExpectUsageError({"ls", "--page-size", "0"}, "1..1000");
  ExpectUsageError({"ls", "extra"}, "takes no argument");

  absl::StatusOr<Command> backups = Parse({"backups", "--gpo", "Finance", "--location", "L"});
  ASSERT_TRUE(backups.ok()) << backups.status();
  EXPECT_EQ(backups->backups.gpo().display_name(), "Finance");
  EXPECT_EQ(backups->backups.location(), "L");
}

TEST(GpopctlArgsTest, HelpAndUnknowns) {
  EXPECT_EQ(Parse({"--help"})->verb, Verb::kHelp);
  EXPECT_EQ(Parse({"help"})->verb, Verb::kHelp);
  EXPECT_EQ(Parse({"backup", "-h"})->verb, Verb::kHelp);
  ExpectUsageError({}, "no subcommand");
  ExpectUsageError({"frobnicate"}, "unknown subcommand");
  ExpectUsageError({"--frob"}, "unknown global flag");
  ExpectUsageError({"-x"}, "unknown flag");
}

TEST(GpopctlArgsTest, UsageDocumentsEverySubcommandAndTheExitCodes) {
  std::string usage = UsageText();
  for (const char* word : {"backup", "restore", "import", "copy", "report", "start", "watch",
                           "cancel", "get", "ls", "gpos", "backups", "version", "Exit codes",
                           "--cancel-on-interrupt", "gpopctl watch OP_ID --after N"}) {
    EXPECT_THAT(usage, HasSubstr(word));
  }
}

}  // namespace
}  // namespace gpop::ctl
