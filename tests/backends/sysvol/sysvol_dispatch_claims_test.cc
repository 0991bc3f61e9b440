// The sysvol backend's claims through the engine (engine::EngineParts over a memory store): the
// engine asks for them again at dispatch, so that a GPO renamed between an operation's start and
// its run is locked by the GUID the name resolves to then. An import by display name queued
// while another GPO takes that name must not write that GPO beside the run holding it; and two
// create-if-needed imports of one new name, started together, make one GPO.

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "service/backends/sysvol/format/text_util.h"
#include "service/core/mutex.h"
#include "service/engine/engine_parts.h"
#include "service/engine/executor.h"
#include "service/store/memory_store.h"
#include "tests/backends/sysvol/sysvol_test_fixture.h"
#include "tests/engine/cursor_testing.h"

namespace gpop::sysvol::testing {
namespace {

using core::OperationState;

// A fault hook that holds the first `hold` runs to reach their staged state there until the
// test lets each go (by the order they arrived); later runs pass.
class StagingGate {
 public:
  explicit StagingGate(int hold) : hold_(hold) {}
  bool Hit(FaultPoint point) {
    if (point != FaultPoint::kAfterStaging) return false;
    core::MutexLock lock(&mu_);
    const int n = ++arrived_;
    cv_.SignalAll();
    while (n <= hold_ && released_.count(n) == 0) cv_.Wait(&mu_);
    return false;
  }
  void WaitArrived(int n) {
    core::MutexLock lock(&mu_);
    while (arrived_ < n) cv_.Wait(&mu_);
  }
  void Release(int n) {
    core::MutexLock lock(&mu_);
    released_.insert(n);
    cv_.SignalAll();
  }
  void ReleaseAll() {
    core::MutexLock lock(&mu_);
    for (int i = 1; i <= hold_; ++i) released_.insert(i);
    cv_.SignalAll();
  }

 private:
  const int hold_;
  core::Mutex mu_;
  core::CondVar cv_;
  int arrived_ GPOP_GUARDED_BY(mu_) = 0;
  std::set<int> released_ GPOP_GUARDED_BY(mu_);
};

class SysvolDispatchClaimsTest : public BackendTest<> {
 protected:
  void SetUp() override {
    BackendTest::SetUp();
    core::Outcome backup = BackupGpo(*backend_, kServer);
    ASSERT_FALSE(backup.error) << backup.error->message;
    backup_id_ = BackupIdOf(backup);
  }
  void TearDown() override {
    if (gate_) gate_->ReleaseAll();
    parts_.reset();
  }

  // `hold`: how many runs the staging gate holds.
  void StartEngine(int hold) {
    gate_ = std::make_unique<StagingGate>(hold);
    backend_->SetFaultHookForTesting([this](FaultPoint p) { return gate_->Hit(p); });
    engine::EngineOptions options;
    options.executor_threads = 3;
    parts_ = std::make_unique<engine::EngineParts>(options, backend_.get(), &ops_, &clock_);
  }

  std::string Start(const core::OperationSpec& spec) {
    engine::StartRequest r;
    r.principal = "alice";
    r.spec = spec;
    auto rec = parts_->admission.Start(r);
    EXPECT_TRUE(rec.ok()) << rec.status();
    return rec.ok() ? rec->id : "";
  }

  engine::OperationRecord RunToEnd(const std::string& id) {
    auto cursor = parts_->streams.OpenStatusStream("alice", id, 0);
    EXPECT_TRUE(cursor.ok()) << cursor.status();
    while (cursor.ok() && !std::holds_alternative<engine::Cursor::End>(
                              gpop::testing::NextBlocking(cursor->get()))) {
    }
    auto got = parts_->reads.Get(id);
    EXPECT_TRUE(got.ok()) << got.status();
    return got.ok() ? *got : engine::OperationRecord{};
  }

  OperationState StateOf(const std::string& id) {
    auto got = parts_->reads.Get(id);
    return got.ok() ? got->state : OperationState::kFailed;
  }

  // Renames `guid` in the directory (its metadata row, made from what the store shows when
  // gpop has not written the GPO yet).
  void Rename(const std::string& guid, const std::string& name) {
    auto entry = backend_->store().Resolve({guid, ""});
    ASSERT_TRUE(entry.ok()) << entry.error().message;
    GpoMetadata gpo;
    gpo.guid = entry->info.guid;
    gpo.display_name = name;
    gpo.flags = entry->info.flags;
    gpo.version = entry->info.version;
    gpo.machine_extension_guids = entry->machine_extension_guids;
    gpo.user_extension_guids = entry->user_extension_guids;
    ASSERT_TRUE(backend_->metadata().PutGpo(gpo).ok());
  }

