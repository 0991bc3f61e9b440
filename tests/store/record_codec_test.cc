// The durable record codec keeps every field of restore, import and copy specs and of GpoInfo
// results (a queued dry run must come back as a dry run after a restart, never as a real run),
// and still reads version-1 bytes.

#include "service/store/record_codec.h"

#include <gtest/gtest.h>

#include <utility>
#include <variant>

namespace gpop::store {
namespace {

engine::OperationRecord Record(core::OperationSpec spec) {
  engine::OperationRecord r;
  r.id = "op-1";
  r.kind = core::KindOf(spec);
  r.state = core::OperationState::kQueued;
  r.spec = std::move(spec);
  r.last_sequence = 1;
  r.revision = 1;
  return r;
}

// Every kind, in a record and in an event, reads back as itself: a reader whose range check
// lagged behind a new kind refused that kind's records and events as DATA_LOSS.
template <size_t... I>
void EveryKindRoundTrips(std::index_sequence<I...>) {
  (
      [] {
        core::OperationSpec spec(std::in_place_index<I>);
        const core::OperationKind kind = core::KindOf(spec);
        auto record = DecodeRecord(EncodeRecord(Record(spec)));
        ASSERT_TRUE(record.ok()) << "kind " << static_cast<int>(kind) << ": " << record.status();
        EXPECT_EQ(record->kind, kind);
        engine::Event event;
        event.operation_id = "op-1";
        event.sequence = 1;
        event.kind = kind;
        auto back = DecodeEvent(EncodeEvent(event));
        ASSERT_TRUE(back.ok()) << "kind " << static_cast<int>(kind) << ": " << back.status();
        EXPECT_EQ(back->kind, kind);
      }(),
      ...);
}

TEST(RecordCodecTest, EveryKindRoundTripsInRecordsAndEvents) {
  EveryKindRoundTrips(std::make_index_sequence<std::variant_size_v<core::OperationSpec>>());
}

TEST(RecordCodecTest, DryRunAndSafetyFieldsSurvive) {
  core::RestoreSpec restore;
  restore.backup.backup_id = "{B}";
  restore.safety_backup = false;
  restore.dry_run = true;
  restore.dry_run_report = true;
  core::ImportSpec import;
  import.backup.backup_id = "{B}";
  import.target.display_name = "N";
  import.create_if_needed = true;
  import.safety_backup = false;
  import.dry_run = true;
  core::CopySpec copy;
  copy.source.guid = "{G}";
  copy.new_display_name = "C";
  copy.dry_run = true;
  copy.dry_run_report = true;
  for (const core::OperationSpec& spec :
       {core::OperationSpec(restore), core::OperationSpec(import), core::OperationSpec(copy)}) {
    auto back = DecodeRecord(EncodeRecord(Record(spec)));
    ASSERT_TRUE(back.ok()) << back.status();
    if (const auto* r = std::get_if<core::RestoreSpec>(&back->spec)) {
      EXPECT_FALSE(r->safety_backup);
      EXPECT_TRUE(r->dry_run);
      EXPECT_TRUE(r->dry_run_report);
    } else if (const auto* i = std::get_if<core::ImportSpec>(&back->spec)) {
      EXPECT_FALSE(i->safety_backup);
      EXPECT_TRUE(i->dry_run);
      EXPECT_FALSE(i->dry_run_report);
    } else {
      const auto& c = std::get<core::CopySpec>(back->spec);
      EXPECT_TRUE(c.dry_run);
      EXPECT_TRUE(c.dry_run_report);
    }
  }
}

TEST(RecordCodecTest, ReportDaclOptionSurvives) {
  core::ReportSpec report;
  report.subject = core::BackupRef{"", "{B}"};
  report.format = core::ReportFormat::kMigrationTable;
  report.include_dacl_principals = true;
  auto back = DecodeRecord(EncodeRecord(Record(report)));
  ASSERT_TRUE(back.ok()) << back.status();
  const auto& r = std::get<core::ReportSpec>(back->spec);
  EXPECT_EQ(r.format, core::ReportFormat::kMigrationTable);
  EXPECT_TRUE(r.include_dacl_principals);
}

TEST(RecordCodecTest, GpoResultFieldsSurvive) {
  engine::OperationRecord r = Record(core::RestoreSpec{});
  core::GpoInfo gpo;
  gpo.guid = "{G}";
  gpo.safety_backup_id = "{S}";
  gpo.dry_run = true;
  gpo.predicted_changes = {{"Computer", "Registry", "Policy X", "", "Enabled"},
                           {"User", "Scripts", "Logon #1", "a.cmd", ""}};
  gpo.dry_run_report = "<!DOCTYPE html>";
  r.result = gpo;
  auto back = DecodeRecord(EncodeRecord(r));
  ASSERT_TRUE(back.ok()) << back.status();
  const auto& out = std::get<core::GpoInfo>(back->result);
  EXPECT_EQ(out.safety_backup_id, "{S}");
  EXPECT_TRUE(out.dry_run);
  EXPECT_EQ(out.predicted_changes, gpo.predicted_changes);
  EXPECT_EQ(out.dry_run_report, gpo.dry_run_report);
}

TEST(RecordCodecTest, VersionOneBytesAreStillRead) {
  // A version-1 record of a queued restore: version, id, kind, state, spec (index 1, backup
  // ref), then the rest of an empty record.
  std::string bytes;
  bytes += '\x01';
  bytes += '\x04';
  bytes += "op-1";
  bytes += '\x02';  // kind restore
  bytes += '\x01';  // state queued
  bytes += '\x01';  // spec index: restore
  bytes += '\x00';  // location ""
  bytes += '\x03';
  bytes += "{B}";
  const std::string rest = EncodeRecord(Record(core::RestoreSpec{}));
  // Everything after the restore spec (location, id, 3 flags) is the same in v1, up to the
  // cancelled_by string that v3 added last (empty here: one byte).
  const std::string current_prefix = std::string("\x04\x04op-1\x02\x01\x01\x00\x00", 11);
  ASSERT_EQ(rest.substr(0, current_prefix.size()), current_prefix);
  ASSERT_EQ(rest.back(), '\x00');
  // Skip safety_backup, dry_run, dry_run_report; drop cancelled_by.
  bytes += rest.substr(current_prefix.size() + 3, rest.size() - current_prefix.size() - 3 - 1);
  auto back = DecodeRecord(bytes);
  ASSERT_TRUE(back.ok()) << back.status();
  const auto& spec = std::get<core::RestoreSpec>(back->spec);
  EXPECT_EQ(spec.backup.backup_id, "{B}");
  EXPECT_TRUE(spec.safety_backup);
  EXPECT_FALSE(spec.dry_run);
  EXPECT_EQ(back->cancelled_by, "");
  std::string future = EncodeRecord(Record(core::RestoreSpec{}));
  future[0] = static_cast<char>(future[0] + 1);  // one past the newest version
  EXPECT_FALSE(DecodeRecord(future).ok());
}

TEST(RecordCodecTest, CancelledByRoundTrips) {
  engine::OperationRecord rec = Record(core::BackupSpec{});
  rec.cancel_requested = true;
  rec.cancelled_by = "carol";
  auto back = DecodeRecord(EncodeRecord(rec));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(back->cancel_requested);
  EXPECT_EQ(back->cancelled_by, "carol");
}

// An import set's spec and its result (every outcome, the GPO written, the error with its
// metadata and HRESULT) come back field for field, also on a FAILED record: the result says
// which GPOs were imported.

TEST(RecordCodecTest, ImportSetSpecAndResultRoundTrip) {
  core::ImportSetSpec spec;
  spec.location = "incoming";
  spec.backup_ids = {"{B1}", "{B2}", "{B3}", "{B4}"};
  spec.migration_table = "baseline";
  spec.migration_table_only = true;
  spec.safety_backup = false;
  spec.dry_run = true;
  engine::OperationRecord rec = Record(spec);
  rec.state = core::OperationState::kFailed;
  ASSERT_EQ(rec.kind, core::OperationKind::kImportSet);

  core::ImportSetResult result;
  core::ImportSetEntry imported;
  imported.backup_id = "{B1}";
  imported.display_name = "Baseline - Computer";
  imported.outcome = core::ImportSetOutcome::kImported;
  imported.gpo.guid = "{G1}";
  imported.gpo.display_name = "Baseline - Computer";
  imported.gpo.version = (3u << 16) | 7u;
  imported.gpo.safety_backup_id = "{S1}";
  core::ImportSetEntry predicted;
  predicted.backup_id = "{B2}";
  predicted.display_name = "Baseline - User";
  predicted.outcome = core::ImportSetOutcome::kPredicted;
  predicted.gpo.guid = "{G2}";
  predicted.gpo.dry_run = true;
  predicted.gpo.predicted_changes = {{"User", "Registry", "Policy Y", "", "Enabled"}};
  core::ImportSetEntry failed;
  failed.backup_id = "{B3}";
  failed.display_name = "Baseline - Broken";
  failed.outcome = core::ImportSetOutcome::kFailed;
  failed.error = core::MakeError(core::Code::kFailedPrecondition, "CORRUPT_FILE", "bad registry.pol",
                                 {{"backup_id", "{B3}"}});
  failed.error->hresult = 0x8007000Du;
  core::ImportSetEntry not_started;
  not_started.backup_id = "{B4}";
  not_started.display_name = "Baseline - Later";
  not_started.outcome = core::ImportSetOutcome::kNotStarted;
  not_started.error = core::MakeError(core::Code::kCancelled, "CANCELLED", "not started");
  result.entries = {imported, predicted, failed, not_started};
  rec.result = result;
  rec.error = core::MakeError(core::Code::kFailedPrecondition, "CORRUPT_FILE", "incomplete",
                              {{"imported", "1"}});
  rec.effects = core::Effects::kApplied;

  auto back = DecodeRecord(EncodeRecord(rec));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->kind, core::OperationKind::kImportSet);
  EXPECT_EQ(back->state, core::OperationState::kFailed);
  const auto* s = std::get_if<core::ImportSetSpec>(&back->spec);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->location, "incoming");
  EXPECT_EQ(s->backup_ids, spec.backup_ids);
  EXPECT_EQ(s->migration_table, "baseline");
  EXPECT_TRUE(s->migration_table_only);
  EXPECT_FALSE(s->safety_backup);
  EXPECT_TRUE(s->dry_run);

