// The copy operation (see copy.h).

#include "service/backends/sysvol/ops/copy.h"

#include <chrono>

#include "service/backends/sysvol/gpt_copy.h"
#include "service/backends/sysvol/ops/gpo_writer.h"
#include "service/backends/sysvol/ops/migration.h"
#include "service/backends/sysvol/ops/op_util.h"
#include "service/core/guid.h"

namespace gpop::sysvol {

core::Outcome RunCopy(const BackendContext& ctx, const std::string& operation_id,
                      const core::CopySpec& spec, core::ProgressSink& sink,
                      core::CancelToken& cancel) {
  core::Result<GpoEntry> source = ctx.store.Resolve(spec.source);
  if (!source.ok()) return Failed(source.error());
  if (source->gpt_ini_error) return Failed(*source->gpt_ini_error);
  core::GpoRef by_name;
  by_name.display_name = spec.new_display_name;
  if (core::Result<GpoEntry> taken = ctx.store.Resolve(by_name);
      taken.ok() || taken.error().reason != core::reason::kGpoNotFound) {
    return Failed(core::MakeError(
        core::Code::kAlreadyExists, core::reason::kGpoExists,
        "a GPO named \"" + spec.new_display_name + "\" exists already: choose another name",
        {{"display_name", spec.new_display_name}}));
  }
  core::Result<Dir> policies = ctx.store.OpenPolicies();
  if (!policies.ok()) return Failed(policies.error());
  core::Result<Dir> gpt = ctx.store.OpenGpt(*policies, *source);
  if (!gpt.ok()) return Failed(gpt.error());
  core::Result<GptTree> tree = WalkGptTree(*gpt);
  if (!tree.ok()) return Failed(tree.error());
  if (std::vector<core::StatusMessage> bad = CheckTreeNames(*tree, gpt->display()); !bad.empty()) {
    sink.Messages(bad, std::nullopt);
    return Failed(core::MakeError(
        core::Code::kFailedPrecondition, core::reason::kUnsupported,
        "file names in " + gpt->display() + " cannot be copied: see the status messages"));
  }
  if (spec.copy_acl && source->security_descriptor.empty()) {
    sink.Messages({Warning(gpt->display(),
                           "the sysvol store knows no permissions of this GPO (none was "
                           "restored into it); the new GPO gets the store's defaults")},
                  std::nullopt);
  }
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  GpoWritePlan plan;
  plan.what = "copy";
  plan.target.guid = core::NewGuid();
  plan.target.display_name = spec.new_display_name;
  plan.target.flags = source->info.flags;
  plan.target.version = NextVersion({0});
  plan.target.machine_extension_guids = source->machine_extension_guids;
  plan.target.user_extension_guids = source->user_extension_guids;
  // GPMC's CopyTo copies the DACL only when asked (GPM_PROCESS_SECURITY).
  if (spec.copy_acl) plan.target.security_descriptor = source->security_descriptor;
  plan.target.created_ms = now;
  plan.target.modified_ms = now;
  plan.sysvol_version = plan.target.version;
  plan.source = &*gpt;
  plan.tree = &*tree;
  plan.dry_run = spec.dry_run;
  plan.dry_run_report = spec.dry_run_report;
  core::Result<std::map<std::string, std::string>> migrated =
      Migrate(ctx, spec.migration_table, spec.migration_table_only, *gpt, *tree, {}, sink);
  if (!migrated.ok()) return Failed(migrated.error());
  plan.replacements = std::move(*migrated);
  return WriteGpo(ctx, operation_id, plan, sink, cancel);
}

}  // namespace gpop::sysvol
