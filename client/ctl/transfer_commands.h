// gpopctl's transfer subcommands: upload (a backup folder, a backup set or a tar file) and
// download-backup (to a tar file or a new folder), through client::TransferClient.
#ifndef GPOP_CLIENT_CTL_TRANSFER_COMMANDS_H_
#define GPOP_CLIENT_CTL_TRANSFER_COMMANDS_H_

#include "client/ctl/args.h"
#include "client/ctl/commands.h"
#include "client/transfer_client.h"

namespace gpop::ctl {

// RunUpload
//
// Tars a folder (into a temporary file, each file's digest declared) or takes a .tar file as
// it is, uploads it and prints the backups now in the location. Exit codes as exit_codes.h.
int RunUpload(const Command& command, client::TransferClient& transfer, const Io& io);

// RunDownloadBackup
//
// Downloads the backups to `command.out_file`: a file ending in ".tar" is written as the tar
// (atomically); anything else is a folder that must not exist yet, created complete (the tar is
// checked and unpacked beside it, then renamed into place) or not at all.
int RunDownloadBackup(const Command& command, client::TransferClient& transfer, const Io& io);

}  // namespace gpop::ctl

#endif  // GPOP_CLIENT_CTL_TRANSFER_COMMANDS_H_
