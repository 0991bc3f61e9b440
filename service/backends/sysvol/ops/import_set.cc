// The import-set operation (see import_set.h).

#include "service/backends/sysvol/ops/import_set.h"

#include <algorithm>
#include <map>
#include <utility>

#include "service/backends/sysvol/backup_reader.h"
#include "service/backends/sysvol/format/text_util.h"
#include "service/backends/sysvol/ops/import.h"
#include "service/backends/sysvol/ops/op_util.h"
#include "service/backends/sysvol/ops/restore.h"
#include "service/backends/sysvol/txn/recovery.h"
#include "service/core/mutex.h"

namespace gpop::sysvol {
namespace {

// Each backup's share of the overall progress.
constexpr int64_t kUnitsPerBackup = 1000;

// The intent (and operation) id of the import of backup `index` of the set `operation_id`.
constexpr char kMemberInfix[] = ".set-";
std::string MemberId(const std::string& operation_id, size_t index) {
  return operation_id + kMemberInfix + std::to_string(index);
}

// What one backup's import reports, turned into the set's: its progress becomes its share of
// the whole, its messages name the backup.
class MemberSink : public core::ProgressSink {
 public:
  MemberSink(core::ProgressSink& outer, size_t index, size_t count, std::string label)
      : outer_(outer), index_(index), count_(count), label_(std::move(label)) {}

  void Progress(int64_t numerator, int64_t denominator) override {
    int64_t done = static_cast<int64_t>(index_) * kUnitsPerBackup;
    if (denominator > 0) done += numerator * kUnitsPerBackup / denominator;
    outer_.Progress(done, static_cast<int64_t>(count_) * kUnitsPerBackup);
  }

  void Messages(std::vector<core::StatusMessage> messages,
                std::optional<uint32_t> hresult) override {
    for (core::StatusMessage& m : messages) m.message = label_ + ": " + m.message;
    outer_.Messages(std::move(messages), hresult);
  }

