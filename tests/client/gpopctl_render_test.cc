// Tests of gpopctl's rendering: the progress bar, event lines and error text.

#include "client/ctl/render.h"
#include "client/error_info.h"
#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"

namespace gpop::ctl {
namespace {

using ::testing::HasSubstr;

TEST(GpopctlRenderTest, ProgressBarShowsPercentCountsStateAndMessage) {
  WatchView view;
  view.state = v1::RUNNING;
  view.numerator = 5;
  view.denominator = 10;
  view.message = "copying registry.pol";
  EXPECT_EQ(ProgressBarLine(view, 120),
            "[##########----------]  50%  5/10  RUNNING  copying registry.pol");
}

TEST(GpopctlRenderTest, OperationTextPrintsTheSafetyBackupId) {
  v1::Operation op;
  op.set_state(v1::SUCCEEDED);
  v1::GpoInfo* gpo = op.mutable_result()->mutable_gpo();
  gpo->set_guid("{G}");
  gpo->set_display_name("Restored");
  EXPECT_THAT(OperationText(op), ::testing::Not(HasSubstr("safety backup")));
  gpo->set_safety_backup_id("{S}");
  EXPECT_THAT(OperationText(op), HasSubstr("safety backup:"));
  EXPECT_THAT(OperationText(op), HasSubstr("gpopctl restore --backup-id {S}"));
}

TEST(GpopctlRenderTest, OperationTextPrintsADryRunsPrediction) {
  v1::Operation op;
  op.set_state(v1::SUCCEEDED);
  v1::GpoInfo* gpo = op.mutable_result()->mutable_gpo();
  gpo->set_guid("{G}");
  gpo->set_dry_run(true);
  v1::SettingChange* added = gpo->add_predicted_changes();
  added->set_scope("Computer");
  added->set_extension("Registry");
  added->set_setting("Policy Foo");
  added->set_after("State=Enabled");
  v1::SettingChange* changed = gpo->add_predicted_changes();
  changed->set_scope("User");
  changed->set_extension("Security");
  changed->set_setting("Account MinimumPasswordLength");
  changed->set_before("8");
  changed->set_after("14");
  const std::string text = OperationText(op);
  EXPECT_THAT(text, HasSubstr("nothing was changed; 2 setting(s) would change"));
  EXPECT_THAT(text, HasSubstr("+ Computer / Registry / Policy Foo: State=Enabled"));
  EXPECT_THAT(text, HasSubstr("~ User / Security / Account MinimumPasswordLength: 8  ->  14"));
}

TEST(GpopctlRenderTest, ProgressBarWithUnknownTotalAndNarrowTerminal) {
  WatchView view;
  view.state = v1::QUEUED;
  view.numerator = 3;
  EXPECT_EQ(ProgressBarLine(view, 120), "[--------------------]   ?%  3/?  QUEUED");
  view.message = "a very long message that would wrap the line\nand a second line";
  std::string line = ProgressBarLine(view, 40);
  EXPECT_EQ(line.size(), 39u);
  EXPECT_EQ(line.find('\n'), std::string::npos);
}

TEST(GpopctlRenderTest, ViewFollowsTheStream) {
  WatchView view;
  v1::StatusUpdate update;
  update.mutable_progress()->set_numerator(2);
  update.mutable_progress()->set_denominator(4);
  view.Apply(update);
  update.Clear();
  update.mutable_event()->set_sequence(3);
  update.mutable_event()->set_state(v1::RUNNING);
  update.mutable_event()->add_messages()->set_message("first");
  update.mutable_event()->add_messages()->set_message("latest");
  view.Apply(update);
  EXPECT_EQ(view.sequence, 3u);
  EXPECT_EQ(view.message, "latest");
  EXPECT_THAT(ProgressBarLine(view, 200), HasSubstr(" 50%  2/4  RUNNING  latest"));
  update.Clear();
  update.mutable_event()->set_sequence(4);
  update.mutable_event()->set_state(v1::SUCCEEDED);
  view.Apply(update);
  EXPECT_THAT(ProgressBarLine(view, 200), HasSubstr("100%  4/4  SUCCEEDED"));
}

TEST(GpopctlRenderTest, EventLineShowsHresultMessagesEffectsAndError) {
  v1::Event event;
  event.set_sequence(7);
  event.set_state(v1::FAILED);
  event.set_hresult(0x8007000E);
  v1::StatusMessage* message = event.add_messages();
  message->set_message("out of memory");
  message->set_severity(v1::ERROR);
  message->set_error_code(0x8007000E);
  event.set_effects(v1::UNKNOWN);
  google::rpc::ErrorInfo info;
  info.set_reason("BACKEND_FAILED");
  info.set_domain("gpop.dev");
  event.mutable_error()->set_code(13);
  event.mutable_error()->set_message("backend failed");
  event.mutable_error()->add_details()->PackFrom(info);
  EXPECT_EQ(EventLine(event),
            "#7 FAILED hr=0x8007000E  error: out of memory (0x8007000E)  effects=UNKNOWN  "
            "error: INTERNAL: backend failed (reason BACKEND_FAILED)");
}

TEST(GpopctlRenderTest, ErrorTextCarriesReasonAndMetadata) {
  google::rpc::ErrorInfo info;
  info.set_reason("INVALID_FIELD");
  (*info.mutable_metadata())["field"] = "spec.backup.comment";
  google::rpc::Status proto;
  proto.set_code(3);
  proto.set_message("comment too long");
  proto.add_details()->PackFrom(info);
  EXPECT_EQ(ErrorText(client::FromStatusProto(proto)),
            "INVALID_ARGUMENT: comment too long (reason INVALID_FIELD, "
            "field=spec.backup.comment)");
  EXPECT_EQ(ErrorText(absl::UnavailableError("connect failed")), "UNAVAILABLE: connect failed");
}

TEST(GpopctlRenderTest, JsonUsesProtobufNames) {
  v1::Operation op;
  op.set_id("op-1");
  op.set_state(v1::RUNNING);
  op.set_last_sequence(3);
  EXPECT_EQ(ToJson(op, false), R"({"id":"op-1","state":"RUNNING","lastSequence":"3"})");
}

TEST(GpopctlRenderTest, TablesAlignColumns) {
  v1::ListOperationsResponse response;
  v1::Operation* op = response.add_operations();
  op->set_id("op-1");
  op->set_kind(v1::COPY);
  op->set_state(v1::QUEUED);
  op->mutable_spec()->mutable_copy()->mutable_source_gpo()->set_display_name("A");
  op->mutable_spec()->mutable_copy()->set_new_display_name("B");
  response.set_next_page_token("x");
  EXPECT_EQ(OperationsTable(response),
            "ID    KIND  STATE   PROGRESS  CREATED  SPEC\n"
            "op-1  copy  QUEUED  0/?       -        copy \"A\" -> \"B\"\n"
            "(more: use --all)\n");
}

}  // namespace
}  // namespace gpop::ctl
