// Staging and publishing a GPO (see gpo_writer.h).

#include "service/backends/sysvol/ops/gpo_writer.h"

#include <algorithm>
#include <chrono>

#include "service/backends/sysvol/backup_folder.h"
#include "service/backends/sysvol/format/comments.h"
#include "service/backends/sysvol/format/gpt_ini.h"
#include "service/backends/sysvol/format/report_html.h"
#include "service/backends/sysvol/format/text_util.h"
#include "service/backends/sysvol/gpt_copy.h"
#include "service/backends/sysvol/ops/backup.h"
#include "service/backends/sysvol/ops/dry_run.h"
#include "service/backends/sysvol/ops/op_util.h"
#include "service/backends/sysvol/txn/gpo_publish.h"
#include "service/backends/sysvol/txn/intent_kinds.h"
#include "service/backends/sysvol/txn/staging.h"

namespace gpop::sysvol {
namespace {

constexpr int kPublishRetries = 2;

}  // namespace

uint32_t NextVersion(std::initializer_list<uint32_t> versions) {
  uint32_t user = 0;
  uint32_t computer = 0;
  for (uint32_t v : versions) {
    user = std::max(user, v >> 16);
    computer = std::max(computer, v & 0xFFFFu);
  }
  user = std::min<uint32_t>(user + 1, 0xFFFFu);
  computer = std::min<uint32_t>(computer + 1, 0xFFFFu);
  return (user << 16) | computer;
}

core::Outcome WriteGpo(const BackendContext& ctx, const std::string& operation_id,
                       const GpoWritePlan& plan, core::ProgressSink& sink,
                       core::CancelToken& cancel) {
  core::Result<Dir> policies = ctx.store.OpenPolicies();
  if (!policies.ok()) return Failed(policies.error());
  Intent intent;
  intent.operation_id = operation_id;
  intent.kind = kIntentGpoWrite;
  intent.root = "policies";
  intent.staging = NewStagingName();
  intent.fields = GpoIntentFields(plan.target);
  intent.fields["domain"] = ctx.config.domain;
  intent.fields["safety_backup_id"] = plan.safety_backup_id;
  // A dry run publishes nothing and changes nothing, the metadata store included: it records
  // no intent (a staging folder a crash leaves is removed at the next start, owned by none).
  if (!plan.dry_run) {
    if (core::Status s = ctx.metadata.RecordIntent(intent); !s.ok()) return Failed(s.error());
  }
  const auto discard = [&]() -> core::Status {
    if (!plan.dry_run) return RollBackGpoWrite(ctx, intent);
    return RemoveStaging(*policies, intent.staging);
  };
  auto abort = [&](core::Error error) {
    (void)discard();
    if (error.code == core::Code::kCancelled) error = CancelledError(plan.what);
    return Failed(std::move(error));
  };

  core::Result<StagingDirs> dirs = MakeStagingFolder(*policies, intent.staging);
  if (!dirs.ok()) return abort(dirs.error());
  const Dir* const staging_root = &dirs->area;
  const Dir* const staging = &dirs->folder;
  core::Result<Dir> gpt = staging->MakeSubdir(kStagedNewGpt);
  if (!gpt.ok()) return abort(gpt.error());

  const int64_t total =
      (plan.tree ? static_cast<int64_t>(plan.tree->total_bytes + plan.tree->entries.size()) : 0) +
      3;
  CopyProgress progress(sink, cancel, total);
  progress.Start();
  if (plan.source != nullptr && plan.tree != nullptr) {
    if (core::Status s = CopyGptSides(*plan.source, *plan.tree, *gpt, progress, plan.skip);
        !s.ok()) {
      return abort(s.error());
    }
    for (const auto& [path, bytes] : plan.replacements) {
      std::vector<std::string> parts = internal::Split(path, '/');
      core::Result<Dir> dir = gpt->OpenSubdir(parts.front());
      for (size_t i = 1; dir.ok() && i + 1 < parts.size(); ++i) dir = dir->OpenSubdir(parts[i]);
      if (!dir.ok()) return abort(dir.error());
      if (core::Status s = dir->WriteFile(parts.back(), bytes); !s.ok()) return abort(s.error());
    }
    if (plan.copy_gpo_comment) {
      core::Result<std::optional<DirEntry>> cmt = plan.source->FindNoCase(kGpoCommentFile);
      if (!cmt.ok()) return abort(cmt.error());
      if (*cmt && (*cmt)->type == EntryType::kFile) {
        core::Status s = plan.source->CopyFileTo((*cmt)->name, *gpt, kGpoCommentFile,
                                                 [&](uint64_t) { return !progress.Cancelled(); });
        if (!s.ok()) return abort(s.error());
      }
    }
  }
  // Both sides exist in a live GPT, as GPMC creates them.
  for (const char* side : {"Machine", "User"}) {
    core::Result<Dir> d = gpt->MakeSubdir(side);
    if (!d.ok()) return abort(d.error());
    if (core::Status s = d->Sync(); !s.ok()) return abort(s.error());
  }
  GptIni ini;
  ini.version = plan.sysvol_version;
  ini.display_name = plan.target.display_name;
  if (core::Status s = gpt->WriteFile("GPT.INI", WriteGptIni(ini)); !s.ok()) {
    return abort(s.error());
  }
  progress.Advance(1);
  for (const Dir* d : {static_cast<const Dir*>(&*gpt), staging, staging_root}) {
    if (core::Status s = d->Sync(); !s.ok()) return abort(s.error());
  }
  progress.Advance(1);
  if (progress.Cancelled()) return abort(CancelledError(plan.what));
  if (plan.dry_run) {
    // The prediction is read from the very files the real run would publish.
    core::Result<GptSettings> after = ReadGptSettings(*gpt);
    if (!after.ok()) return abort(after.error());
    GptSettings before_settings;
    // A live settings file that cannot be read is what a restore repairs: the diff takes its
    // settings as none (the prediction shows the new ones written), and says so.
    std::vector<core::StatusMessage> warnings;
    if (plan.live != nullptr) {
      std::vector<core::Error> corrupt;
      core::Result<GptSettings> before = ReadGptSettings(*plan.live, &corrupt);
      if (!before.ok()) return abort(before.error());
      before_settings = std::move(*before);
      for (const core::Error& e : corrupt) {
        warnings.push_back(Warning(e.metadata.at("file"),
                                   e.message + "; the " + plan.what +
                                       " replaces this file, so the predicted changes take its "
                                       "current settings as none"));
      }
    }
    LoadedAdmx admx = ctx.admx.Load(*policies);
    // What the real run's report would warn about, so that the dry run shows it too.
    std::vector<core::StatusMessage> after_warnings = SettingsWarnings(*after, gpt->display());
    warnings.insert(warnings.end(), after_warnings.begin(), after_warnings.end());
    warnings.insert(warnings.end(), admx.warnings.begin(), admx.warnings.end());
    if (!warnings.empty()) sink.Messages(warnings, std::nullopt);
    const ReportIdentity identity;  // identities are not compared
    core::GpoInfo info = GpoInfoFromIntent(intent);
    info.dry_run = true;
    info.predicted_changes = DiffReports(MakeReport(identity, before_settings, admx.catalog.get()),
                                         MakeReport(identity, *after, admx.catalog.get()));
    if (plan.dry_run_report) {
      core::Result<std::vector<DryRunFileChange>> files = DiffGptFiles(plan.live, *gpt);
      if (!files.ok()) return abort(files.error());
      ReportIdentity target;
      target.guid = info.guid;
      target.domain = info.domain;
      target.name = info.display_name;
      target.created_time = TimeText(info.created);
      target.modified_time = TimeText(info.modified);
      target.read_time = TimeText(std::chrono::system_clock::now());
      target.directory_version = info.version;
      target.sysvol_version = plan.sysvol_version;
      target.flags = info.flags;
      const DryRunChanges changes{plan.what, info.predicted_changes, std::move(*files)};
      info.dry_run_report =
          RenderReportHtml(MakeReport(target, *after, admx.catalog.get()), &changes);
    }
    if (core::Status s = discard(); !s.ok()) return Failed(s.error());
    progress.Advance(1);
    core::Outcome out;
    out.effects = core::Effects::kNone;
    out.result = std::move(info);
    return out;
  }
  if (ctx.faults.Fault(FaultPoint::kAfterStaging)) return InjectedCrash();

  // The commit point.
  if (!cancel.BeginCommit()) return abort(CancelledError(plan.what));
  if (core::Status s = ctx.metadata.SetIntentState(intent.operation_id, IntentState::kCommitting);
      !s.ok()) {
    return abort(s.error());
  }
  intent.state = IntentState::kCommitting;
  if (ctx.faults.Fault(FaultPoint::kAfterCommitRecord)) return InjectedCrash();
  bool crashed = false;
  core::Status published = RollForwardGpoWrite(ctx, intent, &crashed);
  for (int i = 0; i < kPublishRetries && !published.ok() && !crashed; ++i) {
    published = RollForwardGpoWrite(ctx, intent, &crashed);
  }
  if (crashed) return InjectedCrash();
  if (!published.ok()) {
    // The intent stays COMMITTING either way: the next start finishes the publish.
    if (!GpoWritePublished(ctx, intent)) return Failed(published.error(), core::Effects::kUnknown);
    // The new settings are live (clients read them); what failed is bookkeeping that the next
    // start completes (the container half, the intent's DONE mark). Report what is true.
    sink.Messages(
        {Warning(intent.fields["gpo_guid"],
                 "the new settings are published, but finishing the " + plan.what + " failed (" +
                     published.error().message + "); gpop completes it at the next start")},
        std::nullopt);
  }
  progress.Advance(1);
  core::Outcome out;
  out.effects = core::Effects::kApplied;
  core::GpoInfo info = GpoInfoFromIntent(intent);
  info.safety_backup_id = plan.safety_backup_id;
  out.result = info;
  return out;
}

core::Outcome OverwriteGpo(const BackendContext& ctx, const std::string& operation_id,
                           GpoWritePlan plan, const GpoEntry* existing, bool safety_backup,
                           const std::string& location, const std::string& why,
                           core::ProgressSink& sink, core::CancelToken& cancel) {
  std::optional<Dir> live_gpt;
  if (existing != nullptr) {
    core::Result<Dir> policies = ctx.store.OpenPolicies();
    if (!policies.ok()) return Failed(policies.error());
    core::Result<Dir> gpt = ctx.store.OpenGpt(*policies, *existing);
    if (!gpt.ok()) return Failed(gpt.error());
    live_gpt = std::move(*gpt);
    plan.live = &*live_gpt;
    if (safety_backup && !plan.dry_run) {
      core::Effects backup_effects = core::Effects::kNone;
      core::Result<std::string> safety =
          TakeSafetyBackup(ctx, operation_id, *existing, location, why, sink, &backup_effects);
      // Effects are the target GPO's (README, "Effects of a GPO write"): it is untouched. A
      // safety backup whose publish the next start may finish is said, not counted.
      if (!safety.ok()) {
        if (backup_effects != core::Effects::kNone) {
          sink.Messages(
              {Warning(existing->info.guid,
                       "the safety backup may still appear in backup location " + location +
                           " once gpop finishes its publish at the next "
                           "start; the GPO was not changed")},
              std::nullopt);
        }
        return Failed(safety.error());
      }
      plan.safety_backup_id = *safety;
    }
  }
  core::Outcome out = WriteGpo(ctx, operation_id, plan, sink, cancel);
  if (out.error && !plan.safety_backup_id.empty()) {
    // The safety backup is whole and stays in its location: name it, so it can be found.
    const std::string kept = "the safety backup " + plan.safety_backup_id + " taken before the " +
                             plan.what + " stays in backup location " + location;
    core::StatusMessage m;
    m.severity = core::Severity::kInfo;
    m.object_path = existing->info.guid;
    m.message = kept;
    sink.Messages({std::move(m)}, std::nullopt);
    out.error->message += " (" + kept + ")";
  }
  return out;
}

}  // namespace gpop::sysvol
