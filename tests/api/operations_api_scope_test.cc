// OperationsApi's scope of an operation being started, against the grants: an import set's
// targets are the GPOs named as its backups' GPOs (created when missing), so restore-and-import
// rules (default domain GPOs: admin only; GPO-scoped grants) apply to each of them.

#include <gtest/gtest.h>

#include <memory>
#include <variant>
#include <vector>

#include "service/api/auth/principal.h"
#include "service/api/operations_api.h"
#include "service/audit/memory_audit_log.h"
#include "service/backends/synthetic/synthetic_backend.h"
#include "service/engine/clock.h"
#include "service/engine/engine.h"
#include "service/store/memory_store.h"
#include "tests/engine/cursor_testing.h"

namespace gpop::api {
namespace {

constexpr char kDefaultDomainBackup[] = "{0A3F5C4E-0000-4000-8000-000000000001}";
constexpr char kDefaultControllersBackup[] = "{0A3F5C4E-0000-4000-8000-000000000002}";
constexpr char kFinanceBackup[] = "{0A3F5C4E-0000-4000-8000-000000000003}";

// The synthetic backend with a backup set in its default location: one backup of each default
// domain GPO and one of a Finance GPO.
class SetBackend final : public core::Backend {
 public:
  std::string name() const override { return "set"; }
  core::Status Validate(const core::OperationSpec& spec) const override {
    return synthetic_.Validate(spec);
  }
  std::vector<core::ResourceClaim> Claims(const core::OperationSpec& spec) const override {
    return synthetic_.Claims(spec);
  }
  core::Outcome Run(const core::RunRequest& request, core::ProgressSink& sink,
                    core::CancelToken& cancel) override {
    return synthetic_.Run(request, sink, cancel);
  }
  core::Result<std::vector<core::GpoInfo>> ListGpos() const override {
    return synthetic_.ListGpos();
  }
  core::Result<std::vector<core::BackupInfo>> ListBackups(
      const core::Backend::BackupQuery&) const override {
    std::vector<core::BackupInfo> backups(3);
    backups[0].backup_id = kDefaultDomainBackup;
    backups[0].gpo_guid = "{31B2F340-016D-11D2-945F-00C04FB984F9}";
    backups[0].gpo_display_name = "Default Domain Policy";
    backups[1].backup_id = kDefaultControllersBackup;
    backups[1].gpo_guid = "{6AC1786C-016F-11D2-945F-00C04FB984F9}";
    backups[1].gpo_display_name = "Default Domain Controllers Policy";
    backups[2].backup_id = kFinanceBackup;
    backups[2].gpo_guid = "{9C1A7B52-2F44-4E0B-9D33-5B7E1E0C0F11}";
    backups[2].gpo_display_name = "Finance Baseline";
    return backups;
  }

 private:
  synthetic::SyntheticBackend synthetic_;
};

Principal With(const std::string& name, Grant grant) {
  Principal p;
  p.name = name;
  p.grants.push_back(std::move(grant));
  return p;
}

v1::StartOperationRequest ImportSet(std::vector<std::string> backup_ids) {
  v1::StartOperationRequest request;
  for (const std::string& id : backup_ids) {
    request.mutable_spec()->mutable_import_set()->add_backup_ids(id);
  }
  return request;
}

class OperationsApiScopeTest : public ::testing::Test {
 protected:
  OperationsApiScopeTest() : engine_({}, &backend_, &store_, &clock_), api_(&engine_, &backend_, {}) {
    EXPECT_TRUE(engine_.Recover().ok());
  }