  const auto* r = std::get_if<core::ImportSetResult>(&back->result);
  ASSERT_NE(r, nullptr);
  ASSERT_EQ(r->entries.size(), 4u);
  for (size_t i = 0; i < 4; ++i) {
    const core::ImportSetEntry& want = result.entries[i];
    const core::ImportSetEntry& got = r->entries[i];
    EXPECT_EQ(got.backup_id, want.backup_id) << i;
    EXPECT_EQ(got.display_name, want.display_name) << i;
    EXPECT_EQ(got.outcome, want.outcome) << i;
    EXPECT_EQ(got.gpo.guid, want.gpo.guid) << i;
    EXPECT_EQ(got.gpo.display_name, want.gpo.display_name) << i;
    EXPECT_EQ(got.gpo.version, want.gpo.version) << i;
    EXPECT_EQ(got.gpo.safety_backup_id, want.gpo.safety_backup_id) << i;
    EXPECT_EQ(got.gpo.dry_run, want.gpo.dry_run) << i;
    EXPECT_EQ(got.gpo.predicted_changes, want.gpo.predicted_changes) << i;
    ASSERT_EQ(got.error.has_value(), want.error.has_value()) << i;
    if (want.error) {
      EXPECT_EQ(got.error->code, want.error->code) << i;
      EXPECT_EQ(got.error->reason, want.error->reason) << i;
      EXPECT_EQ(got.error->message, want.error->message) << i;
      EXPECT_EQ(got.error->hresult, want.error->hresult) << i;
      EXPECT_EQ(got.error->metadata, want.error->metadata) << i;
    }
  }
  ASSERT_TRUE(back->error.has_value());
  EXPECT_EQ(back->error->metadata.at("imported"), "1");
}

// An empty set result (an import set that failed before its first backup) stays an import-set
// result, not "no result".
TEST(RecordCodecTest, EmptyImportSetResultStaysAnImportSetResult) {
  engine::OperationRecord rec = Record(core::ImportSetSpec{"", {"{B}"}, "", false, true, false});
  rec.state = core::OperationState::kCancelled;
  rec.result = core::ImportSetResult{};
  auto back = DecodeRecord(EncodeRecord(rec));
  ASSERT_TRUE(back.ok()) << back.status();
  ASSERT_TRUE(std::holds_alternative<core::ImportSetResult>(back->result));
  EXPECT_TRUE(std::get<core::ImportSetResult>(back->result).entries.empty());
  EXPECT_TRUE(std::get<core::ImportSetSpec>(back->spec).safety_backup);
}

}  // namespace
}  // namespace gpop::store
