// gpopctl: the command-line client of gpop. See client/README.md and `gpopctl --help`.

#include <sys/ioctl.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "client/client.h"
#include "client/ctl/args.h"
#include "client/ctl/commands.h"
#include "client/ctl/exit_codes.h"
#include "client/ctl/interrupts.h"
#include "client/ctl/render.h"
#include "client/grpc_connection.h"

namespace {

int TerminalWidth() {
  winsize size{};
  if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
  return 80;
}

}  // namespace

int main(int argc, char** argv) {
  // Before any other thread exists (see SignalInterrupts).
  gpop::ctl::SignalInterrupts interrupts;

  std::vector<std::string> args(argv + 1, argv + argc);
  absl::StatusOr<gpop::ctl::Command> command =
      gpop::ctl::ParseCommandLine(args, [](const std::string& name) -> std::optional<std::string> {
        const char* value = std::getenv(name.c_str());
        if (value == nullptr) return std::nullopt;
        return std::string(value);
      });
  if (!command.ok()) {
    std::cerr << "gpopctl: " << command.status().message() << "\n"
              << "Run 'gpopctl --help' for usage.\n";
    return gpop::ctl::kExitUsage;
  }
  if (command->verb == gpop::ctl::Verb::kHelp) {
    std::cout << gpop::ctl::UsageText();
    return gpop::ctl::kExitOk;
  }

  gpop::client::ConnectionOptions options;
  options.target = command->global.server;
  options.tls = command->global.tls;
  options.tls_root_certs_file = command->global.ca_file;
  options.tls_cert_file = command->global.cert_file;
  options.tls_key_file = command->global.key_file;
  options.call_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
      absl::ToChronoNanoseconds(command->global.call_timeout));
  options.bearer_token = command->global.token;
  absl::StatusOr<std::shared_ptr<gpop::client::Connection>> connection =
      gpop::client::MakeGrpcConnection(options);
  if (!connection.ok()) {
    std::cerr << "gpopctl: " << gpop::ctl::ErrorText(connection.status()) << "\n";
    return gpop::ctl::kExitUsage;
  }
  // Streams (watch, --wait, events) carry on across a server restart for --reconnect-for, and
  // say so on a terminal.
  gpop::client::ResumeOptions resume;
  gpop::client::StreamRetryPolicy::Options retry;
  retry.max_time_without_progress = std::chrono::duration_cast<std::chrono::milliseconds>(
      absl::ToChronoNanoseconds(command->global.reconnect_for));
  resume.retry_policy = gpop::client::StreamRetryPolicy(retry);
  if (isatty(STDERR_FILENO) == 1) {
    std::string server = command->global.server;
    resume.on_reconnect = [server](const absl::Status& cut, std::chrono::milliseconds delay) {
      std::cerr << "gpopctl: reconnecting to " << server << " in " << delay.count() << " ms ("
                << gpop::ctl::ErrorText(cut) << ")\n";
    };
  }
  gpop::client::Client client(*connection, std::move(resume));

  gpop::ctl::Io io;
  io.out = &std::cout;
  io.err = &std::cerr;
  io.out_is_tty = isatty(STDOUT_FILENO) == 1;
  io.width = TerminalWidth();
  // Uploads, downloads and large reports go through gpop.v1.BackupTransfer, with a progress
  // line on a terminal.
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = gpop::client::MakeGrpcChannel(options);
  if (!channel.ok()) {
    std::cerr << "gpopctl: " << gpop::ctl::ErrorText(channel.status()) << "\n";
    return gpop::ctl::kExitUsage;
  }
  gpop::client::TransferOptions transfer_options;
  transfer_options.sleeper = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
  if (isatty(STDERR_FILENO) == 1) {
    transfer_options.on_progress = [](int64_t done, int64_t total) {
      if (total < (4 << 20)) return;  // small transfers need no bar
      std::cerr << "\r" << gpop::ctl::TransferProgressText(done, total) << std::flush;
      if (done == total) std::cerr << "\n";
    };
  }
  gpop::client::TransferClient transfer(*channel, options, transfer_options);
  return gpop::ctl::RunCommand(*command, client, io, &interrupts, &transfer);
}
