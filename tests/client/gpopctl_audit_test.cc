// Tests of `gpopctl audit`: its flags become a ListAuditEntriesRequest, and entries render as a
// table that says who did what and what it changed.

#include <map>

#include "client/ctl/args.h"
#include "client/ctl/render.h"
#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"

namespace gpop::ctl {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

absl::StatusOr<Command> Parse(std::vector<std::string> args) {
  return ParseCommandLine(args, [](const std::string&) { return std::nullopt; });
}

TEST(GpopctlAuditTest, FlagsBuildTheRequest) {
  absl::StatusOr<Command> command =
      Parse({"audit", "--principal", "alice", "--operation", "op-aaaaaaaaaaaaaaaaaaaaaaaaaa",
             "--action", "cancel", "--since", "2026-12-02T10:00:00Z", "--until",
             "2026-12-02T11:00:00.5Z", "--page-size", "20", "--all"});
  ASSERT_TRUE(command.ok()) << command.status();
  EXPECT_EQ(command->verb, Verb::kAudit);
  EXPECT_EQ(command->audit.principal(), "alice");
  EXPECT_EQ(command->audit.operation_id(), "op-aaaaaaaaaaaaaaaaaaaaaaaaaa");
  EXPECT_EQ(command->audit.action(), v1::AUDIT_ACTION_CANCEL);
  EXPECT_EQ(command->audit.start_time().seconds(), 1796205600);
  EXPECT_EQ(command->audit.end_time().seconds(), 1796209200);
  EXPECT_EQ(command->audit.end_time().nanos(), 500000000);
  EXPECT_EQ(command->audit.page_size(), 20);
  EXPECT_TRUE(command->audit_all);
  absl::StatusOr<Command> plain = Parse({"audit"});
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->audit.action(), v1::AUDIT_ACTION_UNSPECIFIED);
  EXPECT_FALSE(plain->audit.has_start_time());
  EXPECT_FALSE(plain->audit_all);
}

TEST(GpopctlAuditTest, BadFlagsAreUsageErrors) {
  for (std::vector<std::string> args :
       std::vector<std::vector<std::string>>{{"audit", "--action", "explode"},
                                             {"audit", "--action", "audit_action_unspecified"},
                                             {"audit", "--since", "yesterday"},
                                             {"audit", "--page-size", "0"},
                                             {"audit", "op-1"}}) {
    absl::StatusOr<Command> command = Parse(args);
    EXPECT_FALSE(command.ok()) << ::testing::PrintToString(args);
    EXPECT_EQ(command.status().code(), absl::StatusCode::kInvalidArgument);
  }
  EXPECT_THAT(UsageText(), HasSubstr("audit [--principal P]"));
}

TEST(GpopctlAuditTest, TableShowsWhoWhatAndWhatChanged) {
  v1::ListAuditEntriesResponse response;
  v1::AuditEntry* start = response.add_entries();
  start->set_sequence(1);
  start->set_principal("alice");
  start->set_action(v1::AUDIT_ACTION_START);
  start->set_operation_id("op-1");
  start->set_kind(v1::IMPORT);
  start->add_gpos()->set_display_name("Finance Laptops");
  start->set_state(v1::QUEUED);
  v1::AuditEntry* finish = response.add_entries();
  finish->set_sequence(2);
  finish->set_principal("alice");
  finish->set_action(v1::AUDIT_ACTION_FINISH);
  finish->set_operation_id("op-1");
  finish->set_kind(v1::IMPORT);
  finish->set_state(v1::SUCCEEDED);
  finish->set_effects(v1::APPLIED);
  finish->set_from_version(65537);
  finish->set_to_version(131074);
  v1::AuditEntry* failed = response.add_entries();
  failed->set_sequence(3);
  failed->set_action(v1::AUDIT_ACTION_FINISH);
  failed->set_state(v1::FAILED);
  failed->set_effects(v1::NONE);
  google::rpc::ErrorInfo info;
  info.set_reason("GPO_NOT_FOUND");
  failed->mutable_error()->add_details()->PackFrom(info);
  const std::string table = AuditTable(response);
  EXPECT_THAT(table, HasSubstr("PRINCIPAL"));
  EXPECT_THAT(table, HasSubstr("Finance Laptops"));
  EXPECT_THAT(table, HasSubstr("START"));
  EXPECT_THAT(table, HasSubstr("effects=APPLIED version 65537->131074"));
  EXPECT_THAT(table, HasSubstr("effects=NONE GPO_NOT_FOUND"));
  EXPECT_THAT(table, Not(HasSubstr("dropped")));
}

TEST(GpopctlAuditTest, TableSaysWhenTheServerDroppedItsOldestEntries) {
  v1::ListAuditEntriesResponse response;
  response.add_entries()->set_sequence(41);
  response.set_dropped_through_sequence(40);
  EXPECT_THAT(AuditTable(response), HasSubstr("entries 1-40 were dropped"));
}

}  // namespace
}  // namespace gpop::ctl