 private:
  core::ProgressSink& outer_;
  const size_t index_;
  const size_t count_;
  const std::string label_;
};

core::StatusMessage Info(std::string object_path, std::string message) {
  core::StatusMessage m;
  m.object_path = std::move(object_path);
  m.message = std::move(message);
  m.severity = core::Severity::kInfo;
  return m;
}

std::string Label(size_t index, size_t count, const core::ImportSpec& spec) {
  return "backup " + std::to_string(index + 1) + "/" + std::to_string(count) + " " +
         spec.backup.backup_id + " (\"" + spec.target.display_name + "\")";
}

size_t CountOf(const core::ImportSetResult& result, core::ImportSetOutcome outcome) {
  size_t n = 0;
  for (const core::ImportSetEntry& e : result.entries) n += e.outcome == outcome ? 1 : 0;
  return n;
}

// The test hold (SysvolConfig::test_import_set_hold_after): returns once `cancel` is cancelled
// (by a client or by the server's shutdown).
void HoldUntilCancelled(core::CancelToken& cancel) {
  struct Hold {
    core::Mutex mu;
    core::CondVar cv;
    bool cancelled GPOP_GUARDED_BY(mu) = false;
  } hold;
  const core::CancelToken::SubscriptionId subscription = cancel.Subscribe([&hold] {
    core::MutexLock lock(&hold.mu);
    hold.cancelled = true;
    hold.cv.SignalAll();
  });
  {
    core::MutexLock lock(&hold.mu);
    while (!hold.cancelled) hold.cv.Wait(&hold.mu);
  }
  cancel.Unsubscribe(subscription);
}

}  // namespace

core::Result<std::vector<core::ImportSpec>> ImportSetTargets(const BackendContext& ctx,
                                                             const core::ImportSetSpec& spec) {
  std::vector<core::ImportSpec> imports;
  std::map<std::string, std::string> backup_of_name;  // lower-case display name -> backup ID
  for (size_t i = 0; i < spec.backup_ids.size(); ++i) {
    const std::string field = "import_set.backup_ids[" + std::to_string(i) + "]";
    core::Result<OpenedBackup> backup =
        OpenBackup(ctx.locations, core::BackupRef{spec.location, spec.backup_ids[i]}, field);
    if (!backup.ok()) return backup.error();
    core::ImportSpec import;
    import.backup = {backup->location.name, backup->backup_id};
    import.target.display_name = backup->backup_xml.core.display_name;
    import.create_if_needed = true;
    import.migration_table = spec.migration_table;
    import.migration_table_only = spec.migration_table_only;
    import.safety_backup = spec.safety_backup;
    import.dry_run = spec.dry_run;
    if (import.target.display_name.empty()) {
      return core::MakeError(
          core::Code::kFailedPrecondition, core::reason::kCorruptFile,
          "backup " + backup->backup_id + ": Backup.xml names no GPO display name to import into",
          {{"backup_id", backup->backup_id}});
    }
    auto [it, inserted] =
        backup_of_name.emplace(internal::AsciiLower(import.target.display_name), backup->backup_id);
    if (!inserted) {
      return core::InvalidField(field, "is a backup of the GPO \"" + import.target.display_name +
                                           "\", as backup " + it->second +
                                           " is: one import set writes each GPO once");
    }
    imports.push_back(std::move(import));
  }
  return imports;
}

core::Outcome RunImportSet(const BackendContext& ctx, const std::string& operation_id,
                           const core::ImportSetSpec& spec, core::ProgressSink& sink,
                           core::CancelToken& cancel) {
  core::Result<std::vector<core::ImportSpec>> imports = ImportSetTargets(ctx, spec);
  if (!imports.ok()) return Failed(imports.error());
  const size_t count = imports->size();
  sink.Progress(0, static_cast<int64_t>(count) * kUnitsPerBackup);

  core::ImportSetResult result;
  bool unknown = false;
  for (size_t i = 0; i < count; ++i) {
    const core::ImportSpec& import = (*imports)[i];
    core::ImportSetEntry entry;
    entry.backup_id = import.backup.backup_id;
    entry.display_name = import.target.display_name;
    result.entries.push_back(std::move(entry));
  }

  // Every backup must hold every file it lists before any GPO of the set is written: an
  // incomplete one refuses the whole set, effects NONE.
  std::optional<core::Error> incomplete;
  size_t incomplete_count = 0;
  for (size_t i = 0; i < count; ++i) {
    const core::ImportSpec& import = (*imports)[i];
    core::Result<OpenedBackup> backup =
        OpenBackup(ctx.locations, import.backup, "import_set.backup_ids[" + std::to_string(i) + "]");
    if (!backup.ok()) return Failed(backup.error());
    MemberSink member_sink(sink, i, count, Label(i, count, import));
    if (core::Status s = CheckBackupComplete(*backup, member_sink); !s.ok()) {
      result.entries[i].outcome = core::ImportSetOutcome::kFailed;
      result.entries[i].error = s.error();
      if (!incomplete) incomplete = s.error();
      ++incomplete_count;
    }
  }
  if (incomplete) {
    for (core::ImportSetEntry& entry : result.entries) {
      if (entry.error) continue;
      entry.error = core::MakeError(core::Code::kFailedPrecondition, core::reason::kCorruptFile,
                                    "not started: another backup of the set is incomplete");
    }
    core::Error error = *incomplete;
    error.message = "import set refused: " + std::to_string(incomplete_count) + " of " +
                    std::to_string(count) + " backups are incomplete; no GPO was written; first: " +
                    error.message;
    core::Outcome outcome = Failed(std::move(error));
    outcome.result = std::move(result);
    return outcome;
  }

  for (size_t i = 0; i < count && !cancel.cancel_requested(); ++i) {
    const core::ImportSpec& import = (*imports)[i];
    core::ImportSetEntry& entry = result.entries[i];
    const std::string label = Label(i, count, import);
    // The import's own commit point: a cancel of the set reaches it until it passes it.
    core::CancelToken member;
    const core::CancelToken::SubscriptionId subscription =
        cancel.Subscribe([&member] { member.RequestCancel(); });
    MemberSink member_sink(sink, i, count, label);
    core::Outcome out = RunImport(ctx, MemberId(operation_id, i), import, member_sink, member);
    cancel.Unsubscribe(subscription);

    if (!out.error) {
      entry.outcome =
          import.dry_run ? core::ImportSetOutcome::kPredicted : core::ImportSetOutcome::kImported;
      if (auto* gpo = std::get_if<core::GpoInfo>(&out.result)) entry.gpo = std::move(*gpo);
      sink.Messages(
          {Info(import.backup.backup_id,
                label +
                    (import.dry_run ? ": would be imported into GPO " : ": imported into GPO ") +
                    entry.gpo.guid)},
          std::nullopt);
    } else if (out.error->code == core::Code::kCancelled && out.effects == core::Effects::kNone) {
      entry.outcome = core::ImportSetOutcome::kNotStarted;
      entry.error = out.error;
      sink.Messages({Info(import.backup.backup_id,
                          label + ": cancelled before its commit point; GPO untouched")},
                    std::nullopt);
    } else {
      entry.outcome = core::ImportSetOutcome::kFailed;
      entry.error = out.error;
      unknown = unknown || out.effects == core::Effects::kUnknown;
      core::StatusMessage m =
          Info(import.backup.backup_id, label + ": not imported (" + out.error->message + ")");
      m.severity = core::Severity::kWarning;
      sink.Messages({std::move(m)}, out.hresult);
    }
    sink.Progress(static_cast<int64_t>(i + 1) * kUnitsPerBackup,
                  static_cast<int64_t>(count) * kUnitsPerBackup);
    if (i + 1 == ctx.config.test_import_set_hold_after && i + 1 < count) HoldUntilCancelled(cancel);
  }
  for (core::ImportSetEntry& entry : result.entries) {
    if (entry.outcome == core::ImportSetOutcome::kNotStarted && !entry.error) {
      entry.error = CancelledError("import of backup " + entry.backup_id);
    }
  }

  const size_t imported = CountOf(result, core::ImportSetOutcome::kImported);
  const size_t failed = CountOf(result, core::ImportSetOutcome::kFailed);
  const size_t not_started = CountOf(result, core::ImportSetOutcome::kNotStarted);
  core::Outcome outcome;
  outcome.effects = unknown        ? core::Effects::kUnknown
                    : imported > 0 ? core::Effects::kApplied
                                   : core::Effects::kNone;
  const std::string tally = std::to_string(imported) + " of " + std::to_string(count) +
                            " backups imported, " + std::to_string(failed) + " failed, " +
                            std::to_string(not_started) + " not started";
  const std::map<std::string, std::string> counts = {{"imported", std::to_string(imported)},
                                                     {"failed", std::to_string(failed)},
                                                     {"not_started", std::to_string(not_started)}};
  if (cancel.cancel_requested() && not_started > 0) {
    outcome.error = core::MakeError(
        core::Code::kCancelled, core::reason::kCancelled,
        "import set cancelled: " + tally + "; every GPO is either untouched or fully imported",
        counts);
  } else if (failed > 0) {
    const core::ImportSetEntry* first = nullptr;
    for (const core::ImportSetEntry& e : result.entries) {
      if (e.outcome == core::ImportSetOutcome::kFailed) {
        first = &e;
        break;
      }
    }
    core::Error error = *first->error;
    error.message = "import set incomplete: " + tally + "; first failure, backup " +
                    first->backup_id + ": " + error.message;
    error.metadata.insert(counts.begin(), counts.end());
    error.metadata["backup_id"] = first->backup_id;
    outcome.error = std::move(error);
  }
  outcome.result = std::move(result);
  return outcome;
}

std::optional<core::Outcome> RecoverImportSet(const BackendContext& ctx,
                                              const std::string& operation_id) {
  core::ImportSetResult result;
  bool unresolved = false;
  // The members that recorded an intent, in the set's order (one range read: the engine asks
  // about every operation it recovers, most of which are no import set).
  const std::string prefix = operation_id + kMemberInfix;
  core::Result<std::vector<std::string>> ids = ctx.metadata.IntentIdsWithPrefix(prefix);
  if (!ids.ok()) {
    core::Outcome out;
    out.error = ids.error();
    out.effects = core::Effects::kUnknown;
    return out;
  }
  std::vector<std::pair<size_t, std::string>> members;
  for (std::string& id : *ids) {
    const std::string index = id.substr(prefix.size());
    if (index.empty() || index.size() > 4 ||
        index.find_first_not_of("0123456789") != std::string::npos) {
      continue;
    }
    members.emplace_back(std::stoul(index), std::move(id));
  }
  std::sort(members.begin(), members.end());
  for (const auto& [index, member] : members) {
    std::optional<core::Outcome> out = RecoverIntent(ctx, member);
    if (!out) continue;  // rolled back: that GPO is untouched
    if (out->error) {
      unresolved = true;
      continue;
    }
    core::ImportSetEntry entry;
    entry.outcome = core::ImportSetOutcome::kImported;
    if (auto* gpo = std::get_if<core::GpoInfo>(&out->result)) entry.gpo = std::move(*gpo);
    entry.display_name = entry.gpo.display_name;
    result.entries.push_back(std::move(entry));
  }
  if (result.entries.empty() && !unresolved) return std::nullopt;
  core::Outcome outcome;
  outcome.effects = unresolved ? core::Effects::kUnknown : core::Effects::kApplied;
  outcome.error = core::MakeError(
      core::Code::kAborted, core::reason::kServerRestarted,
      "the server restarted during the import set: " + std::to_string(result.entries.size()) +
          " GPOs were fully imported (listed in the result), the others are untouched" +
          (unresolved ? "; some imports could not be resolved yet (the next start retries)" : ""),
      {{"imported", std::to_string(result.entries.size())}});
  outcome.result = std::move(result);
  return outcome;
}

}  // namespace gpop::sysvol
