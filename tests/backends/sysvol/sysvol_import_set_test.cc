// The import set on the sysvol backend: every fixture backup set (gpmc-backups with its eight
// backups; each HardenAD package, and all of them together) imported in one operation; a cancel
// between GPOs and one inside a GPO's import leave each GPO untouched or fully imported and the
// result says which; a dry run writes nothing; a restart mid-set reports what was imported.

#include <gtest/gtest.h>

#include <algorithm>

#include "service/backends/sysvol/ops/import_set.h"
#include "service/backends/sysvol/sysvol_backend.h"
#include "tests/backends/sysvol/sysvol_test_fixture.h"

namespace gpop::sysvol::testing {
namespace {

// One fixture backup set: the backup folders a publisher ships together.
struct FixtureSet {
  std::string name;
  std::vector<fs::path> backups;
};

std::vector<fs::path> BackupFoldersOf(const fs::path& set) {
  std::vector<fs::path> out;
  for (auto& e : fs::directory_iterator(set)) {
    if (e.is_directory() && e.path().filename().string().front() == '{') out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// gpmc-backups (one set of eight), then every HardenAD package (a set of one each).
std::vector<FixtureSet> FixtureSets(const fs::path& fixtures) {
  std::vector<FixtureSet> sets = {{"gpmc-backups", BackupFoldersOf(fixtures / "gpmc-backups")}};
  std::vector<fs::path> packages;
  for (auto& e : fs::directory_iterator(fixtures / "hardenad")) {
    if (e.is_directory()) packages.push_back(e.path());
  }
  std::sort(packages.begin(), packages.end());
  for (const fs::path& p : packages) sets.push_back({p.filename().string(), BackupFoldersOf(p)});
  return sets;
}

// A store whose default location holds every backup of `sets`.
TestStore StoreWith(const std::vector<FixtureSet>& sets) {
  TestStore s = testing::MakeEmptyStore();
  for (const FixtureSet& set : sets) {
    for (const fs::path& b : set.backups) testing::CopyWritable(b, s.location() / b.filename());
  }
  return s;
}

core::ImportSetSpec SetOf(const FixtureSet& set, bool dry_run = false) {
  core::ImportSetSpec spec;
  for (const fs::path& b : set.backups) spec.backup_ids.push_back(b.filename().string());
  spec.dry_run = dry_run;
  return spec;
}

std::string DisplayNameOf(const fs::path& backup) {
  auto parsed = ParseBackupXml(ReadFileBytes(backup / "Backup.xml"), "Backup.xml");
  EXPECT_TRUE(parsed.ok());
  return parsed.ok() ? parsed->core.display_name : "";
}

// The registry.pol files of a settings tree (Machine/..., User/...), lower-cased paths.
std::map<std::string, std::string> RegistryPols(const fs::path& gpt) {
  std::map<std::string, std::string> out;
  for (const char* part : {"Machine", "User"}) {
    if (!fs::exists(gpt / part)) continue;
    for (const fs::path& p : testing::FindFiles(gpt / part, "registry.pol")) {
      std::string rel = fs::relative(p, gpt).string();
      std::transform(rel.begin(), rel.end(), rel.begin(), ::tolower);
      out[rel] = ReadFileBytes(p);
    }
  }
  return out;
}

// Cancels `token` at the first progress value inside the import of backup `index` (0-based),
// or when the message saying that backup `index` was imported arrives (`after_import`).
class CancellingSink : public core::ProgressSink {
 public:
  CancellingSink(core::CancelToken* token, int index, bool after_import)
      : token_(token), index_(index), after_import_(after_import) {}
  void Progress(int64_t numerator, int64_t denominator) override {
    progress.emplace_back(numerator, denominator);
    const int64_t start = int64_t{1000} * index_;
    if (!after_import_ && numerator > start && numerator < start + 1000) token_->RequestCancel();
  }
  void Messages(std::vector<core::StatusMessage> m, std::optional<uint32_t>) override {
    for (auto& x : m) {
      const std::string tag = "backup " + std::to_string(index_ + 1) + "/";
      if (after_import_ && x.message.rfind(tag, 0) == 0 &&
          x.message.find(": imported into GPO") != std::string::npos) {
        token_->RequestCancel();
      }
      messages.push_back(std::move(x));
    }
  }
  std::vector<std::pair<int64_t, int64_t>> progress;
  std::vector<core::StatusMessage> messages;

 private:
  core::CancelToken* token_;
  int index_;
  bool after_import_;
};

TEST(SysvolImportSetTest, EveryFixtureSetImportsInOneOperation) {
  GPOP_REQUIRE_FIXTURES(fixtures);
  std::vector<FixtureSet> sets = FixtureSets(fixtures);
  ASSERT_EQ(sets.size(), 9u);
  ASSERT_EQ(sets[0].backups.size(), 8u);
  // Every HardenAD package in one operation as well: one store per round.
  FixtureSet all_hardenad{"all hardenad", {}};
  for (size_t i = 1; i < sets.size(); ++i) {
    all_hardenad.backups.insert(all_hardenad.backups.end(), sets[i].backups.begin(),
                                sets[i].backups.end());
  }
  for (const std::vector<FixtureSet>& round : {sets, std::vector<FixtureSet>{all_hardenad}}) {
    TestStore s = StoreWith(round);
    auto backend = OpenBackend(s.config);
    ASSERT_NE(backend, nullptr);
    size_t gpos = 0;
    for (const FixtureSet& set : round) {
      SCOPED_TRACE(set.name);
      testing::RecordingSink sink;
      core::Outcome out = RunOp(*backend, SetOf(set), sink);
      ASSERT_FALSE(out.error) << out.error->message;
      EXPECT_EQ(out.effects, core::Effects::kApplied);
      const auto& result = std::get<core::ImportSetResult>(out.result);
      ASSERT_EQ(result.entries.size(), set.backups.size());
      for (size_t i = 0; i < set.backups.size(); ++i) {
        const core::ImportSetEntry& e = result.entries[i];
        EXPECT_EQ(e.backup_id, set.backups[i].filename().string());
        EXPECT_EQ(e.outcome, core::ImportSetOutcome::kImported);
        EXPECT_EQ(e.display_name, DisplayNameOf(set.backups[i]));
        EXPECT_EQ(e.gpo.display_name, e.display_name);
        EXPECT_EQ(RegistryPols(s.policies() / e.gpo.guid),
                  RegistryPols(set.backups[i] / "DomainSysvol" / "GPO"));
        // One status message per backup names it.
        EXPECT_EQ(std::count_if(sink.messages.begin(), sink.messages.end(),
                                [&](const core::StatusMessage& m) {
                                  return m.object_path == e.backup_id &&
                                         m.message.find("imported into GPO " + e.gpo.guid) !=
                                             std::string::npos;
                                }),
                  1);
      }
      // Progress is overall, never goes back, and ends complete.
      ASSERT_FALSE(sink.progress.empty());
      const int64_t total = static_cast<int64_t>(set.backups.size()) * 1000;
      for (size_t i = 1; i < sink.progress.size(); ++i) {
        EXPECT_GE(sink.progress[i].first, sink.progress[i - 1].first);
        EXPECT_EQ(sink.progress[i].second, total);
      }
      EXPECT_EQ(sink.progress.back().first, total);
      gpos += set.backups.size();
      auto listed = backend->ListGpos();
      ASSERT_TRUE(listed.ok());
      EXPECT_EQ(listed->size(), gpos);
    }
  }
}

TEST(SysvolImportSetTest, AgainOverwritesTheSameGposWithSafetyBackups) {
  GPOP_REQUIRE_FIXTURES(fixtures);
  FixtureSet set = FixtureSets(fixtures)[0];
  TestStore s = StoreWith({set});
  auto backend = OpenBackend(s.config);
  testing::RecordingSink first_sink, second_sink;
  core::Outcome first = RunOp(*backend, SetOf(set), first_sink);
  ASSERT_FALSE(first.error) << first.error->message;
  core::Outcome second = RunOp(*backend, SetOf(set), second_sink);
  ASSERT_FALSE(second.error) << second.error->message;
  const auto& a = std::get<core::ImportSetResult>(first.result);
  const auto& b = std::get<core::ImportSetResult>(second.result);
  for (size_t i = 0; i < a.entries.size(); ++i) {
    EXPECT_EQ(a.entries[i].gpo.guid, b.entries[i].gpo.guid);  // by display name
    EXPECT_TRUE(a.entries[i].gpo.safety_backup_id.empty());
    EXPECT_FALSE(b.entries[i].gpo.safety_backup_id.empty());
    EXPECT_GT(b.entries[i].gpo.version, a.entries[i].gpo.version);
  }
  EXPECT_EQ(backend->ListGpos()->size(), set.backups.size());
}

TEST(SysvolImportSetTest, CancelBetweenGposLeavesTheRestUntouched) {
  GPOP_REQUIRE_FIXTURES(fixtures);
  FixtureSet set = FixtureSets(fixtures)[0];
  TestStore s = StoreWith({set});
  auto backend = OpenBackend(s.config);
  core::CancelToken token;
  CancellingSink sink(&token, 1, /*after_import=*/true);
  core::Outcome out = RunOp(*backend, SetOf(set), sink, &token);
  ASSERT_TRUE(out.error);
  EXPECT_EQ(out.error->code, core::Code::kCancelled);
  EXPECT_EQ(out.error->metadata.at("imported"), "2");
  EXPECT_EQ(out.error->metadata.at("not_started"), "6");
  EXPECT_EQ(out.effects, core::Effects::kApplied);
  const auto& result = std::get<core::ImportSetResult>(out.result);
  ASSERT_EQ(result.entries.size(), 8u);
  std::vector<std::string> imported;
  for (size_t i = 0; i < 8; ++i) {
    const core::ImportSetEntry& e = result.entries[i];
    EXPECT_EQ(e.outcome,
              i < 2 ? core::ImportSetOutcome::kImported : core::ImportSetOutcome::kNotStarted)
        << i;
    if (i < 2) imported.push_back(e.display_name);
    if (i >= 2) EXPECT_TRUE(e.error);
  }
  auto listed = backend->ListGpos();
  ASSERT_TRUE(listed.ok());
  std::vector<std::string> names;
  for (const core::GpoInfo& g : *listed) names.push_back(g.display_name);
  std::sort(names.begin(), names.end());
  std::sort(imported.begin(), imported.end());
  EXPECT_EQ(names, imported);
}

TEST(SysvolImportSetTest, CancelInsideAnImportLeavesThatGpoUntouched) {
  GPOP_REQUIRE_FIXTURES(fixtures);
  FixtureSet set = FixtureSets(fixtures)[0];
  TestStore s = StoreWith({set});
  auto backend = OpenBackend(s.config);
  core::CancelToken token;
  CancellingSink sink(&token, 2, /*after_import=*/false);
  core::Outcome out = RunOp(*backend, SetOf(set), sink, &token);
  ASSERT_TRUE(token.cancel_requested()) << "no progress inside the third import";
  ASSERT_TRUE(out.error);
  EXPECT_EQ(out.error->code, core::Code::kCancelled);
  const auto& result = std::get<core::ImportSetResult>(out.result);
  for (size_t i = 0; i < result.entries.size(); ++i) {
    EXPECT_EQ(result.entries[i].outcome,
              i < 2 ? core::ImportSetOutcome::kImported : core::ImportSetOutcome::kNotStarted)
        << i;
  }
  EXPECT_EQ(backend->ListGpos()->size(), 2u);
  // The third GPO's staging is gone: Policies holds exactly the two imported GPTs.
  size_t gpts = 0;
  for (auto& e : fs::directory_iterator(s.policies())) {
    if (e.path().filename().string().front() == '{') ++gpts;
  }
  EXPECT_EQ(gpts, 2u);
}

TEST(SysvolImportSetTest, DryRunWritesNothing) {
  GPOP_REQUIRE_FIXTURES(fixtures);
  std::vector<FixtureSet> sets = FixtureSets(fixtures);
  TestStore s = StoreWith(sets);
  auto backend = OpenBackend(s.config);
  // One GPO exists already, so the dry run predicts an overwrite as well as creations.
  testing::RecordingSink seed_sink;
  core::ImportSetSpec seed = SetOf(sets[1]);
  ASSERT_FALSE(RunOp(*backend, seed, seed_sink).error);
  const auto policies_before = Snapshot(s.policies());
  const auto backups_before = Snapshot(s.location());
  const auto gpos_before = backend->ListGpos()->size();
  for (const FixtureSet& set : {sets[0], sets[1]}) {
    SCOPED_TRACE(set.name);
    const bool exists = set.name == sets[1].name;
    testing::RecordingSink sink;
    core::Outcome out = RunOp(*backend, SetOf(set, /*dry_run=*/true), sink);
    ASSERT_FALSE(out.error) << out.error->message;
    EXPECT_EQ(out.effects, core::Effects::kNone);
    for (const core::ImportSetEntry& e : std::get<core::ImportSetResult>(out.result).entries) {
      EXPECT_EQ(e.outcome, core::ImportSetOutcome::kPredicted);
      EXPECT_TRUE(e.gpo.dry_run);
      // A new GPO gains every setting; the seeded one is predicted to stay as it is.
      EXPECT_EQ(e.gpo.predicted_changes.empty(), exists) << e.display_name;
    }
  }
  EXPECT_EQ(Snapshot(s.policies()), policies_before);
  EXPECT_EQ(Snapshot(s.location()), backups_before);
  EXPECT_EQ(backend->ListGpos()->size(), gpos_before);
}

TEST(SysvolImportSetTest, RefusesTwoBackupsOfOneGpoAndUnknownBackups) {
  GPOP_REQUIRE_FIXTURES(fixtures);
  FixtureSet set = FixtureSets(fixtures)[0];
  TestStore s = StoreWith({set});
  // A second backup of the first backup's GPO (same display name), under another ID.
  const std::string copy_id = "{0F0E0D0C-0B0A-4908-8706-050403020100}";
  testing::CopyWritable(set.backups[0], s.location() / copy_id);
  {
    std::string inst = ReadFileBytes(s.location() / copy_id / "bkupInfo.xml");
    ASSERT_FALSE(inst.empty());
  }
  auto backend = OpenBackend(s.config);
  core::ImportSetSpec spec = SetOf(set);
  spec.backup_ids.push_back(copy_id);
  testing::RecordingSink sink;
  core::Outcome out = RunOp(*backend, spec, sink);
  ASSERT_TRUE(out.error);
  EXPECT_EQ(out.error->code, core::Code::kInvalidArgument);
  EXPECT_EQ(out.error->metadata.at("field"), "import_set.backup_ids[8]");
  EXPECT_EQ(out.effects, core::Effects::kNone);
  EXPECT_TRUE(backend->ListGpos()->empty());

  spec = SetOf(set);
  spec.backup_ids.push_back("{11111111-2222-4333-8444-555555555555}");
  out = RunOp(*backend, spec, sink);
  ASSERT_TRUE(out.error);
  EXPECT_EQ(out.error->reason, core::reason::kBackupNotFound);
  EXPECT_TRUE(backend->ListGpos()->empty());
}

TEST(SysvolImportSetTest, ClaimsEveryGpoTheSetWrites) {
  GPOP_REQUIRE_FIXTURES(fixtures);
  FixtureSet set = FixtureSets(fixtures)[0];
  TestStore s = StoreWith({set});
  auto backend = OpenBackend(s.config);
  std::vector<core::ResourceClaim> claims = backend->Claims(SetOf(set));
  for (const fs::path& b : set.backups) {
    std::string name = DisplayNameOf(b);
    std::transform(name.begin(), name.end(), name.begin(), ::tolower);
    EXPECT_TRUE(std::any_of(claims.begin(), claims.end(), [&](const core::ResourceClaim& c) {
      return c.resource == "gpo-name:" + name && c.access == core::ResourceClaim::Access::kWrite;
    })) << name;
  }
}

TEST(SysvolImportSetTest, RecoverAfterARestartListsWhatWasImported) {
  GPOP_REQUIRE_FIXTURES(fixtures);
  FixtureSet set = FixtureSets(fixtures)[0];
  TestStore s = StoreWith({set});
  auto backend = OpenBackend(s.config);
  core::CancelToken token;
  CancellingSink sink(&token, 2, /*after_import=*/true);
  core::Outcome out = RunOp(*backend, SetOf(set), sink, &token, "op-recover-set");
  ASSERT_TRUE(out.error);
  // As if the server had stopped there: the two imports' intents are what recovery finds.
  backend.reset();
  auto reopened = OpenBackend(s.config);
  ASSERT_TRUE(reopened->ResolveLeftovers().ok());
  std::optional<core::Outcome> recovered = reopened->Recover("op-recover-set");
  ASSERT_TRUE(recovered);
  ASSERT_TRUE(recovered->error);
  EXPECT_EQ(recovered->error->reason, core::reason::kServerRestarted);
  EXPECT_EQ(recovered->effects, core::Effects::kApplied);
  EXPECT_EQ(std::get<core::ImportSetResult>(recovered->result).entries.size(), 3u);
  EXPECT_FALSE(reopened->Recover("op-never-ran"));
}

}  // namespace
}  // namespace gpop::sysvol::testing
