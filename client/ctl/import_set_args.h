// `gpopctl import-set`'s command line: which backups (named, those an upload published, or every
// backup of a location) and the options applied to all of them, into a gpop.v1.ImportSetSpec.
#ifndef GPOP_CLIENT_CTL_IMPORT_SET_ARGS_H_
#define GPOP_CLIENT_CTL_IMPORT_SET_ARGS_H_

#include <vector>

#include "absl/status/status.h"
#include "client/ctl/args.h"
#include "client/ctl/raw_args.h"
#include "client/ctl/subcommand_args.h"

namespace gpop::ctl {

// kImportSetUsage
//
// The import-set lines of `gpopctl --help`.
extern const char kImportSetUsage[];

// BuildImportSetCommand
//
// From the subcommand's flags and positional arguments: exactly one selection (backup IDs as
// arguments or --backup-id, --upload UPLOAD_ID, or --all), then --location, --migration-table,
// --migration-table-only, --no-safety-backup and --dry-run into
// `command->start.spec.import_set`; the selections that need the server (--upload, --all) into
// `command->import_set`. Usage errors are INVALID_ARGUMENT.
absl::Status BuildImportSetCommand(const RawArgs& raw, Command* command);

// ImportSetSubcommands
//
// import-set: BuildImportSetCommand, then the flags every operation takes (ParseOperation).
std::vector<SubcommandArgs> ImportSetSubcommands();

}  // namespace gpop::ctl

#endif  // GPOP_CLIENT_CTL_IMPORT_SET_ARGS_H_
