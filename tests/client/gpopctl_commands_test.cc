// Tests of gpopctl's subcommands against FakeOperationsServer: output, exit codes, report --out,
// and Ctrl-C (detach, or cancel then keep watching) through a fake interrupt source.

#include <cstdio>
#include <fstream>
#include <sstream>

#include "client/ctl/commands.h"
#include "client/grpc_connection.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/client/fake_operations_server.h"

namespace gpop::ctl {
namespace {

using ::gpop::testing::FakeOperationsServer;
using ::testing::HasSubstr;
using ::testing::Not;

// Interrupts `fire` times as soon as a handler is set, as a user pressing Ctrl-C right away.
class FakeInterrupts final : public InterruptSource {
 public:
  explicit FakeInterrupts(int fire = 0) : fire_(fire) {}
  void SetHandler(std::function<void()> handler) override {
    if (!handler) return;
    ++handlers_set_;
    for (; fire_ > 0; --fire_) handler();
  }
  int handlers_set() const { return handlers_set_; }

 private:
  int fire_;
  int handlers_set_ = 0;
};

class GpopctlCommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::shared_ptr<grpc::Channel> channel = server_.Start();
    ASSERT_NE(channel, nullptr);
    client::StreamRetryPolicy::Options policy;
    policy.jitter = 0;
    client::ResumeOptions resume;
    resume.retry_policy = client::StreamRetryPolicy(policy);
    resume.sleeper = [](std::chrono::milliseconds) {};
    client_ = std::make_unique<client::Client>(
        client::MakeGrpcConnection(channel, client::ConnectionOptions()), resume);
  }

  int Run(std::vector<std::string> args, InterruptSource* interrupts = nullptr, bool tty = false) {
    absl::StatusOr<Command> command =
        ParseCommandLine(args, [](const std::string&) { return std::nullopt; });
    EXPECT_TRUE(command.ok()) << command.status();
    if (!command.ok()) return -1;
    FakeInterrupts none;
    Io io;
    io.out = &out_;
    io.err = &err_;
    io.out_is_tty = tty;
    io.width = 100;
    return RunCommand(*command, *client_, io, interrupts != nullptr ? interrupts : &none);
  }

  FakeOperationsServer server_{4};
  std::unique_ptr<client::Client> client_;
  std::ostringstream out_;
  std::ostringstream err_;
};

TEST_F(GpopctlCommandsTest, WatchPrintsEveryEventAndExitsBySucceeded) {
  testing::Attempt cut;
  cut.max_events = 2;
  server_.AddStreamAttempt(cut);
  EXPECT_EQ(Run({"watch", "op-1"}), kExitOk);
  EXPECT_EQ(out_.str(),
            "progress 0/4 (0%)\n"
            "#1 QUEUED  step 1\n"
            "#2 RUNNING  step 2\n"
            "progress 2/4 (50%)\n"
            "#3 RUNNING  step 3\n"
            "#4 SUCCEEDED  effects=APPLIED\n");
}

TEST_F(GpopctlCommandsTest, WatchOnATerminalRedrawsOneLine) {
  EXPECT_EQ(Run({"watch", "op-1", "--after", "2"}, nullptr, /*tty=*/true), kExitOk);
  std::string out = out_.str();
  EXPECT_THAT(out, HasSubstr("\r\x1b[K[##########----------]  50%  2/4  -"));
  EXPECT_THAT(out, HasSubstr("\r\x1b[K#4 SUCCEEDED  effects=APPLIED\n"));
  EXPECT_EQ(out.back(), '\n');
  EXPECT_THAT(out, Not(HasSubstr("#3")));  // no warning: stays in the bar
}

TEST_F(GpopctlCommandsTest, WatchJsonIsOneObjectPerLine) {
  EXPECT_EQ(Run({"watch", "op-1", "--after", "3", "-o", "json"}), kExitOk);
  EXPECT_EQ(out_.str(),
            "{\"progress\":{\"numerator\":\"3\",\"denominator\":\"4\",\"afterSequence\":\"3\"}}\n"
            "{\"event\":{\"operationId\":\"op-1\",\"sequence\":\"4\",\"revision\":\"104\","
            "\"state\":\"SUCCEEDED\",\"effects\":\"APPLIED\",\"kind\":\"BACKUP\"}}\n");
}

TEST_F(GpopctlCommandsTest, ErrorsMapToExitCodes) {
  EXPECT_EQ(Run({"get", "op-nope"}), kExitNotFound);
  EXPECT_THAT(err_.str(), HasSubstr("NOT_FOUND: no such operation (reason OPERATION_NOT_FOUND"));
  EXPECT_EQ(Run({"watch", "op-1", "--after", "99"}), kExitInvalid);
  EXPECT_EQ(Run({"backup", "--gpo", "G", "--request-id", "reused"}), kExitInvalid);
  EXPECT_THAT(err_.str(), HasSubstr("REQUEST_ID_REUSED"));
}

