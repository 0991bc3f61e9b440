// The report operation (see report.h).

#include "service/backends/sysvol/ops/report.h"

#include <optional>

#include "service/backends/sysvol/backup_folder.h"
#include "service/backends/sysvol/format/backup_inst.h"
#include "service/backends/sysvol/format/report_html.h"
#include "service/backends/sysvol/format/report_xml.h"
#include "service/backends/sysvol/gpt_reader.h"
#include "service/backends/sysvol/ops/migration_template.h"
#include "service/backends/sysvol/ops/op_util.h"
#include "service/core/guid.h"

namespace gpop::sysvol {

ReportIdentity IdentityOfBackup(const OpenedBackup& backup, core::ProgressSink& sink) {
  ReportIdentity identity;
  const GpoCoreSettings& core_settings = backup.backup_xml.core;
  identity.guid = backup.GpoGuid();
  identity.domain = core_settings.domain;
  identity.name = core_settings.display_name;
  identity.flags = core_settings.options;
  identity.directory_version = ((core_settings.user_version_number & 0xFFFFu) << 16) |
                               (core_settings.machine_version_number & 0xFFFFu);
  identity.sysvol_version = (core_settings.user_version_number & 0xFFFF0000u) |
                            (core_settings.machine_version_number >> 16);
  // Windows' own report in the backup knows the GPO's times; use them when it is readable.
  if (core::Result<std::optional<DirEntry>> gr = backup.folder.FindNoCase(kGpReportFile);
      gr.ok() && *gr) {
    core::Result<std::string> rb = backup.folder.ReadFile((*gr)->name, 64u << 20);
    if (rb.ok()) {
      const std::string display = JoinDisplay(backup.folder.display(), (*gr)->name);
      core::Result<Report> old = ParseReportXml(*rb, display);
      if (old.ok()) {
        identity.created_time = old->created_time;
        identity.modified_time = old->modified_time;
      } else {
        sink.Messages({Warning(display, "could not read the backup's own report (" +
                                            old.error().message + "); its times are left out")},
                      std::nullopt);
      }
    }
  }
  return identity;
}

core::Outcome RunReport(const BackendContext& ctx, const core::ReportSpec& spec,
                        core::ProgressSink& sink, core::CancelToken& cancel) {
  if (spec.format == core::ReportFormat::kMigrationTable) {
    return RunMigrationTableReport(ctx, spec, sink, cancel);
  }
  core::Result<Dir> policies = ctx.store.OpenPolicies();
  if (!policies.ok()) return Failed(policies.error());
  const int64_t total = 4;
  sink.Progress(0, total);
  LoadedAdmx admx = ctx.admx.Load(*policies);
  if (!admx.warnings.empty()) sink.Messages(admx.warnings, std::nullopt);
  sink.Progress(1, total);
  if (cancel.cancel_requested()) return Failed(CancelledError("report"));

  ReportIdentity identity;
  std::optional<GptSettings> settings;
  std::string object_display;
  if (const auto* ref = std::get_if<core::GpoRef>(&spec.subject)) {
    core::Result<GpoEntry> gpo = ctx.store.Resolve(*ref);
    if (!gpo.ok()) return Failed(gpo.error());
    if (gpo->gpt_ini_error) return Failed(*gpo->gpt_ini_error);
    core::Result<Dir> gpt = ctx.store.OpenGpt(*policies, *gpo);
    if (!gpt.ok()) return Failed(gpt.error());
    core::Result<GptSettings> read = ReadGptSettings(*gpt);
    if (!read.ok()) return Failed(read.error());
    settings = std::move(*read);
    object_display = gpt->display();
    identity.guid = gpo->info.guid;
    identity.domain = gpo->info.domain;
    identity.name = gpo->info.display_name;
    identity.created_time = TimeText(gpo->info.created);
    identity.modified_time = TimeText(gpo->info.modified);
    identity.directory_version = gpo->info.version;
    identity.sysvol_version = gpo->sysvol_version;
    identity.flags = gpo->info.flags;
  } else {
    core::Result<OpenedBackup> backup = OpenBackup(
        ctx.locations, std::get<core::BackupRef>(spec.subject), "report.backup.backup_id");
    if (!backup.ok()) return Failed(backup.error());
    identity = IdentityOfBackup(*backup, sink);
    if (backup->gpt) {
      core::Result<GptSettings> read = ReadGptSettings(*backup->gpt);
      if (!read.ok()) return Failed(read.error());
      settings = std::move(*read);
      object_display = backup->gpt->display();
    } else {
      settings = GptSettings();
    }
  }
  identity.read_time = FormatBackupTime(std::chrono::system_clock::now());
  sink.Progress(3, total);
  std::vector<core::StatusMessage> warnings = SettingsWarnings(*settings, object_display);
  if (!warnings.empty()) sink.Messages(warnings, std::nullopt);
  if (cancel.cancel_requested()) return Failed(CancelledError("report"));

  Report report = MakeReport(identity, *settings, admx.catalog.get());
  core::ReportInfo info;
  info.format = spec.format;
  info.content =
      spec.format == core::ReportFormat::kHtml ? RenderReportHtml(report) : WriteReportXml(report);
  sink.Progress(total, total);
  return ReportOutcome(std::move(info), cancel);
}

}  // namespace gpop::sysvol
