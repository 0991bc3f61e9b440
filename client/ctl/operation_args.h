// gpopctl's operation subcommands: `start` and the five kind subcommands (backup, restore,
// import, copy, report), each kind's flags into its gpop.v1.OperationSpec, and the flags every
// operation takes (--label, --request-id, --timeout, --wait, --wait-timeout,
// --cancel-on-interrupt, and --out for reports and dry runs) into the StartOperationRequest.
#ifndef GPOP_CLIENT_CTL_OPERATION_ARGS_H_
#define GPOP_CLIENT_CTL_OPERATION_ARGS_H_

#include <vector>

#include "absl/status/status.h"
#include "client/ctl/args.h"
#include "client/ctl/raw_args.h"
#include "client/ctl/subcommand_args.h"

namespace gpop::ctl {

// OperationFlags
//
// The flags every operation subcommand takes (import-set too).
const std::vector<FlagSpec>& OperationFlags();

// ParseOperation
//
// Builds `command->start` from `raw`: the spec from the kind's flags (`start --kind KIND`, a kind
// subcommand, or `start --spec JSON`) unless the spec is already set (import-set), then the flags
// every operation takes, and the waiting options. Sets no verb.
absl::Status ParseOperation(const RawArgs& raw, Command* command);

// OperationSubcommands
//
// start, backup, restore, import, copy and report.
std::vector<SubcommandArgs> OperationSubcommands();

}  // namespace gpop::ctl

#endif  // GPOP_CLIENT_CTL_OPERATION_ARGS_H_
