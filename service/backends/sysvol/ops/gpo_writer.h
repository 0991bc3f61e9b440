// The one path by which restore, import and copy write a GPO: stage the new GPT (the settings
// trees, GPO.cmt, a fresh GPT.INI) under Policies/.gpop-staging, pass the commit point, and
// publish through txn/gpo_publish.h. Each operation's own file decides what to write.

#ifndef GPOP_SERVICE_BACKENDS_SYSVOL_OPS_GPO_WRITER_H_
#define GPOP_SERVICE_BACKENDS_SYSVOL_OPS_GPO_WRITER_H_

#include <functional>
#include <map>
#include <string>

#include "service/backends/sysvol/backend_context.h"
#include "service/backends/sysvol/gpt_reader.h"
#include "service/backends/sysvol/metadata_store.h"
#include "service/core/backend.h"

namespace gpop::sysvol {

// GpoWritePlan
//
// What to publish. `source` and `tree` are the settings to copy (both null: none); `skip`
// leaves entries out (stray files of a backup).
struct GpoWritePlan {
  std::string what;             // "restore", "import", "copy": for messages
  GpoMetadata target;           // the container half, with the GUID and the new directory version
  uint32_t sysvol_version = 0;  // GPT.INI Version=
  const Dir* source = nullptr;
  const GptTree* tree = nullptr;
  std::function<bool(const TreeEntry&)> skip;
  bool copy_gpo_comment = true;  // copy source/GPO.cmt when present
  // Files written instead of copied ("Machine/..." paths, names as in `tree`): the settings a
  // migration table changed.
  std::map<std::string, std::string> replacements;
  std::string safety_backup_id;  // recorded in the result
  // Dry run: everything is staged as for the real run, then the staged GPT's settings are
  // compared with `live` (null: a new GPO) and the staging removed; nothing is published.
  bool dry_run = false;
  const Dir* live = nullptr;
  // With dry_run: also render the prediction as an HTML page (GpoInfo::dry_run_report): the
  // staged GPO's report headed by the setting and file changes.
  bool dry_run_report = false;
};

// WriteGpo
//
// Stages and publishes `plan` as operation `operation_id`. A cancel or failure before the
// commit point leaves effects NONE; past it the publish is finished (retried) and the result is
// the written GPO (with the safety backup's id). When the retries fail once the new GPT is live,
// the run still reports APPLIED, with a warning, and the next start (ResolveLeftovers) finishes
// the bookkeeping; when they fail before it, FAILED with effects UNKNOWN (the next start rolls
// the intent forward). A dry run stops before the commit point and
// returns the GPO as it would be, with the predicted changes, effects NONE.
core::Outcome WriteGpo(const BackendContext& ctx, const std::string& operation_id,
                       const GpoWritePlan& plan, core::ProgressSink& sink,
                       core::CancelToken& cancel);

// OverwriteGpo
//
// WriteGpo for restore and import, whose target may exist (`existing`; null: a new GPO). An
// existing GPO's GPT becomes `plan.live` (the dry run's diff is against it) and, with
// `safety_backup` and not a dry run, the GPO is first backed up into `location` with comment
// `why` (TakeSafetyBackup), the backup's id recorded in the plan.
core::Outcome OverwriteGpo(const BackendContext& ctx, const std::string& operation_id,
                           GpoWritePlan plan, const GpoEntry* existing, bool safety_backup,
                           const std::string& location, const std::string& why,
                           core::ProgressSink& sink, core::CancelToken& cancel);

// NextVersion
//
// A version above every one of `versions`, half by half ((user << 16) | computer): each half is
// the highest of its halves plus one, so that clients apply the settings again.
uint32_t NextVersion(std::initializer_list<uint32_t> versions);

}  // namespace gpop::sysvol

#endif  // GPOP_SERVICE_BACKENDS_SYSVOL_OPS_GPO_WRITER_H_