TEST_F(GpopctlCommandsTest, KindCommandPrintsTheOperationId) {
  EXPECT_EQ(Run({"backup", "--gpo", "G"}), kExitOk);
  EXPECT_EQ(out_.str(), "op-1\n");
  EXPECT_TRUE(server_.stream_requests().empty());
}

TEST_F(GpopctlCommandsTest, RestoreImportAndCopyWithWaitEndWithTheOutcome) {
  // After the stream, the operation as `gpopctl get` prints it (where a dry run's prediction
  // and the safety backup are); a backup's --wait stays the stream alone.
  for (std::vector<std::string> args :
       {std::vector<std::string>{"restore", "--backup-id",
                                 "{00000000-0000-0000-0000-000000000001}"},
        std::vector<std::string>{"import", "--backup-id", "{00000000-0000-0000-0000-000000000001}",
                                 "--target", "G"},
        std::vector<std::string>{"copy", "--gpo", "G", "--new-name", "H"}}) {
    out_.str("");
    args.push_back("--wait");
    EXPECT_EQ(Run(args), kExitOk) << args[0];
    const std::string out = out_.str();
    const size_t end = out.find("#4 SUCCEEDED  effects=APPLIED\n");
    ASSERT_NE(end, std::string::npos) << out;
    EXPECT_THAT(out.substr(end), HasSubstr("\nid:             op-1\n")) << args[0];
  }
  out_.str("");
  EXPECT_EQ(Run({"backup", "--gpo", "G", "--wait"}), kExitOk);
  EXPECT_THAT(out_.str(), Not(HasSubstr("id:")));
}

TEST_F(GpopctlCommandsTest, AFailedGetAfterWaitIsAnError) {
  // The stream ends SUCCEEDED, but the final GetOperation fails: said on stderr, not dropped.
  server_.SetGetOperationError(grpc::Status(grpc::StatusCode::INTERNAL, "lost the row"));
  EXPECT_EQ(Run({"copy", "--gpo", "G", "--new-name", "H", "--wait"}), kExitOther);
  EXPECT_THAT(out_.str(), HasSubstr("#4 SUCCEEDED  effects=APPLIED\n"));
  EXPECT_THAT(out_.str(), Not(HasSubstr("id:")));
  EXPECT_THAT(err_.str(), HasSubstr("lost the row"));
}

TEST_F(GpopctlCommandsTest, ReportOutWaitsAndWritesTheContent) {
  std::string path = ::testing::TempDir() + "/gpopctl_report_test.xml";
  std::remove(path.c_str());
  EXPECT_EQ(Run({"report", "--gpo", "G", "--format", "xml", "--out", path}), kExitOk);
  std::ifstream in(path);
  std::stringstream content;
  content << in.rdbuf();
  EXPECT_EQ(content.str(), "<report/>");
  EXPECT_THAT(out_.str(), HasSubstr("op-1\n"));
  EXPECT_THAT(err_.str(), HasSubstr("wrote 9 bytes to " + path));
  std::remove(path.c_str());
}

TEST_F(GpopctlCommandsTest, InterruptDetachesWithAResumeHint) {
  FakeInterrupts ctrl_c(1);
  EXPECT_EQ(Run({"watch", "op-1", "--after", "1"}, &ctrl_c), kExitDetached);
  EXPECT_THAT(err_.str(), HasSubstr("Resume with: gpopctl watch op-1 --after 1"));
}

TEST_F(GpopctlCommandsTest, CancelOnInterruptCancelsAndKeepsWatching) {
  FakeInterrupts ctrl_c(1);
  EXPECT_EQ(Run({"backup", "--gpo", "G", "--wait", "--cancel-on-interrupt"}, &ctrl_c), kExitOk);
  EXPECT_THAT(err_.str(), HasSubstr("cancelling op-1"));
  EXPECT_THAT(out_.str(), HasSubstr("#4 SUCCEEDED"));  // the fake ignores the cancel
}

TEST_F(GpopctlCommandsTest, SecondInterruptDetachesEvenWithCancelOnInterrupt) {
  FakeInterrupts ctrl_c(2);
  EXPECT_EQ(Run({"watch", "op-1", "--cancel-on-interrupt"}, &ctrl_c), kExitDetached);
  EXPECT_THAT(err_.str(), HasSubstr("cancelling op-1"));
  EXPECT_THAT(err_.str(), HasSubstr("--after 0"));
}

TEST_F(GpopctlCommandsTest, ListAllAndCancel) {
  EXPECT_EQ(Run({"ls", "--all", "--page-size", "2"}), kExitOk);
  EXPECT_THAT(out_.str(), HasSubstr("op-4"));
  EXPECT_THAT(out_.str(), Not(HasSubstr("(more")));
  out_.str("");
  EXPECT_EQ(Run({"cancel", "op-1"}), kExitOk);
  EXPECT_EQ(out_.str(), "op-1: CANCELLING (cancel requested)\n");
}

TEST_F(GpopctlCommandsTest, VersionReportsReachability) {
  EXPECT_EQ(Run({"version"}), kExitOk);
  EXPECT_THAT(out_.str(), HasSubstr(": reachable (revision 42)"));
}

}  // namespace
}  // namespace gpop::ctl