  SetBackend backend_;
  store::MemoryStore store_;
  engine::FakeClock clock_;
  engine::Engine engine_;
  OperationsApi api_;
};

TEST_F(OperationsApiScopeTest, ImportSetIntoADefaultDomainGpoNeedsAdmin) {
  const Principal op = With("op", Grant{Role::kOperator, {}, {}, {}});
  const Principal admin = With("admin", Grant{Role::kAdmin, {}, {}, {}});
  for (const char* id : {kDefaultDomainBackup, kDefaultControllersBackup}) {
    absl::StatusOr<v1::Operation> refused = api_.StartOperation(op, ImportSet({kFinanceBackup, id}));
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kPermissionDenied) << id;
  }
  EXPECT_TRUE(api_.StartOperation(op, ImportSet({kFinanceBackup})).ok());
  absl::StatusOr<v1::Operation> by_admin =
      api_.StartOperation(admin, ImportSet({kDefaultDomainBackup, kDefaultControllersBackup}));
  EXPECT_TRUE(by_admin.ok()) << by_admin.status();
}

TEST_F(OperationsApiScopeTest, ImportSetTargetsMeetGpoScopedGrants) {
  const Principal finance = With("fin", Grant{Role::kOperator, {}, {"Finance *"}, {}});
  EXPECT_TRUE(api_.StartOperation(finance, ImportSet({kFinanceBackup})).ok());
  // A backup whose GPO is outside the grant makes the whole set outside it.
  const Principal admin_of_finance = With("fin-admin", Grant{Role::kAdmin, {}, {"Finance *"}, {}});
  EXPECT_EQ(api_.StartOperation(admin_of_finance, ImportSet({kFinanceBackup, kDefaultDomainBackup}))
                .status()
                .code(),
            absl::StatusCode::kPermissionDenied);
}

// Issue #8: a stored import set's targets are recomputed on lookup, so that a GPO-scoped viewer
// sees (Get, List) the import sets into its GPOs, and only those.
TEST_F(OperationsApiScopeTest, GpoScopedViewersSeeImportSetsIntoTheirGpos) {
  const Principal admin = With("admin", Grant{Role::kAdmin, {}, {}, {}});
  absl::StatusOr<v1::Operation> finance = api_.StartOperation(admin, ImportSet({kFinanceBackup}));
  ASSERT_TRUE(finance.ok()) << finance.status();
  absl::StatusOr<v1::Operation> defaults =
      api_.StartOperation(admin, ImportSet({kDefaultDomainBackup}));
  ASSERT_TRUE(defaults.ok()) << defaults.status();

  const Principal finance_viewer = With("fin-view", Grant{Role::kViewer, {}, {"Finance *"}, {}});
  v1::GetOperationRequest get;
  get.set_operation_id(finance->id());
  absl::StatusOr<v1::Operation> seen = api_.GetOperation(finance_viewer, get);
  ASSERT_TRUE(seen.ok()) << seen.status();
  EXPECT_EQ(seen->id(), finance->id());
  get.set_operation_id(defaults->id());
  EXPECT_EQ(api_.GetOperation(finance_viewer, get).status().code(),
            absl::StatusCode::kPermissionDenied);

  absl::StatusOr<v1::ListOperationsResponse> listed =
      api_.ListOperations(finance_viewer, v1::ListOperationsRequest());
  ASSERT_TRUE(listed.ok()) << listed.status();
  ASSERT_EQ(listed->operations_size(), 1);
  EXPECT_EQ(listed->operations(0).id(), finance->id());

  // A viewer of other GPOs sees neither.
  const Principal hr_viewer = With("hr-view", Grant{Role::kViewer, {}, {"HR *"}, {}});
  get.set_operation_id(finance->id());
  EXPECT_EQ(api_.GetOperation(hr_viewer, get).status().code(),
            absl::StatusCode::kPermissionDenied);
  listed = api_.ListOperations(hr_viewer, v1::ListOperationsRequest());
  ASSERT_TRUE(listed.ok()) << listed.status();
  EXPECT_EQ(listed->operations_size(), 0);
}

// CANCEL and DELETE audit entries of an import set name its target GPOs, as its START does
// (the spec names none itself: they are resolved from the set's backups).
TEST(OperationsApiAuditTest, CancelAndDeleteOfAnImportSetNameItsGpos) {
  SetBackend backend;
  store::MemoryStore store;
  engine::FakeClock clock;
  engine::Engine engine({}, &backend, &store, &clock);
  ASSERT_TRUE(engine.Recover().ok());
  audit::MemoryAuditLog log;
  ServiceOptions options;
  options.audit_log = &log;
  OperationsApi api(&engine, &backend, options);
  const Principal admin = With("admin", Grant{Role::kAdmin, {}, {}, {}});
  absl::StatusOr<v1::Operation> started = api.StartOperation(admin, ImportSet({kFinanceBackup}));
  ASSERT_TRUE(started.ok()) << started.status();
  ASSERT_TRUE(api.CancelOperation(admin, started->id()).ok());
  // To its end, so that it may be deleted: its status stream's last item is the terminal event.
  absl::StatusOr<std::unique_ptr<engine::Cursor>> cursor =
      api.OpenStatusCursor(admin, started->id(), 0);
  ASSERT_TRUE(cursor.ok()) << cursor.status();
  while (std::holds_alternative<engine::StreamItem>(gpop::testing::NextBlocking(cursor->get()))) {
  }
  ASSERT_TRUE(api.DeleteOperation(admin, started->id()).ok());
  for (v1::AuditAction action : {v1::AUDIT_ACTION_START, v1::AUDIT_ACTION_CANCEL,
                                 v1::AUDIT_ACTION_DELETE}) {
    audit::AuditQuery query;
    query.operation_id = started->id();
    query.action = action;
    absl::StatusOr<std::vector<v1::AuditEntry>> entries = log.List(query);
    ASSERT_TRUE(entries.ok()) << entries.status();
    ASSERT_EQ(entries->size(), 1u) << v1::AuditAction_Name(action);
    ASSERT_EQ((*entries)[0].gpos_size(), 1) << v1::AuditAction_Name(action);
    EXPECT_EQ((*entries)[0].gpos(0).display_name(), "Finance Baseline") << v1::AuditAction_Name(action);
  }
  engine.Shutdown(engine::Duration::zero());
}

}  // namespace
}  // namespace gpop::api
