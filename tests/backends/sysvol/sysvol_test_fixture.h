// The setup the sysvol operation tests share (backup, commit, I/O fault, restore, import set,
// migration through copies): the demo store's GPO GUIDs, a store holding the demo GPOs, the
// specs and results of backup, restore and import, and test fixtures with a store and a backend
// on it.
//
// Tests include this header and put their anonymous namespace inside gpop::sysvol::testing, so
// that every helper here and in backend_test_util.h is in reach without using-declarations.

#ifndef GPOP_TESTS_BACKENDS_SYSVOL_SYSVOL_TEST_FIXTURE_H_
#define GPOP_TESTS_BACKENDS_SYSVOL_SYSVOL_TEST_FIXTURE_H_

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>
#include <variant>

#include "service/backends/sysvol/demo_store.h"
#include "service/backends/sysvol/sysvol_backend.h"
#include "tests/backends/sysvol/backend_test_util.h"

namespace gpop::sysvol::testing {

namespace fs = std::filesystem;

// Two GPOs of the demo store (WriteDemoStore).
inline constexpr char kServer[] = "{2F8E4D6C-9B1A-4E3F-8D7C-6B5A4F3E2D1C}";  // "Server Hardening"
inline constexpr char kWorkstation[] = "{7C1A5B2E-3D4F-4A8B-9C6D-1E2F3A4B5C6D}";

// MakeDemoStore
//
// An empty store (MakeEmptyStore) with the demo GPOs written into its sysvol.
inline TestStore MakeDemoStore() {
  TestStore s = MakeEmptyStore();
  auto written = WriteDemoStore(s.config.sysvol_dir);
  EXPECT_TRUE(written.ok()) << (written.ok() ? "" : written.error().message);
  return s;
}

// BackupGpo
//
// A backup of the GPO `guid` into the default location, with a sink of its own.
inline core::Outcome BackupGpo(core::Backend& backend, const std::string& guid) {
  RecordingSink sink;
  return RunOp(backend, BackupOf(guid), sink);
}

// BackupIdOf
//
// The backup ID a successful backup reported.
inline std::string BackupIdOf(const core::Outcome& out) {
  return std::get<core::BackupInfo>(out.result).backup_id;
}

// RestoreOf
//
// A restore of `backup_id` (default location), with or without the safety backup.
inline core::RestoreSpec RestoreOf(const std::string& backup_id, bool safety = true) {
  core::RestoreSpec spec;
  spec.backup.backup_id = backup_id;
  spec.safety_backup = safety;
  return spec;
}

// ImportInto
//
// An import of `backup_id` into the GPO named `name`, created when there is none.
inline core::ImportSpec ImportInto(const std::string& backup_id, const std::string& name,
                                   bool safety = true) {
  core::ImportSpec spec;
  spec.backup.backup_id = backup_id;
  spec.target.display_name = name;
  spec.create_if_needed = true;
  spec.safety_backup = safety;
  return spec;
}

// BackendTest
//
// A fixture (over ::testing::Test or ::testing::TestWithParam<P>) holding a demo store and a
// backend on it, opened in SetUp. Not thread-safe (one test's state).
template <class Base = ::testing::Test>
class BackendTest : public Base {
 protected:
  void SetUp() override {
    store_ = MakeDemoStore();
    backend_ = OpenBackend(store_.config);
    ASSERT_NE(backend_, nullptr);
  }

  // A new backend on the same store, as after a restart (the old one closed first).
  void Restart() {
    backend_.reset();
    backend_ = OpenBackend(store_.config);
    ASSERT_NE(backend_, nullptr);
  }

  core::Outcome Run(const core::OperationSpec& spec, RecordingSink& sink) {
    return RunOp(*backend_, spec, sink);
  }

  TestStore store_;
  std::unique_ptr<SysvolBackend> backend_;
};

// DemoCopyTest
//
// A demo store with a migration table folder configured (empty), the test's own settings files
// written into the Workstation Baseline GPO (`gpt_`) by WriteSources before the backend opens,
// and copies of that GPO through a migration table. The setup the migration tests of copies
// share. Not thread-safe (one test's state).
class DemoCopyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = MakeDemoStore();
    store_.config.migration_table_dir = store_.root / "migtables";
    fs::create_directories(store_.config.migration_table_dir);
    gpt_ = store_.policies() / kWorkstation;
    WriteSources(gpt_);
    backend_ = OpenBackend(store_.config);
    ASSERT_NE(backend_, nullptr);
  }

  // Writes the test's settings files below the Workstation Baseline GPT `gpt`.
  virtual void WriteSources(const fs::path& gpt) {}

  // Writes `bytes` as migration table `name` (".migtable" added).
  void PutTable(const std::string& name, const std::string& bytes) const {
    WriteBytes(store_.config.migration_table_dir / (name + ".migtable"), bytes);
  }

  core::Outcome Run(const core::OperationSpec& spec, RecordingSink& sink) {
    return RunOp(*backend_, spec, sink);
  }

  // A copy of the Workstation Baseline GPO to a new name through migration table `table`.
  core::Outcome Copy(const std::string& table, bool table_only, RecordingSink& sink,
                     bool dry_run = false) {
    core::CopySpec spec;
    spec.dry_run = dry_run;
    spec.source.guid = kWorkstation;
    spec.new_display_name = "Copy " + std::to_string(++copies_) + " via " + table;
    spec.migration_table = table;
    spec.migration_table_only = table_only;
    return Run(spec, sink);
  }

  // The GPT folder of the GPO a copy made.
  fs::path GptOf(const core::Outcome& out) const {
    return store_.policies() / std::get<core::GpoInfo>(out.result).guid;
  }

  TestStore store_;
  std::unique_ptr<SysvolBackend> backend_;
  fs::path gpt_;

 private:
  int copies_ = 0;
};

}  // namespace gpop::sysvol::testing

#endif  // GPOP_TESTS_BACKENDS_SYSVOL_SYSVOL_TEST_FIXTURE_H_
