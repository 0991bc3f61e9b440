// Claims are confirmed at dispatch: a backend that resolves names answers Claims again just
// before its run, and the run holds what that answer names. A GPO renamed between the start
// and the dispatch of an operation naming it by display name must not be written by two runs at
// once: the operation then either takes the lock of the GPO the name now resolves to (when free)
// or fails ABORTED / RESOURCES_CHANGED with nothing done.

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "service/core/mutex.h"
#include "service/engine/executor.h"
#include "tests/engine/parts_testing.h"

namespace gpop::engine {
namespace {

using core::OperationState;
using gpop::testing::GateBackend;

constexpr char kG1[] = "{00000000-0000-0000-0000-000000000001}";
constexpr char kG2[] = "{00000000-0000-0000-0000-000000000002}";

// Imports whose target is a GPO by GUID or by display name; names resolve through a table the
// test edits (a rename). Claims: the GPO's GUID and name, written. Each run resolves its target
// again (as a real backend does when it runs), counts the runs writing each GUID at once, and
// waits at a gate.
class RenamingBackend final : public core::Backend {
 public:
  std::string name() const override { return "renaming"; }

  std::vector<core::ResourceClaim> Claims(const core::OperationSpec& spec) const override {
    using A = core::ResourceClaim::Access;
    const core::GpoRef& t = std::get<core::ImportSpec>(spec).target;
    core::MutexLock lock(&mu_);
    std::vector<core::ResourceClaim> out;
    if (!t.display_name.empty()) out.push_back({"gpo-name:" + t.display_name, A::kWrite});
    const std::string guid = ResolveLocked(t);
    if (!guid.empty()) out.push_back({"gpo:" + guid, A::kWrite});
    return out;
  }

  core::Outcome Run(const core::RunRequest& request, core::ProgressSink& sink,
                    core::CancelToken& cancel) override {
    std::string guid;
    {
      core::MutexLock lock(&mu_);
      guid = ResolveLocked(std::get<core::ImportSpec>(request.spec).target);
      max_writers_[guid] = std::max(max_writers_[guid], ++writers_[guid]);
      ran_on_[request.operation_id] = guid;
    }
    core::Outcome out = gate_.Run(request, sink, cancel);
    core::MutexLock lock(&mu_);
    --writers_[guid];
    return out;
  }

  void Rename(const std::string& name, const std::string& guid) {
    core::MutexLock lock(&mu_);
    names_[name] = guid;
  }
  int max_writers(const std::string& guid) {
    core::MutexLock lock(&mu_);
    return max_writers_[guid];
  }
  std::string ran_on(const std::string& id) {
    core::MutexLock lock(&mu_);
    auto it = ran_on_.find(id);
    return it == ran_on_.end() ? "" : it->second;
  }
  GateBackend& gate() { return gate_; }

 private:
  std::string ResolveLocked(const core::GpoRef& t) const GPOP_REQUIRES(mu_) {
    if (!t.guid.empty()) return t.guid;
    auto it = names_.find(t.display_name);
    return it == names_.end() ? "" : it->second;
  }

  mutable core::Mutex mu_;
  std::map<std::string, std::string> names_ GPOP_GUARDED_BY(mu_);
  std::map<std::string, int> writers_ GPOP_GUARDED_BY(mu_);
  std::map<std::string, int> max_writers_ GPOP_GUARDED_BY(mu_);
  std::map<std::string, std::string> ran_on_ GPOP_GUARDED_BY(mu_);
  GateBackend gate_;
};

StartRequest ImportRequest(const std::string& guid, const std::string& display_name) {
  core::ImportSpec spec;
  spec.backup.backup_id = "{BBBBBBBB-0000-0000-0000-000000000001}";
  spec.target.guid = guid;
  spec.target.display_name = display_name;
  StartRequest r;
  r.principal = "alice";
  r.spec = spec;
  return r;
}

class DispatchClaimsTest : public ::testing::Test {
 protected:
  DispatchClaimsTest() {
    EngineOptions options;
    options.executor_threads = 3;
    parts_ = std::make_unique<EngineParts>(options, &backend_, &store_, &clock_);
  }
  ~DispatchClaimsTest() override { parts_.reset(); }

