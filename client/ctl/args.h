// gpopctl's command line: global flags, one subcommand, its flags and arguments, parsed into a
// Command with the gpop.v1 requests already built.
//
// Hand-written rather than Abseil flags because each subcommand has its own flags and because a
// parser without global state can be tested case by case.

#ifndef GPOP_CLIENT_CTL_ARGS_H_
#define GPOP_CLIENT_CTL_ARGS_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gpop/v1/audit.pb.h"
#include "gpop/v1/operations.pb.h"

namespace gpop::ctl {

// kDefaultServer
//
// The server used without --server and $GPOP_SERVER.
inline constexpr char kDefaultServer[] = "127.0.0.1:50051";

// OutputFormat
//
// `-o text` (default) or `-o json`.
enum class OutputFormat { kText, kJson };

// Verb
//
// What the command does. kStart covers `start` and the five kind subcommands.
enum class Verb {
  kHelp,
  kVersion,
  kStart,
  kWatch,
  kCancel,
  kGet,
  kList,
  kGpos,
  kBackups,
  kEvents,
  kAudit,
  kUpload,
  kDownloadBackup,
  kImportSet,
};

// GlobalOptions
//
// Flags every subcommand accepts.
struct GlobalOptions {
  std::string server = kDefaultServer;              // --server, $GPOP_SERVER
  OutputFormat output = OutputFormat::kText;        // -o, --output
  std::string token;                                // --token, $GPOP_TOKEN
  bool tls = false;                                 // --tls
  std::string ca_file;                              // --ca-file, $GPOP_TLS_CA (implies --tls)
  std::string cert_file;                            // --cert, $GPOP_TLS_CERT (implies --tls)
  std::string key_file;                             // --key, $GPOP_TLS_KEY
  absl::Duration call_timeout = absl::Seconds(30);  // --call-timeout
  absl::Duration reconnect_for = absl::Minutes(5);  // --reconnect-for: streams resume this long
};

// WaitOptions
//
// How a kind subcommand waits (--wait) and how `watch` watches.
struct WaitOptions {
  bool wait = false;                           // --wait (always true for watch)
  std::optional<absl::Duration> wait_timeout;  // --wait-timeout: detach after this long
  bool cancel_on_interrupt = false;            // --cancel-on-interrupt
};

// Command
//
// A parsed command line. Only the fields of `verb` are meaningful.
struct Command {
  GlobalOptions global;
  Verb verb = Verb::kHelp;
  // The subcommand as typed ("backup", "watch", ...).
  std::string name;

  // kStart: the request, how to wait, and report --out.
  v1::StartOperationRequest start;
  WaitOptions wait;
  std::string out_file;

  // kWatch, kCancel, kGet.
  std::string operation_id;
  uint64_t after_sequence = 0;

  // kList.
  v1::ListOperationsRequest list;
  bool list_all = false;

  // kBackups.
  v1::ListBackupsRequest backups;

  // kEvents: every event of matching operations, from `after_revision` (or from a fresh
  // listing's revision when not given).
  std::string events_filter;
  std::optional<uint64_t> after_revision;

  // kAudit: one page of the audit log, or every page with --all.
  v1::ListAuditEntriesRequest audit;
  bool audit_all = false;
  // kUpload: the folder or tar file to upload (`transfer_paths[0]`) and the location.
  // kDownloadBackup: the backup IDs, the location, `out_file` (a .tar file or a new folder) and
  // whether a single backup comes as a backup set.
  std::vector<std::string> transfer_paths;
  std::string transfer_location;
  bool as_backup_set = false;

  // kImportSet: the request is in `start` (spec.import_set), waiting as kStart's; these select
  // the backups from the server before it starts (neither: spec.import_set.backup_ids).
  struct ImportSetSelection {
    std::string upload_id;  // --upload: the backups this published upload put in place
    bool all = false;       // --all: every backup of the location
  } import_set;
};

// Getenv
//
// Looks up an environment variable (injected for tests).
using Getenv = std::function<std::optional<std::string>(const std::string& name)>;

// ParseCommandLine
//
// Parses `args` (without the program name). Usage errors are INVALID_ARGUMENT with a message
// meant for the user.
absl::StatusOr<Command> ParseCommandLine(const std::vector<std::string>& args,
                                         const Getenv& getenv);

// ParseGpoRef
//
// A GUID ("{...}" or bare, any case) names a GPO by GUID; anything else by display name.
v1::GpoRef ParseGpoRef(const std::string& text);

// UsageText
//
// `gpopctl --help`, including the exit-code table.
std::string UsageText();

}  // namespace gpop::ctl

#endif  // GPOP_CLIENT_CTL_ARGS_H_
