// gpopctl's listings: `ls` (operations, AIP-158 pages), `gpos`, `backups` and `audit` (the
// audit log).
#ifndef GPOP_CLIENT_CTL_LISTING_ARGS_H_
#define GPOP_CLIENT_CTL_LISTING_ARGS_H_

#include <vector>

#include "client/ctl/subcommand_args.h"

namespace gpop::ctl {

// ListingSubcommands
//
// ls, gpos, backups and audit.
std::vector<SubcommandArgs> ListingSubcommands();

}  // namespace gpop::ctl

#endif  // GPOP_CLIENT_CTL_LISTING_ARGS_H_
