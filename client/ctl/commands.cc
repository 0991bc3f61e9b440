// gpopctl's subcommands.

#include "client/ctl/commands.h"

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "client/ctl/import_set_render.h"
#include "client/ctl/render.h"
#include "client/ctl/transfer_commands.h"
#include "client/version.h"
#include "google/protobuf/struct.pb.h"

namespace gpop::ctl {
namespace {

bool Json(const Command& command) { return command.global.output == OutputFormat::kJson; }

int Fail(const Io& io, const absl::Status& status) {
  *io.err << "gpopctl: " << ErrorText(status) << "\n";
  return ExitCodeForStatus(status);
}

// The outcome of watching an operation.
struct WatchResult {
  int exit_code = kExitOther;
  // The terminal event, when one was read.
  std::optional<v1::Event> terminal;
};

// Follows `operation_id` after `after_sequence` until its terminal event, a detach or an error,
// printing as `command` says.
WatchResult Watch(const Command& command, client::Client& client, const std::string& operation_id,
                  uint64_t after_sequence, const Io& io, InterruptSource* interrupts) {
  client::StreamOptions options;
  if (command.wait.wait_timeout.has_value()) {
    options.deadline =
        std::chrono::system_clock::now() + absl::ToChronoNanoseconds(*command.wait.wait_timeout);
  }
  std::unique_ptr<client::StatusStream> stream =
      client.StreamStatus(operation_id, after_sequence, options);

  std::atomic<int> interrupts_seen{0};
  std::atomic<bool> detached{false};
  // The Cancel call runs on its own thread, so that the interrupt handler returns at once and a
  // second interrupt can detach even while the Cancel call hangs. Joined below.
  std::thread canceller;
  interrupts->SetHandler([&] {
    int count = ++interrupts_seen;
    if (command.wait.cancel_on_interrupt && count == 1) {
      *io.err << (io.out_is_tty ? "\n" : "") << "gpopctl: cancelling " << operation_id
              << " (interrupt again to detach)\n";
      canceller = std::thread([&client, &io, operation_id] {
        absl::StatusOr<v1::Operation> cancelled = client.Cancel(operation_id);
        if (!cancelled.ok()) {
          *io.err << "gpopctl: cancel: " << ErrorText(cancelled.status()) << "\n";
        }
      });
      return;
    }
    detached = true;
    stream->Cancel();
  });

  const bool json = Json(command);
  const bool bar = io.out_is_tty && !json;
  // An import set: each backup's outcome message stays on screen, and the bar says which
  // backup it is at.
  const bool import_set = command.verb == Verb::kImportSet;
  const v1::ImportSetSpec& set = command.start.spec().import_set();
  const std::set<std::string> set_ids(set.backup_ids().begin(), set.backup_ids().end());
  WatchView view;
  WatchResult result;
  v1::StatusUpdate update;
  while (stream->Read(&update)) {
    if (json) {
      *io.out << ToJson(update, /*pretty=*/false) << "\n";
    } else if (bar) {
      if (update.has_event()) {
        const v1::Event& event = update.event();
        bool notable = client::IsTerminalState(event.state());
        for (const v1::StatusMessage& message : event.messages()) {
          notable = notable || message.severity() == v1::WARNING || message.severity() == v1::ERROR;
          notable = notable || (import_set && set_ids.count(message.object_path()) > 0);
        }
        // Keep warnings, errors and the end on screen above the bar.
        if (notable) *io.out << "\r\x1b[K" << EventLine(event) << "\n";
      }
    } else if (update.has_event()) {
      *io.out << EventLine(update.event()) << "\n";
    } else if (update.has_progress()) {
      WatchView progress;
      progress.Apply(update);
      const std::string backup =
          import_set ? ImportSetBackupProgress(progress, set_ids.size()) : "";
      *io.out << ProgressLine(update.progress()) << (backup.empty() ? "" : "  ") << backup
              << "\n";
    }
    view.Apply(update);
    // Without the bar, each stream item reaches a pipe as it arrives: a script reading
    // gpopctl's output acts on a line when the event happens, not when a buffer fills.
    if (!bar) io.out->flush();
    if (bar) {
      WatchView shown = view;
      if (import_set) {
        const std::string backup = ImportSetBackupProgress(view, set_ids.size());
        shown.message = backup.empty() ? view.message : backup + "  " + view.message;
      }
      *io.out << "\r\x1b[K" << ProgressBarLine(shown, io.width) << std::flush;
    }
    if (update.has_event() && client::IsTerminalState(update.event().state())) {
      result.terminal = update.event();
    }
  }
  interrupts->SetHandler(nullptr);
  if (canceller.joinable()) canceller.join();
  if (bar) *io.out << "\n";
  io.out->flush();

  const absl::Status& status = stream->status();
  if (status.ok() && result.terminal.has_value()) {
    result.exit_code = ExitCodeForState(result.terminal->state());
    return result;
  }
  bool timed_out =
      status.code() == absl::StatusCode::kDeadlineExceeded && command.wait.wait_timeout.has_value();
  if (detached || timed_out) {
    *io.err << "gpopctl: " << (timed_out ? "--wait-timeout reached" : "interrupted")
            << "; detached from " << operation_id << ", which goes on. Resume with: gpopctl watch "
            << operation_id << " --after " << stream->last_sequence() << "\n";
    result.exit_code = kExitDetached;
    return result;
  }
  result.exit_code = Fail(io, status);
  return result;
}

int WriteReport(const Command& command, client::Client& client, const std::string& operation_id,
                const v1::Event& terminal, const Io& io, client::TransferClient* transfer) {
  // A report's text, or a dry run's HTML page.
  auto content_of = [](const v1::OperationResult& r) -> const std::string& {
    return r.has_report() ? r.report().content() : r.gpo().dry_run_report().content();
  };
  v1::OperationResult result = terminal.result();
  // Events carry a report without its content (the server keeps it once); GetOperation has it.
  if (content_of(result).empty()) {
    absl::StatusOr<v1::Operation> op = client.GetOperation(operation_id);
    if (!op.ok()) return Fail(io, op.status());
    result = op->result();
  }
  const v1::ReportInfo& report = result.report();
  // A report larger than the result carries inline comes through the chunked download.
  const bool inline_whole = !result.has_report() || report.size_bytes() == 0 ||
                            static_cast<int64_t>(report.content().size()) == report.size_bytes();
  if (!inline_whole) {
    if (transfer == nullptr) {
      *io.err << "gpopctl: the report is " << report.size_bytes()
              << " bytes and comes only through the transfer service\n";
      return kExitOther;
    }
    const bool to_stdout = command.out_file.empty();
    const std::filesystem::path target =
        to_stdout ? std::filesystem::temp_directory_path() / ("gpopctl-" + operation_id + ".report")
                  : std::filesystem::path(command.out_file);
    absl::StatusOr<client::DownloadResult> down = transfer->DownloadReport(operation_id, target);
    if (!down.ok()) return Fail(io, down.status());
    if (to_stdout) {
      std::ifstream in(target, std::ios::binary);
      if (!Json(command)) *io.out << in.rdbuf();
      std::filesystem::remove(target);
      return kExitOk;
    }
    *io.err << "gpopctl: wrote " << down->size << " bytes to " << command.out_file << " (SHA-256 "
            << down->sha256 << ")\n";
    return kExitOk;
  }
  const std::string& content = content_of(result);
  if (command.out_file.empty()) {
    if (!Json(command)) *io.out << content;
    return kExitOk;
  }
  // Atomically: a full disk or a crash never leaves a partial report under the name.
  if (absl::Status s = client::WriteFileAtomically(command.out_file, content); !s.ok()) {
    *io.err << "gpopctl: cannot write " << command.out_file << ": " << s.message() << "\n";
    return kExitOther;
  }
  *io.err << "gpopctl: wrote " << content.size() << " bytes to " << command.out_file << "\n";
  return kExitOk;
}

int RunStart(const Command& command, client::Client& client, const Io& io,
             InterruptSource* interrupts, client::TransferClient* transfer) {
  absl::StatusOr<v1::Operation> op = client.StartOperation(command.start);
  if (!op.ok()) return Fail(io, op.status());
  if (Json(command)) {
    *io.out << ToJson(*op, /*pretty=*/!command.wait.wait) << "\n";
  } else {
    *io.out << op->id() << "\n";
  }
  io.out->flush();
  if (!command.wait.wait) return kExitOk;
  WatchResult watched = Watch(command, client, op->id(), 0, io, interrupts);
  if (watched.exit_code == kExitOk && watched.terminal.has_value() &&
      (command.start.spec().has_report() || !command.out_file.empty())) {
    return WriteReport(command, client, op->id(), *watched.terminal, io, transfer);
  }
  // A restore, import or copy ends with what it did, as `gpopctl get` shows it: a dry run's
  // predicted changes, the safety backup whose restore undoes the change, the error.
  const v1::OperationSpec& spec = command.start.spec();
  if (!Json(command) && watched.terminal.has_value() &&
      (spec.has_restore() || spec.has_import() || spec.has_copy())) {
    absl::StatusOr<v1::Operation> done = client.GetOperation(op->id());
    if (!done.ok()) {
      io.out->flush();
      return Fail(io, done.status());
    }
    *io.out << OperationText(*done);
    io.out->flush();
  }
  return watched.exit_code;
}

// The backup IDs an import set names: as given, those a published upload put in place, or every
// backup of the location (oldest first).
absl::Status ResolveImportSet(const Command& command, client::Client& client,
                              client::TransferClient* transfer, v1::ImportSetSpec* set) {
  if (!command.import_set.upload_id.empty()) {
    if (transfer == nullptr) return absl::UnavailableError("no transfer service connection");
    absl::StatusOr<v1::Upload> upload = transfer->GetUpload(command.import_set.upload_id);
    if (!upload.ok()) return upload.status();
    if (upload->state() != v1::PUBLISHED) {
      return absl::FailedPreconditionError(
          absl::StrCat("upload ", upload->upload_id(), " is not published yet (",
                       upload->received_bytes(), " of ", upload->total_bytes(), " bytes)"));
    }
    if (!set->location().empty() && set->location() != upload->location()) {
      return absl::InvalidArgumentError(absl::StrCat("--location ", set->location(),
                                                     ": upload ", upload->upload_id(),
                                                     " is in location ", upload->location()));
    }
    set->set_location(upload->location());
    for (const v1::UploadedBackup& b : upload->backups()) {
      set->add_backup_ids(b.backup().backup_id());
    }
  } else if (command.import_set.all) {
    v1::ListBackupsRequest list;
    list.set_location(set->location());
    absl::StatusOr<v1::ListBackupsResponse> listed = client.ListBackups(list);
    if (!listed.ok()) return listed.status();
    for (int i = listed->backups_size() - 1; i >= 0; --i) {
      set->add_backup_ids(listed->backups(i).backup_id());
    }
  }
  if (set->backup_ids_size() == 0) {
    return absl::FailedPreconditionError("import-set: no backups to import");
  }
  return absl::OkStatus();
}

// gpopctl import-set: starts the import set; with --wait follows it (overall progress, the
// backup it is at, each backup's outcome as it ends) and prints every backup's outcome.
int RunImportSet(const Command& command, client::Client& client, const Io& io,
                 InterruptSource* interrupts, client::TransferClient* transfer) {
  Command resolved = command;
  v1::ImportSetSpec* set = resolved.start.mutable_spec()->mutable_import_set();
  if (absl::Status s = ResolveImportSet(command, client, transfer, set); !s.ok()) {
    return Fail(io, s);
  }
  absl::StatusOr<v1::Operation> op = client.StartOperation(resolved.start);
  if (!op.ok()) return Fail(io, op.status());
  if (Json(command)) {
    *io.out << ToJson(*op, /*pretty=*/!command.wait.wait) << "\n";
  } else {
    *io.out << op->id() << "\n";
  }
  io.out->flush();
  if (!command.wait.wait) return kExitOk;
  WatchResult watched = Watch(resolved, client, op->id(), 0, io, interrupts);
  if (!watched.terminal.has_value()) return watched.exit_code;
  v1::ImportSetResult result = watched.terminal->result().import_set();
  if (result.entries_size() == 0) {
    absl::StatusOr<v1::Operation> done = client.GetOperation(op->id());
    if (done.ok()) result = done->result().import_set();
  }
  if (!Json(command) && result.entries_size() > 0) *io.out << ImportSetOutcomeText(result);
  io.out->flush();
  if (watched.exit_code == kExitOk && ImportSetFailed(result)) return kExitFailed;
  return watched.exit_code;
}

int RunVersion(const Command& command, client::Client& client, const Io& io) {
  v1::ListOperationsRequest probe;
  probe.set_page_size(1);
  absl::StatusOr<v1::ListOperationsResponse> listed = client.ListOperations(probe);
  // Any answer from the server itself (even a refusal) shows it is there.
  bool reachable = listed.ok() || (listed.status().code() != absl::StatusCode::kUnavailable &&
                                   listed.status().code() != absl::StatusCode::kDeadlineExceeded);
  if (Json(command)) {
    google::protobuf::Struct info;
    auto& fields = *info.mutable_fields();
    fields["clientVersion"].set_string_value(client::kClientVersion);
    fields["server"].set_string_value(command.global.server);
    fields["reachable"].set_bool_value(reachable);
    if (listed.ok()) {
      fields["revision"].set_number_value(static_cast<double>(listed->revision()));
    } else {
      fields["error"].set_string_value(ErrorText(listed.status()));
    }
    *io.out << ToJson(info, /*pretty=*/true) << "\n";
  } else {
    *io.out << "gpopctl " << client::kClientVersion << "\n"
            << "server " << command.global.server;
    if (listed.ok()) {
      *io.out << ": reachable (revision " << listed->revision() << ")\n";
    } else {
      *io.out << ": " << (reachable ? "reachable, but " : "unreachable: ")
              << ErrorText(listed.status()) << "\n";
    }
  }
  return reachable ? kExitOk : kExitUnavailable;
}

template <typename Response>
int Print(const Command& command, const absl::StatusOr<Response>& response, const Io& io,
          std::string (*text)(const Response&)) {
  if (!response.ok()) return Fail(io, response.status());
  if (Json(command)) {
    *io.out << ToJson(*response, /*pretty=*/true) << "\n";
  } else {
    *io.out << text(*response);
  }
  return kExitOk;
}

std::string CancelText(const v1::Operation& op) {
  return absl::StrCat(op.id(), ": ", StateName(op.state()),
                      op.cancel_requested() ? " (cancel requested)" : "", "\n");
}

// Every event of the operations that match the filter, from a revision on, until Ctrl-C.
int RunEvents(const Command& command, client::Client& client, const Io& io,
              InterruptSource* interrupts) {
  uint64_t after = 0;
  if (command.after_revision.has_value()) {
    after = *command.after_revision;
  } else {
    // List-then-watch: start from the revision a listing reflects, so that nothing is missed.
    v1::ListOperationsRequest list;
    list.set_filter(command.events_filter);
    list.set_page_size(1);
    absl::StatusOr<v1::ListOperationsResponse> page = client.ListOperations(list);
    if (!page.ok()) return Fail(io, page.status());
    after = page->revision();
  }
  std::unique_ptr<client::WatchStream> stream =
      client.WatchOperations(after, command.events_filter);
  std::atomic<bool> detached{false};
  interrupts->SetHandler([&] {
    detached = true;
    stream->Cancel();
  });
  v1::WatchOperationsResponse response;
  while (stream->Read(&response)) {
    if (!response.has_event()) continue;
    if (Json(command)) {
      *io.out << ToJson(response.event(), /*pretty=*/false) << "\n";
    } else {
      *io.out << response.event().operation_id() << "  " << EventLine(response.event()) << "\n";
    }
    io.out->flush();
  }
  interrupts->SetHandler(nullptr);
  if (detached) {
    *io.err << "gpopctl: interrupted. Resume with: gpopctl events --after-revision "
            << stream->last_revision()
            << (command.events_filter.empty() ? "" : " --filter '" + command.events_filter + "'")
            << "\n";
    return kExitDetached;
  }
  return Fail(io, stream->status());
}

}  // namespace

int RunCommand(const Command& command, client::Client& client, const Io& io,
               InterruptSource* interrupts, client::TransferClient* transfer) {
  switch (command.verb) {
    case Verb::kStart:
      return RunStart(command, client, io, interrupts, transfer);
    case Verb::kImportSet:
      return RunImportSet(command, client, io, interrupts, transfer);
    case Verb::kWatch:
      return Watch(command, client, command.operation_id, command.after_sequence, io, interrupts)
          .exit_code;
    case Verb::kCancel:
      return Print(command, client.Cancel(command.operation_id), io, &CancelText);
    case Verb::kGet:
      return Print(command, client.GetOperation(command.operation_id), io, &OperationText);
    case Verb::kList:
      return Print(command,
                   command.list_all
                       ? client.ListAllOperations(command.list.filter(), command.list.page_size())
                       : client.ListOperations(command.list),
                   io, &OperationsTable);
    case Verb::kGpos:
      return Print(command, client.ListGpos(), io, &GposTable);
    case Verb::kBackups:
      return Print(command, client.ListBackups(command.backups), io, &BackupsTable);
    case Verb::kAudit:
      return Print(command,
                   command.audit_all ? client.ListAllAuditEntries(command.audit)
                                     : client.ListAuditEntries(command.audit),
                   io, &AuditTable);
    case Verb::kVersion:
      return RunVersion(command, client, io);
    case Verb::kEvents:
      return RunEvents(command, client, io, interrupts);
    case Verb::kUpload:
    case Verb::kDownloadBackup:
      if (transfer == nullptr) {
        *io.err << "gpopctl: no transfer service connection\n";
        return kExitOther;
      }
      return command.verb == Verb::kUpload ? RunUpload(command, *transfer, io)
                                           : RunDownloadBackup(command, *transfer, io);
    case Verb::kHelp:
      break;
  }
  *io.out << UsageText();
  return kExitOk;
}

}  // namespace gpop::ctl
