// gpopctl watch, events, cancel and get (see watch_args.h).

#include "client/ctl/watch_args.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace gpop::ctl {
namespace {

absl::Status ParseOperationId(const RawArgs& raw, Command* command) {
  if (raw.positional.size() != 1 || raw.positional[0].empty()) {
    return Usage(absl::StrCat("'", raw.subcommand, "' needs exactly one operation id"));
  }
  command->operation_id = raw.positional[0];
  return absl::OkStatus();
}

absl::Status ParseWatch(const RawArgs& raw, Command* command) {
  command->verb = Verb::kWatch;
  if (absl::Status s = ParseOperationId(raw, command); !s.ok()) return s;
  if (raw.Has("after") && !absl::SimpleAtoi(raw.Get("after"), &command->after_sequence)) {
    return Usage(absl::StrCat("--after: expected a sequence number, got '", raw.Get("after"), "'"));
  }
  command->wait.wait = true;
  command->wait.cancel_on_interrupt = raw.Has("cancel-on-interrupt");
  if (raw.Has("wait-timeout")) {
    absl::StatusOr<absl::Duration> timeout =
        ParsePositiveDuration("wait-timeout", raw.Get("wait-timeout"));
    if (!timeout.ok()) return timeout.status();
    command->wait.wait_timeout = *timeout;
  }
  return absl::OkStatus();
}

absl::Status ParseEvents(const RawArgs& raw, Command* command) {
  command->verb = Verb::kEvents;
  command->events_filter = raw.Get("filter");
  if (raw.Has("after-revision")) {
    uint64_t revision = 0;
    if (!absl::SimpleAtoi(raw.Get("after-revision"), &revision)) {
      return Usage(absl::StrCat("--after-revision: expected a revision, got '",
                                raw.Get("after-revision"), "'"));
    }
    command->after_revision = revision;
  }
  return absl::OkStatus();
}

}  // namespace

std::vector<SubcommandArgs> WatchSubcommands() {
  return {
      {"watch",
       {{"after", true, false},
        {"wait-timeout", true, false},
        {"cancel-on-interrupt", false, false}},
       /*operation_flags=*/false,
       /*positional=*/true,
       ParseWatch},
      {"events",
       {{"filter", true, false}, {"after-revision", true, false}},
       false,
       false,
       ParseEvents},
      {"cancel",
       {},
       false,
       true,
       [](const RawArgs& raw, Command* command) {
         command->verb = Verb::kCancel;
         return ParseOperationId(raw, command);
       }},
      {"get",
       {},
       false,
       true,
       [](const RawArgs& raw, Command* command) {
         command->verb = Verb::kGet;
         return ParseOperationId(raw, command);
       }},
  };
}

}  // namespace gpop::ctl
