// The import operation (see import.h).

#include "service/backends/sysvol/ops/import.h"

#include <chrono>

#include "service/backends/sysvol/backup_reader.h"
#include "service/backends/sysvol/ops/backup.h"
#include "service/backends/sysvol/ops/gpo_writer.h"
#include "service/backends/sysvol/ops/migration.h"
#include "service/backends/sysvol/ops/op_util.h"
#include "service/backends/sysvol/ops/restore.h"
#include "service/core/guid.h"

namespace gpop::sysvol {
namespace {

int64_t ToMs(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

}  // namespace

core::Outcome RunImport(const BackendContext& ctx, const std::string& operation_id,
                        const core::ImportSpec& spec, core::ProgressSink& sink,
                        core::CancelToken& cancel) {
  core::Result<OpenedBackup> backup = OpenBackup(ctx.locations, spec.backup, "backup.backup_id");
  if (!backup.ok()) return Failed(backup.error());
  core::Result<GpoEntry> live = ctx.store.Resolve(spec.target);
  const bool exists = live.ok();
  if (!exists) {
    if (live.error().reason != core::reason::kGpoNotFound || !spec.create_if_needed ||
        spec.target.display_name.empty()) {
      return Failed(live.error());
    }
  }
  core::Result<BackupSettings> settings = SettingsTreeOf(*backup, sink);
  if (!settings.ok()) return Failed(settings.error());
  if (cancel.cancel_requested()) return Failed(CancelledError("import"));

  const auto now = ToMs(std::chrono::system_clock::now());
  GpoWritePlan plan;
  plan.what = "import";
  const GpoCoreSettings& core_settings = backup->backup_xml.core;
  if (exists) {
    plan.target.guid = live->info.guid;
    plan.target.display_name = live->info.display_name;
    plan.target.flags = live->info.flags;
    plan.target.created_ms = ToMs(live->info.created);
    plan.target.version = NextVersion({live->info.version, live->sysvol_version});
    plan.target.security_descriptor = live->security_descriptor;  // GPMC keeps the target's
  } else {
    plan.target.guid = core::NewGuid();
    plan.target.display_name = spec.target.display_name;
    plan.target.flags = 0;
    plan.target.created_ms = now;
    plan.target.version = NextVersion({0});
  }
  plan.target.modified_ms = now;
  plan.sysvol_version = plan.target.version;
  // The settings are the backup's, so are the extensions that process them.
  plan.target.machine_extension_guids = core_settings.machine_extension_guids;
  plan.target.user_extension_guids = core_settings.user_extension_guids;
  if (backup->gpt) {
    plan.source = &*backup->gpt;
    plan.tree = &settings->tree;
    plan.skip = settings->skip;
    // The table applies to the backup's own files only: what a publisher left beside them is
    // neither copied nor migrated (nor reported as unmapped).
    GptTree own = settings->tree;
    own.entries.clear();
    for (const TreeEntry& e : settings->tree.entries) {
      if (!settings->skip || !settings->skip(e)) own.entries.push_back(e);
    }
    core::Result<std::map<std::string, std::string>> migrated =
        Migrate(ctx, spec.migration_table, spec.migration_table_only, *backup->gpt, own,
                backup->backup_xml.security_groups, sink);
    if (!migrated.ok()) return Failed(migrated.error());
    plan.replacements = std::move(*migrated);
  }
  plan.dry_run = spec.dry_run;
  plan.dry_run_report = spec.dry_run_report;
  return OverwriteGpo(ctx, operation_id, std::move(plan), exists ? &*live : nullptr,
                      spec.safety_backup, backup->location.name,
                      "before import of backup " + backup->backup_id, sink, cancel);
}

}  // namespace gpop::sysvol
