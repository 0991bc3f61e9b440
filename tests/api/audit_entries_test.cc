// Audit entries built from calls and terminal events: who, which GPOs with their versions, and
// the version before and after a restore or import.

#include "service/api/audit_entries.h"

#include "gtest/gtest.h"
#include "service/api/audit_api.h"
#include "service/api/auth/policy.h"
#include "service/audit/memory_audit_log.h"

namespace gpop::api {
namespace {

constexpr char kGuid[] = "{2F8E4D6C-9B1A-4E3F-8D7C-6B5A4F3E2D1C}";

core::GpoInfo Known(const std::string& guid, const std::string& name, uint32_t version) {
  core::GpoInfo info;
  info.guid = guid;
  info.display_name = name;
  info.version = version;
  return info;
}

TEST(AuditEntriesTest, GposGetTheirVersionByGuidOrName) {
  std::vector<core::GpoInfo> known = {Known(kGuid, "Server Hardening", 7)};
  std::vector<v1::AuditGpo> gpos = AuditGposOf(
      {core::GpoRef{"", "Server Hardening"},
       core::GpoRef{"{2f8e4d6c-9b1a-4e3f-8d7c-6b5a4f3e2d1c}", ""}, core::GpoRef{"", "Unknown"}},
      known);
  ASSERT_EQ(gpos.size(), 3u);
  EXPECT_EQ(gpos[0].guid(), kGuid);
  EXPECT_EQ(gpos[0].version(), 7u);
  EXPECT_EQ(gpos[1].display_name(), "Server Hardening");
  EXPECT_EQ(gpos[1].version(), 7u);
  EXPECT_EQ(gpos[2].display_name(), "Unknown");
  EXPECT_FALSE(gpos[2].has_version());
}

TEST(AuditEntriesTest, StartAndCallEntriesSayWhoAndWhat) {
  engine::OperationRecord record;
  record.id = "op-1";
  record.kind = core::OperationKind::kBackup;
  record.principal = "alice";
  record.request_id = "req-1";
  record.spec = core::BackupSpec{core::GpoRef{"", "Server Hardening"}, "default", ""};
  v1::StartOperationRequest request;
  request.set_request_id("req-1");
  v1::AuditEntry start =
      StartEntry("alice", record, request, AuditGposOf(ScopeOf(record).gpos, {}));
  EXPECT_EQ(start.action(), v1::AUDIT_ACTION_START);
  EXPECT_EQ(start.principal(), "alice");
  EXPECT_EQ(start.request().request_id(), "req-1");
  v1::AuditEntry cancel =
      CallEntry(v1::AUDIT_ACTION_CANCEL, "admin", record, engine::Time(std::chrono::seconds(5)),
                AuditGposOf(ScopeOf(record).gpos, {}));
  EXPECT_EQ(cancel.action(), v1::AUDIT_ACTION_CANCEL);
  EXPECT_EQ(cancel.principal(), "admin");
  EXPECT_EQ(cancel.time().seconds(), 5);
  ASSERT_EQ(cancel.gpos_size(), 1);
  EXPECT_EQ(cancel.gpos(0).display_name(), "Server Hardening");
}

engine::Event Terminal(core::OperationKind kind, core::OperationState state) {
  engine::Event event;
  event.operation_id = "op-1";
  event.kind = kind;
  event.state = state;
  event.revision = 42;
  event.effects =
      state == core::OperationState::kSucceeded ? core::Effects::kApplied : core::Effects::kNone;
  return event;
}

TEST(AuditEntriesTest, FinishOfAnImportCarriesTheVersionBeforeAndAfter) {
  v1::AuditEntry start;
  start.set_principal("alice");
  start.set_request_id("req-1");
  v1::AuditGpo* gpo = start.add_gpos();
  gpo->set_guid(kGuid);
  gpo->set_version(65537);
  engine::Event event = Terminal(core::OperationKind::kImport, core::OperationState::kSucceeded);
  event.result = Known("{2f8e4d6c-9b1a-4e3f-8d7c-6b5a4f3e2d1c}", "Server Hardening", 131074);
  v1::AuditEntry finish = FinishEntry(event, &start, nullptr);
  EXPECT_EQ(finish.action(), v1::AUDIT_ACTION_FINISH);
  EXPECT_EQ(finish.principal(), "alice");
  EXPECT_EQ(finish.request_id(), "req-1");
  EXPECT_EQ(finish.revision(), 42u);
  EXPECT_EQ(finish.effects(), v1::APPLIED);
  EXPECT_EQ(finish.from_version(), 65537u);
  EXPECT_EQ(finish.to_version(), 131074u);
  EXPECT_EQ(finish.result().gpo().guid(), "{2f8e4d6c-9b1a-4e3f-8d7c-6b5a4f3e2d1c}");
}

TEST(AuditEntriesTest, FinishOfACopyHasNoVersionBefore) {
  v1::AuditEntry start;
  start.add_gpos()->set_guid(kGuid);
  start.mutable_gpos(0)->set_version(3);
  engine::Event event = Terminal(core::OperationKind::kCopy, core::OperationState::kSucceeded);
  event.result = Known("{NEW}", "Copy", 1);
  v1::AuditEntry finish = FinishEntry(event, &start, nullptr);
  EXPECT_FALSE(finish.has_from_version());
  EXPECT_EQ(finish.to_version(), 1u);
}

TEST(AuditEntriesTest, FinishOfAFailureCarriesTheErrorAndNoVersions) {
  engine::Event event = Terminal(core::OperationKind::kRestore, core::OperationState::kFailed);
  event.error = core::MakeError(core::Code::kNotFound, core::reason::kGpoNotFound, "gone");
  engine::OperationRecord record;
  record.principal = "bob";
  v1::AuditEntry finish = FinishEntry(event, nullptr, &record);
  EXPECT_EQ(finish.principal(), "bob") << "from the record when no START entry exists";
  EXPECT_EQ(finish.state(), v1::FAILED);
  EXPECT_EQ(finish.effects(), v1::NONE);
  EXPECT_EQ(finish.error().code(), 5);
  EXPECT_FALSE(finish.has_to_version());
  EXPECT_FALSE(finish.has_result());
}

TEST(AuditEntriesTest, FinishOfAReportLeavesTheTextOut) {
  engine::Event event = Terminal(core::OperationKind::kReport, core::OperationState::kSucceeded);
  core::ReportInfo report;
  report.format = core::ReportFormat::kHtml;
  report.content = std::string(1 << 20, 'x');
  event.result = report;
  v1::AuditEntry finish = FinishEntry(event, nullptr, nullptr);
  EXPECT_TRUE(finish.result().has_report());
  EXPECT_TRUE(finish.result().report().content().empty());
}

TEST(AuditApiTest, SaysHowFarALogWithACapDroppedItsOldestEntries) {
  audit::MemoryAuditLog log(/*max_entries=*/3);
  AuditApi api(&log, std::string(32, 'k'));
  auto append = [&log](int n) {
    for (int i = 0; i < n; ++i) {
      v1::AuditEntry entry;
      entry.set_action(v1::AUDIT_ACTION_START);
      entry.set_operation_id("op-" + std::to_string(i));
      ASSERT_TRUE(log.Append(&entry).ok());
    }
  };
  append(2);
  absl::StatusOr<v1::ListAuditEntriesResponse> page =
      api.ListAuditEntries(Principal::LocalAdmin(), v1::ListAuditEntriesRequest());
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->dropped_through_sequence(), 0u);
  append(3);  // 5 written, the newest 3 held
  page = api.ListAuditEntries(Principal::LocalAdmin(), v1::ListAuditEntriesRequest());
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->dropped_through_sequence(), 2u);
  ASSERT_EQ(page->entries_size(), 3);
  EXPECT_EQ(page->entries(0).sequence(), 3u);
}

}  // namespace
}  // namespace gpop::api
