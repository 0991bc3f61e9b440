// The restore operation (see restore.h).

#include "service/backends/sysvol/ops/restore.h"

#include <chrono>

#include "service/backends/sysvol/backup_folder.h"
#include "service/backends/sysvol/format/text_util.h"
#include "service/backends/sysvol/gpt_copy.h"
#include "service/backends/sysvol/ops/backup.h"
#include "service/backends/sysvol/ops/gpo_writer.h"
#include "service/backends/sysvol/ops/op_util.h"

namespace gpop::sysvol {
namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int64_t ToMs(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

}  // namespace

std::vector<core::StatusMessage> NotRestoredParts(const OpenedBackup& backup) {
  // GPMC's RestoreGPO also puts back the GPO's security descriptor and its WMI filter link
  // (links live on sites, domains and OUs, and GPMC's restore leaves them alone too). The
  // container half here keeps the descriptor (restored, but enforced by nothing) and has no
  // place for a WMI filter.
  std::vector<core::StatusMessage> out;
  const GpoCoreSettings& c = backup.backup_xml.core;
  const std::string guid = backup.GpoGuid();
  if (!c.security_descriptor.empty()) {
    core::StatusMessage m;
    m.severity = core::Severity::kInfo;
    m.object_path = guid;
    m.message =
        "the GPO's security descriptor (permissions, security filtering, delegation) "
        "from backup " +
        backup.backup_id +
        " is restored into the store's container half and carried by later backups; "
        "without a directory server nothing enforces it";
    out.push_back(std::move(m));
  }
  if (!c.wmi_filter.empty()) {
    out.push_back(Warning(guid, "backup " + backup.backup_id + " links the GPO to WMI filter " +
                                    c.wmi_filter +
                                    ", which is not restored: the sysvol store keeps no WMI "
                                    "filters, so the GPO applies without one"));
  }
  return out;
}

core::Status CheckBackupComplete(const OpenedBackup& backup, core::ProgressSink& sink) {
  std::string escaping;
  std::vector<core::StatusMessage> problems = backup.ListedFileProblems(&escaping);
  if (problems.empty()) return core::Status();
  const std::string first = problems.front().object_path;
  const size_t count = problems.size();
  sink.Messages(std::move(problems), std::nullopt);
  if (!escaping.empty()) {
    // Not an incomplete backup but a hostile one: a path safety refusal, as a link out is.
    return core::MakeError(
        core::Code::kFailedPrecondition, core::reason::kPathEscape,
        "backup " + backup.backup_id + " is refused: its " + kBackupXmlFile + " lists " + escaping +
            ", which leaves the backup folder (see the status messages); nothing outside it was "
            "read and nothing was written",
        {{"backup_id", backup.backup_id}, {"file", escaping}});
  }
  return core::MakeError(
      core::Code::kFailedPrecondition, core::reason::kCorruptFile,
      "backup " + backup.backup_id + " is incomplete: " + std::to_string(count) +
          " file(s) its Backup.xml lists are not in the backup folder as readable files (first: " +
          first + "; see the status messages); nothing was written",
      {{"backup_id", backup.backup_id}, {"path", first}});
}

core::Result<BackupSettings> SettingsTreeOf(const OpenedBackup& backup, core::ProgressSink& sink) {
  BackupSettings out;
  if (core::Status s = CheckBackupComplete(backup, sink); !s.ok()) return s.error();
  if (!backup.gpt) {
    std::vector<core::StatusMessage> stray = backup.StrayFileMessages({});
    if (!stray.empty()) sink.Messages(stray, std::nullopt);
    return out;
  }
  core::Result<GptTree> tree = WalkGptTree(*backup.gpt);
  if (!tree.ok()) return tree.error();
  if (std::vector<core::StatusMessage> bad = CheckTreeNames(*tree, backup.gpt->display());
      !bad.empty()) {
    sink.Messages(bad, std::nullopt);
    return core::MakeError(core::Code::kFailedPrecondition, core::reason::kUnsupported,
                           std::to_string(bad.size()) + " file name(s) in " +
                               backup.gpt->display() +
                               " cannot be written (not UTF-8 or control characters): see the "
                               "status messages; nothing was written");
  }
  std::vector<TreeEntry> skipped;
  for (const TreeEntry& e : tree->entries) {
    if (!backup.Lists(e)) skipped.push_back(e);
  }
  std::vector<core::StatusMessage> stray = backup.StrayFileMessages(skipped);
  if (!stray.empty()) sink.Messages(stray, std::nullopt);
  out.tree = std::move(*tree);
  const OpenedBackup* b = &backup;
  out.skip = [b](const TreeEntry& e) { return !b->Lists(e); };
  return out;
}

core::Outcome RunRestore(const BackendContext& ctx, const std::string& operation_id,
                         const core::RestoreSpec& spec, core::ProgressSink& sink,
                         core::CancelToken& cancel) {
  core::Result<OpenedBackup> backup = OpenBackup(ctx.locations, spec.backup, "backup.backup_id");
  if (!backup.ok()) return Failed(backup.error());
  if (!internal::EqualsNoCase(backup->Domain(), ctx.config.domain)) {
    return Failed(core::MakeError(
        core::Code::kFailedPrecondition, core::reason::kUnsupported,
        "backup " + backup->backup_id + " is of a GPO of domain " + backup->Domain() + ", not of " +
            ctx.config.domain +
            ": restore only puts a backup back into its own GPO; use import to bring its "
            "settings into a GPO of this domain",
        {{"backup_id", backup->backup_id}, {"domain", backup->Domain()}}));
  }
  const std::string guid = backup->GpoGuid();
  if (std::vector<core::StatusMessage> kept = NotRestoredParts(*backup); !kept.empty()) {
    sink.Messages(std::move(kept), std::nullopt);
  }
  core::GpoRef ref;
  ref.guid = guid;
  core::Result<GpoEntry> live = ctx.store.Resolve(ref);
  const bool exists = live.ok();
  if (!exists && live.error().reason != core::reason::kGpoNotFound) return Failed(live.error());
  core::Result<BackupSettings> settings = SettingsTreeOf(*backup, sink);
  if (!settings.ok()) return Failed(settings.error());
  if (cancel.cancel_requested()) return Failed(CancelledError("restore"));

  GpoWritePlan plan;
  plan.what = "restore";
  const GpoCoreSettings& core_settings = backup->backup_xml.core;
  plan.target.guid = guid;
  plan.target.display_name = core_settings.display_name;
  plan.target.flags = core_settings.options;
  plan.target.machine_extension_guids = core_settings.machine_extension_guids;
  plan.target.user_extension_guids = core_settings.user_extension_guids;
  plan.target.security_descriptor = core_settings.security_descriptor;
  // Each half above both the live and the backed-up value, so that clients apply it again. A
  // GPT that is gone may still have its container half here: clients last saw that version.
  uint32_t last_version = 0;
  core::Result<std::optional<GpoMetadata>> row = ctx.metadata.GetGpo(guid);
  if (!row.ok()) return Failed(row.error());
  if (!exists && *row) last_version = (*row)->version;
  // A backup made before the store kept descriptors (or by a tool that writes none) carries
  // no descriptor: that says nothing about the GPO's permissions, so the stored one stays.
  if (plan.target.security_descriptor.empty() && *row && !(*row)->security_descriptor.empty()) {
    plan.target.security_descriptor = (*row)->security_descriptor;
    core::StatusMessage m;
    m.severity = core::Severity::kInfo;
    m.object_path = guid;
    m.message = "backup " + backup->backup_id +
                " carries no security descriptor, so the GPO keeps the one it has";
    sink.Messages({std::move(m)}, std::nullopt);
  }
  const uint32_t version =
      exists ? NextVersion({live->info.version, live->sysvol_version, backup->DirectoryVersion(),
                            backup->SysvolVersion()})
             : NextVersion({last_version, backup->DirectoryVersion(), backup->SysvolVersion()});
  plan.target.version = version;
  plan.sysvol_version = version;
  plan.target.created_ms = exists ? ToMs(live->info.created) : NowMs();
  plan.target.modified_ms = NowMs();
  if (backup->gpt) {
    plan.source = &*backup->gpt;
    plan.tree = &settings->tree;
    plan.skip = settings->skip;
  }
  plan.dry_run = spec.dry_run;
  plan.dry_run_report = spec.dry_run_report;
  return OverwriteGpo(ctx, operation_id, std::move(plan), exists ? &*live : nullptr,
                      spec.safety_backup, backup->location.name,
                      "before restore of backup " + backup->backup_id, sink, cancel);
}

}  // namespace gpop::sysvol
