// gpopctl's subcommands about operations that exist: `watch OP_ID` (follow one), `events`
// (every event of matching operations, live), `cancel OP_ID` and `get OP_ID`.
#ifndef GPOP_CLIENT_CTL_WATCH_ARGS_H_
#define GPOP_CLIENT_CTL_WATCH_ARGS_H_

#include <vector>

#include "client/ctl/subcommand_args.h"

namespace gpop::ctl {

// WatchSubcommands
//
// watch, events, cancel and get.
std::vector<SubcommandArgs> WatchSubcommands();

}  // namespace gpop::ctl

#endif  // GPOP_CLIENT_CTL_WATCH_ARGS_H_
