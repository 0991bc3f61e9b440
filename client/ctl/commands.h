// gpopctl's subcommands, run against a Client: what each prints and which exit code it returns.

#ifndef GPOP_CLIENT_CTL_COMMANDS_H_
#define GPOP_CLIENT_CTL_COMMANDS_H_

#include <ostream>

#include "client/client.h"
#include "client/ctl/args.h"
#include "client/ctl/exit_codes.h"
#include "client/ctl/interrupts.h"
#include "client/transfer_client.h"

namespace gpop::ctl {

// Io
//
// Where a command writes. `out_is_tty` selects the live progress bar (redrawn with "\r") over
// plain lines; `width` is the terminal's width in columns.
struct Io {
  std::ostream* out;
  std::ostream* err;
  bool out_is_tty = false;
  int width = 80;
};

// RunCommand
//
// Runs a parsed command (any verb but kHelp) and returns its exit code (see exit_codes.h).
// While waiting or watching, `interrupts` decides what Ctrl-C does: detach, or with
// --cancel-on-interrupt send Cancel first (a second interrupt detaches).
// `transfer` (may be null) moves reports larger than an operation result carries, and backups,
// through gpop.v1.BackupTransfer.
int RunCommand(const Command& command, client::Client& client, const Io& io,
               InterruptSource* interrupts, client::TransferClient* transfer = nullptr);

}  // namespace gpop::ctl

#endif  // GPOP_CLIENT_CTL_COMMANDS_H_
