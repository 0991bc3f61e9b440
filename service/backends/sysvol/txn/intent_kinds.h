// The kinds an intent is recorded with; recovery dispatches on them (txn/recovery.h).

#ifndef GPOP_SERVICE_BACKENDS_SYSVOL_TXN_INTENT_KINDS_H_
#define GPOP_SERVICE_BACKENDS_SYSVOL_TXN_INTENT_KINDS_H_

namespace gpop::sysvol {

// A backup: a new folder (and manifest) in a backup location; `root` names the location.
inline constexpr char kIntentBackup[] = "backup";

// A restore, import or copy: a new GPT staged under Policies/ and the container half;
// `root` is "policies" (see txn/gpo_publish.h).
inline constexpr char kIntentGpoWrite[] = "gpo-write";

}  // namespace gpop::sysvol

#endif  // GPOP_SERVICE_BACKENDS_SYSVOL_TXN_INTENT_KINDS_H_
