// The resource claims of the sysvol backend, granted by the engine's own lock table
// (engine::ResourceLocks) as the scheduler grants them: a GPO is one lock however it is named
// (display name, GUID in any case), and a create-if-needed import holds the name of the GPO it
// is about to make, so that neither a second import of that name nor any operation naming the
// new GPO by GUID runs before it ends. Without that, two imports of one name could create two
// GPOs, or write one GPO at once.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "service/backends/sysvol/format/text_util.h"
#include "service/engine/resource_locks.h"
#include "tests/backends/sysvol/sysvol_test_fixture.h"

namespace gpop::sysvol::testing {
namespace {

using Claims = std::vector<core::ResourceClaim>;

class SysvolClaimsTest : public BackendTest<> {
 protected:
  void SetUp() override {
    BackendTest::SetUp();
    core::Outcome backup = BackupGpo(*backend_, kServer);
    ASSERT_FALSE(backup.error) << backup.error->message;
    backup_id_ = BackupIdOf(backup);
  }

  Claims ClaimsOf(const core::OperationSpec& spec) const { return backend_->Claims(spec); }

  // Whether an operation with `claims` would be granted its locks now.
  bool Runnable(const Claims& claims) const { return locks_.Available(claims); }

  // The GPOs named `name` (any case).
  std::vector<core::GpoInfo> GposNamed(const std::string& name) const {
    std::vector<core::GpoInfo> out;
    auto gpos = backend_->ListGpos();
    EXPECT_TRUE(gpos.ok());
    if (!gpos.ok()) return out;
    for (const core::GpoInfo& g : *gpos) {
      if (internal::EqualsNoCase(g.display_name, name)) out.push_back(g);
    }
    return out;
  }

