// The shape every gpopctl argument group has: a subcommand's flags, and how its raw arguments
// become a Command. Each group (operation_args.h, watch_args.h, listing_args.h,
// transfer_args.h, import_set_args.h) lists its subcommands; args.cc puts them in one table.
#ifndef GPOP_CLIENT_CTL_SUBCOMMAND_ARGS_H_
#define GPOP_CLIENT_CTL_SUBCOMMAND_ARGS_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "client/ctl/args.h"
#include "client/ctl/raw_args.h"

namespace gpop::ctl {

// SubcommandArgs
//
// One subcommand: its name as typed, the flags it takes besides the global ones, whether it also
// takes the flags of every operation (OperationFlags(): --label, --wait, ...), whether it takes
// positional arguments, and `parse`, which sets the Command's verb and fields from the raw
// arguments (usage errors: INVALID_ARGUMENT).
struct SubcommandArgs {
  std::string name;
  std::vector<FlagSpec> flags;
  bool operation_flags = false;
  bool positional = false;
  std::function<absl::Status(const RawArgs& raw, Command* command)> parse;
};

}  // namespace gpop::ctl

#endif  // GPOP_CLIENT_CTL_SUBCOMMAND_ARGS_H_
