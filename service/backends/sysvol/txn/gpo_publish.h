// The publish half of the commit protocol of the operations that write a GPO (restore, import,
// copy): the new GPT is staged in Policies/.gpop-staging/<staging>/new; after the commit point
// the live GPT (if any) is moved to .../old, the new one renamed into Policies/{GUID}, the
// container half written to the metadata store, the intent marked DONE and the staging folder
// (with the old GPT) removed. Each step is idempotent, so recovery can repeat them.
//
// The intent (kind kIntentGpoWrite) has `root` = "policies" and the fields gpo_guid,
// display_name, flags, version, machine_extension_guids, user_extension_guids, created_ms,
// modified_ms, security_descriptor (hex bytes), domain and safety_backup_id (may be empty).

#ifndef GPOP_SERVICE_BACKENDS_SYSVOL_TXN_GPO_PUBLISH_H_
#define GPOP_SERVICE_BACKENDS_SYSVOL_TXN_GPO_PUBLISH_H_

#include "service/backends/sysvol/backend_context.h"
#include "service/backends/sysvol/metadata_store.h"
#include "service/core/operation.h"

namespace gpop::sysvol {

// Names inside an operation's staging folder below Policies/.
inline constexpr char kStagedNewGpt[] = "new";
inline constexpr char kStagedOldGpt[] = "old";

// GpoIntentFields / GpoMetadataFromIntent
//
// The container half to publish, as intent fields and back. A missing security descriptor (an
// intent recorded before the field existed) reads as an empty one; a malformed one is an error
// (DATA_LOSS).
std::map<std::string, std::string> GpoIntentFields(const GpoMetadata& gpo);
core::Result<GpoMetadata> GpoMetadataFromIntent(const Intent& intent);

// RollForwardGpoWrite
//
// Finishes publishing a COMMITTING GPO-writing intent (idempotent). `*crashed` tells that a
// FaultHook stopped it.
core::Status RollForwardGpoWrite(const BackendContext& ctx, const Intent& intent, bool* crashed);

// GpoWritePublished
//
// Whether the intent's new GPT is the live one (renamed into Policies/{GUID}): its settings are
// what clients read, whatever bookkeeping (the container half, the DONE mark) is still to do.
bool GpoWritePublished(const BackendContext& ctx, const Intent& intent);

// RollBackGpoWrite
//
// Removes the intent's staging folder and marks it ROLLED_BACK (only for STAGING intents:
// nothing was moved yet).
core::Status RollBackGpoWrite(const BackendContext& ctx, const Intent& intent);

// GpoInfoFromIntent
//
// The result (the written GPO) of the intent.
core::GpoInfo GpoInfoFromIntent(const Intent& intent);

}  // namespace gpop::sysvol

#endif  // GPOP_SERVICE_BACKENDS_SYSVOL_TXN_GPO_PUBLISH_H_
