#include "service/engine/outcome.h"

#include <gtest/gtest.h>

namespace gpop::engine {
namespace {

using core::Code;
using core::OperationState;

core::Error Cancelled() {
  return core::MakeError(Code::kCancelled, core::reason::kCancelled, "stop");
}

TEST(OutcomeTest, ACancelNobodyAskedForIsABackendFailure) {
  std::optional<core::Error> e = RunError(Cancelled(), CancelCause{});
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->code, Code::kAborted);
  EXPECT_EQ(e->reason, core::reason::kBackendFailure);
}

TEST(OutcomeTest, CancelCausesNameTheirReason) {
  EXPECT_EQ(RunError(Cancelled(), {true, true, false})->code, Code::kDeadlineExceeded);
  std::optional<core::Error> shutdown = RunError(Cancelled(), {true, false, true});
  EXPECT_EQ(shutdown->code, Code::kCancelled);
  EXPECT_EQ(shutdown->reason, core::reason::kShuttingDown);
  EXPECT_EQ(RunError(Cancelled(), {true, false, false})->reason, core::reason::kCancelled);
  EXPECT_FALSE(RunError(std::nullopt, {true, true, true}).has_value());
  core::Error other = core::MakeError(Code::kInternal, core::reason::kInternal, "x");
  EXPECT_EQ(RunError(other, {true, true, false})->code, Code::kInternal);
}

TEST(OutcomeTest, TerminalEventStateFollowsTheError) {
  EXPECT_EQ(TerminalEvent({}, false, 0).state, OperationState::kSucceeded);
  EXPECT_EQ(TerminalEvent(Failure(Cancelled()), false, 0).state, OperationState::kCancelled);
  Event failed = TerminalEvent(
      Failure(core::MakeError(Code::kInternal, core::reason::kInternal, "x")), true, 3);
  EXPECT_EQ(failed.state, OperationState::kFailed);
  EXPECT_EQ(failed.error->metadata.at("cancel_requested"), "true");
  ASSERT_EQ(failed.messages.size(), 1u);
  EXPECT_NE(failed.messages[0].message.find("3 further"), std::string::npos);
  EXPECT_EQ(failed.effects, core::Effects::kNone);
}

TEST(OutcomeTest, InterruptedRunsResolveByTheirIntent) {
  core::Outcome forward;
  forward.effects = core::Effects::kApplied;
  Ending rolled_forward = ResolveInterrupted(forward, false);
  EXPECT_FALSE(rolled_forward.error.has_value());
  EXPECT_EQ(rolled_forward.effects, core::Effects::kApplied);

  Ending back = ResolveInterrupted(std::nullopt, false);
  EXPECT_EQ(back.error->reason, core::reason::kServerRestarted);
  EXPECT_EQ(back.effects, core::Effects::kNone);
  EXPECT_EQ(ResolveInterrupted(std::nullopt, true).error->code, Code::kCancelled);

  core::Outcome stuck;
  stuck.error = core::MakeError(Code::kInternal, core::reason::kBackendFailure, "half done");
  stuck.effects = core::Effects::kUnknown;
  Ending partial = ResolveInterrupted(stuck, true);
  EXPECT_EQ(partial.effects, core::Effects::kUnknown);
  EXPECT_EQ(partial.error->metadata.at("server_restarted"), "true");
}

}  // namespace
}  // namespace gpop::engine
