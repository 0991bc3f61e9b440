// gpopctl's transfer subcommands: `upload DIR|FILE.tar` and `download-backup ID... --out`.
#ifndef GPOP_CLIENT_CTL_TRANSFER_ARGS_H_
#define GPOP_CLIENT_CTL_TRANSFER_ARGS_H_

#include <vector>

#include "client/ctl/subcommand_args.h"

namespace gpop::ctl {

// TransferSubcommands
//
// upload and download-backup.
std::vector<SubcommandArgs> TransferSubcommands();

}  // namespace gpop::ctl

#endif  // GPOP_CLIENT_CTL_TRANSFER_ARGS_H_