  std::string Start(const StartRequest& request) {
    auto rec = parts_->admission.Start(request);
    EXPECT_TRUE(rec.ok()) << rec.status();
    return rec.ok() ? rec->id : "";
  }

  // Reads `id`'s status stream to its end; returns the operation as stored then.
  OperationRecord RunToEnd(const std::string& id) {
    auto cursor = parts_->streams.OpenStatusStream("alice", id, 0);
    EXPECT_TRUE(cursor.ok()) << cursor.status();
    while (cursor.ok() &&
           !std::holds_alternative<Cursor::End>(gpop::testing::NextBlocking(cursor->get()))) {
    }
    auto got = parts_->reads.Get(id);
    EXPECT_TRUE(got.ok()) << got.status();
    return got.ok() ? *got : OperationRecord{};
  }

  OperationState StateOf(const std::string& id) {
    auto got = parts_->reads.Get(id);
    EXPECT_TRUE(got.ok()) << got.status();
    return got.ok() ? got->state : OperationState::kFailed;
  }

  FakeClock clock_;
  store::MemoryStore store_;
  RenamingBackend backend_;
  std::unique_ptr<EngineParts> parts_;
};

TEST_F(DispatchClaimsTest, ARenameBetweenStartAndDispatchNeverLetsTwoWritersTouchOneGpo) {
  backend_.Rename("X", kG1);
  const std::string p = Start(ImportRequest(kG2, ""));  // writes G2 and holds it
  backend_.gate().WaitStarted(p);
  const std::string r = Start(ImportRequest(kG1, ""));  // holds G1, so that q must queue
  backend_.gate().WaitStarted(r);
  const std::string q = Start(ImportRequest("", "X"));  // X is G1 now: claims gpo:G1
  EXPECT_EQ(StateOf(q), OperationState::kQueued);
  // G1 is renamed and G2 takes the name X before q is dispatched.
  backend_.Rename("X", kG2);
  backend_.gate().Open(q);  // were q to run, it would go straight through
  backend_.gate().Open(r);
  const OperationRecord ended = RunToEnd(q);
  EXPECT_EQ(ended.state, OperationState::kFailed);
  ASSERT_TRUE(ended.error.has_value());
  EXPECT_EQ(ended.error->code, core::Code::kAborted);
  EXPECT_EQ(ended.error->reason, core::reason::kResourcesChanged) << ended.error->message;
  EXPECT_NE(ended.error->message.find(std::string("gpo:") + kG2), std::string::npos)
      << ended.error->message;
  EXPECT_EQ(ended.effects, core::Effects::kNone);
  EXPECT_FALSE(backend_.gate().started(q));
  EXPECT_EQ(backend_.max_writers(kG2), 1);
  backend_.gate().Open(p);
  EXPECT_EQ(RunToEnd(p).state, OperationState::kSucceeded);
  EXPECT_EQ(RunToEnd(r).state, OperationState::kSucceeded);
}

TEST_F(DispatchClaimsTest, AtDispatchTheRunTakesTheLockOfTheGpoItsNameNowResolvesTo) {
  backend_.Rename("X", kG1);
  const std::string r = Start(ImportRequest(kG1, ""));
  backend_.gate().WaitStarted(r);
  const std::string q = Start(ImportRequest("", "X"));
  EXPECT_EQ(StateOf(q), OperationState::kQueued);
  backend_.Rename("X", kG2);  // G2, free, now has the name
  backend_.gate().Open(r);
  backend_.gate().WaitStarted(q);
  EXPECT_EQ(backend_.ran_on(q), kG2);
  // While q runs, an import of G2 by GUID waits for it.
  const std::string s = Start(ImportRequest(kG2, ""));
  EXPECT_EQ(StateOf(s), OperationState::kQueued);
  EXPECT_FALSE(backend_.gate().started(s));
  backend_.gate().Open(s);
  backend_.gate().Open(q);
  EXPECT_EQ(RunToEnd(q).state, OperationState::kSucceeded);
  EXPECT_EQ(RunToEnd(s).state, OperationState::kSucceeded);
  EXPECT_EQ(backend_.max_writers(kG2), 1);
  EXPECT_EQ(RunToEnd(r).state, OperationState::kSucceeded);
}

}  // namespace
}  // namespace gpop::engine