  size_t GposNamed(const std::string& name) {
    size_t n = 0;
    auto gpos = backend_->ListGpos();
    EXPECT_TRUE(gpos.ok());
    if (!gpos.ok()) return 0;
    for (const core::GpoInfo& g : *gpos) n += internal::EqualsNoCase(g.display_name, name);
    return n;
  }

  std::string backup_id_;
  std::unique_ptr<StagingGate> gate_;
  engine::FakeClock clock_;
  store::MemoryStore ops_;
  std::unique_ptr<engine::EngineParts> parts_;
};

core::ImportSpec ImportByGuid(const std::string& backup_id, const std::string& guid) {
  core::ImportSpec spec;
  spec.backup.backup_id = backup_id;
  spec.target.guid = guid;
  spec.safety_backup = false;
  return spec;
}

TEST_F(SysvolDispatchClaimsTest, ARenameBetweenStartAndDispatchNeverLetsTwoRunsWriteOneGpo) {
  StartEngine(2);
  // p writes the workstation GPO and r the server GPO; both wait, staged.
  const std::string p = Start(ImportByGuid(backup_id_, kWorkstation));
  gate_->WaitArrived(1);
  const std::string r = Start(ImportByGuid(backup_id_, kServer));
  gate_->WaitArrived(2);
  // q names "Server Hardening" (the server GPO now), so it queues behind r.
  core::ImportSpec by_name = ImportByGuid(backup_id_, "");
  by_name.target.display_name = "Server Hardening";
  const std::string q = Start(by_name);
  EXPECT_EQ(StateOf(q), OperationState::kQueued);
  // The names move (an administrator's renames, outside gpop): the workstation GPO, which p
  // holds, is "Server Hardening" by the time q is dispatched.
  Rename(kServer, "Old Server");
  Rename(kWorkstation, "Server Hardening");
  const std::string workstation_before =
      ReadFileBytes(store_.policies() / kWorkstation / "GPT.INI");
  // r ends without writing (cancelled before its commit point), so that the server GPO keeps
  // its new name and q is dispatched.
  ASSERT_TRUE(parts_->cancellation.Cancel("alice", r).ok());
  gate_->Release(2);
  const engine::OperationRecord ended = RunToEnd(q);
  EXPECT_EQ(ended.state, OperationState::kFailed);
  ASSERT_TRUE(ended.error.has_value()) << "q ran beside p on the workstation GPO";
  EXPECT_EQ(ended.error->code, core::Code::kAborted);
  EXPECT_EQ(ended.error->reason, core::reason::kResourcesChanged) << ended.error->message;
  EXPECT_NE(ended.error->message.find(std::string("gpo:") + kWorkstation), std::string::npos)
      << ended.error->message;
  EXPECT_EQ(ended.effects, core::Effects::kNone);
  EXPECT_EQ(ReadFileBytes(store_.policies() / kWorkstation / "GPT.INI"), workstation_before);
  gate_->Release(1);
  EXPECT_EQ(RunToEnd(p).state, OperationState::kSucceeded);
  EXPECT_EQ(RunToEnd(r).state, OperationState::kCancelled);
}

TEST_F(SysvolDispatchClaimsTest, CreateIfNeededImportsOfOneNewNameStartedTogetherMakeOneGpo) {
  StartEngine(1);
  const std::string a = Start(ImportInto(backup_id_, "Fresh Baseline", false));
  const std::string b = Start(ImportInto(backup_id_, "FRESH baseline", false));
  gate_->WaitArrived(1);
  EXPECT_EQ(StateOf(b), OperationState::kQueued);  // waits for a, not staged beside it
  gate_->Release(1);
  const engine::OperationRecord first = RunToEnd(a);
  const engine::OperationRecord second = RunToEnd(b);
  ASSERT_EQ(first.state, OperationState::kSucceeded);
  ASSERT_EQ(second.state, OperationState::kSucceeded);
  EXPECT_EQ(std::get<core::GpoInfo>(first.result).guid,
            std::get<core::GpoInfo>(second.result).guid);
  EXPECT_EQ(GposNamed("Fresh Baseline"), 1u);
}

}  // namespace
}  // namespace gpop::sysvol::testing