  std::string backup_id_;
  engine::ResourceLocks locks_;  // the engine's grants, held by hand here
};

core::ImportSpec ImportByGuid(const std::string& backup_id, const std::string& guid) {
  core::ImportSpec spec;
  spec.backup.backup_id = backup_id;
  spec.target.guid = guid;
  return spec;
}

TEST_F(SysvolClaimsTest, CreateIfNeededImportsOfOneNameCreateOneGpo) {
  const core::ImportSpec create = ImportInto(backup_id_, "Fresh Baseline");
  // A, the first import, is granted its locks while no GPO has the name.
  const Claims a = ClaimsOf(create);
  ASSERT_TRUE(Runnable(a));
  locks_.Acquire(a);
  // B, a second import of the same name started now, waits for A.
  EXPECT_FALSE(Runnable(ClaimsOf(create)));
  // A runs (holding its locks) and makes the GPO.
  RecordingSink sink_a;
  core::Outcome made = Run(create, sink_a);
  ASSERT_FALSE(made.error) << made.error->message;
  const std::string guid = std::get<core::GpoInfo>(made.result).guid;
  ASSERT_EQ(GposNamed("Fresh Baseline").size(), 1u);
  // While A still holds its locks, every operation on the new GPO waits, however it names it:
  // a second create-if-needed import (now resolved to the GUID), an import by GUID, a report of
  // it by GUID (a reader), an import by the name in another case. (A backup would wait anyway:
  // it writes the backup location that A reads.)
  const Claims b = ClaimsOf(create);
  EXPECT_FALSE(Runnable(b));
  EXPECT_FALSE(Runnable(ClaimsOf(ImportByGuid(backup_id_, guid))));
  EXPECT_FALSE(Runnable(ClaimsOf(ReportOfGpo(guid))));
  EXPECT_FALSE(Runnable(ClaimsOf(ImportInto(backup_id_, "FRESH BASELINE"))));
  // Other GPOs are not held up.
  EXPECT_TRUE(Runnable(ClaimsOf(ImportByGuid(backup_id_, kWorkstation))));
  EXPECT_TRUE(Runnable(ClaimsOf(ImportInto(backup_id_, "Another Name"))));
  // Once A ends, B runs and imports into A's GPO: one GPO of that name, never two.
  locks_.Release(a);
  ASSERT_TRUE(Runnable(b));
  locks_.Acquire(b);
  RecordingSink sink_b;
  core::Outcome again = Run(create, sink_b);
  ASSERT_FALSE(again.error) << again.error->message;
  EXPECT_EQ(std::get<core::GpoInfo>(again.result).guid, guid);
  locks_.Release(b);
  EXPECT_EQ(GposNamed("Fresh Baseline").size(), 1u);
  EXPECT_EQ(locks_.locked_resources(), 0u);
}

TEST_F(SysvolClaimsTest, BackupsOfOneLocationRunAtOnce) {
  // A backup only adds a folder to its location (published under the location's mutex), so
  // backups of other GPOs, of the same GPO, and restores and imports reading the location are
  // granted beside it. What it still waits for is a writer of its GPO.
  const Claims a = ClaimsOf(BackupOf(kServer));
  ASSERT_TRUE(Runnable(a));
  locks_.Acquire(a);
  EXPECT_TRUE(Runnable(ClaimsOf(BackupOf(kWorkstation))));
  EXPECT_TRUE(Runnable(ClaimsOf(BackupOf(kServer))));
  EXPECT_TRUE(Runnable(ClaimsOf(ImportByGuid(backup_id_, kWorkstation))));
  EXPECT_FALSE(Runnable(ClaimsOf(ImportByGuid(backup_id_, kServer))));  // writes kServer
  locks_.Release(a);
  const Claims import = ClaimsOf(ImportByGuid(backup_id_, kWorkstation));
  locks_.Acquire(import);
  EXPECT_FALSE(Runnable(ClaimsOf(BackupOf(kWorkstation))));
  EXPECT_TRUE(Runnable(ClaimsOf(BackupOf(kServer))));
  locks_.Release(import);
  EXPECT_EQ(locks_.locked_resources(), 0u);
}

TEST_F(SysvolClaimsTest, ANameAndAGuidOfOneGpoAreOneLock) {
  // The demo GPO kServer is "Server Hardening".
  const core::ImportSpec by_name = ImportInto(backup_id_, "server HARDENING");
  std::string lower_guid = kServer;
  for (char& c : lower_guid) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const core::ImportSpec by_guid = ImportByGuid(backup_id_, lower_guid);
  for (const auto& [held, other] : {std::pair{by_name, by_guid}, std::pair{by_guid, by_name}}) {
    const Claims h = ClaimsOf(held);
    locks_.Acquire(h);
    EXPECT_FALSE(Runnable(ClaimsOf(other)));
    EXPECT_FALSE(Runnable(ClaimsOf(ReportOfGpo(kServer))));
    EXPECT_FALSE(Runnable(ClaimsOf(RestoreOf(backup_id_))));  // the backup is of kServer
    EXPECT_TRUE(Runnable(ClaimsOf(ReportOfGpo(kWorkstation))));
    EXPECT_TRUE(Runnable(ClaimsOf(ImportByGuid(backup_id_, kWorkstation))));
    locks_.Release(h);
  }
  // Readers share: two reports, by name and by GUID, run together; a writer waits for them.
  core::ReportSpec report_by_name;
  report_by_name.subject = core::GpoRef{"", "Server Hardening"};
  report_by_name.format = core::ReportFormat::kXml;
  const Claims r = ClaimsOf(report_by_name);
  locks_.Acquire(r);
  EXPECT_TRUE(Runnable(ClaimsOf(ReportOfGpo(lower_guid))));
  EXPECT_FALSE(Runnable(ClaimsOf(by_guid)));
  EXPECT_FALSE(Runnable(ClaimsOf(by_name)));
  locks_.Release(r);
  EXPECT_EQ(locks_.locked_resources(), 0u);
}

TEST_F(SysvolClaimsTest, ARestoreHoldsTheNameItGivesTheGpo) {
  // The GPO is gone: the restore re-creates it under the backup's name, so a create-if-needed
  // import of that name must not create a second GPO beside it.
  fs::remove_all(store_.policies() / kServer);
  ASSERT_TRUE(GposNamed("Server Hardening").empty());
  const Claims restore = ClaimsOf(RestoreOf(backup_id_));
  locks_.Acquire(restore);
  EXPECT_FALSE(Runnable(ClaimsOf(ImportInto(backup_id_, "Server Hardening"))));
  EXPECT_FALSE(Runnable(ClaimsOf(ImportByGuid(backup_id_, kServer))));
  locks_.Release(restore);
  // Each claim appears once (a write where any is).
  for (size_t i = 0; i < restore.size(); ++i) {
    for (size_t j = i + 1; j < restore.size(); ++j) {
      EXPECT_NE(restore[i].resource, restore[j].resource);
    }
  }
}

}  // namespace
}  // namespace gpop::sysvol::testing
