// gpopctl's command-line parser: one table of every subcommand's argument group (flags, and how
// they become a Command), the command line tokenized against it, then the group's parser.

#include "client/ctl/args.h"

#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "client/ctl/global_args.h"
#include "client/ctl/import_set_args.h"
#include "client/ctl/listing_args.h"
#include "client/ctl/operation_args.h"
#include "client/ctl/raw_args.h"
#include "client/ctl/subcommand_args.h"
#include "client/ctl/transfer_args.h"
#include "client/ctl/watch_args.h"
#include "service/core/guid.h"

namespace gpop::ctl {
namespace {

// Every subcommand, by name.
const std::map<std::string, SubcommandArgs>& Subcommands() {
  static const auto* table = [] {
    auto* subcommands = new std::map<std::string, SubcommandArgs>;
    for (std::vector<SubcommandArgs> group :
         {OperationSubcommands(), ImportSetSubcommands(), WatchSubcommands(), ListingSubcommands(),
          TransferSubcommands()}) {
      for (SubcommandArgs& s : group) subcommands->emplace(s.name, std::move(s));
    }
    auto verb_only = [](Verb verb) {
      return [verb](const RawArgs&, Command* command) {
        command->verb = verb;
        return absl::OkStatus();
      };
    };
    subcommands->emplace("version",
                         SubcommandArgs{"version", {}, false, false, verb_only(Verb::kVersion)});
    subcommands->emplace("help", SubcommandArgs{"help", {}, false, false, verb_only(Verb::kHelp)});
    return subcommands;
  }();
  return *table;
}

const FlagSpec* FindFlag(const std::string& subcommand, const std::string& name) {
  if (const FlagSpec* global = FindGlobalFlag(name); global != nullptr) return global;
  auto it = Subcommands().find(subcommand);
  if (it == Subcommands().end()) return nullptr;
  if (it->second.operation_flags) {
    for (const FlagSpec& spec : OperationFlags()) {
      if (name == spec.name) return &spec;
    }
  }
  for (const FlagSpec& spec : it->second.flags) {
    if (name == spec.name) return &spec;
  }
  return nullptr;
}

}  // namespace

v1::GpoRef ParseGpoRef(const std::string& text) {
  v1::GpoRef ref;
  if (std::optional<std::string> guid = core::NormalizeGuid(text); guid.has_value()) {
    ref.set_guid(*guid);
  } else {
    ref.set_display_name(text);
  }
  return ref;
}

absl::StatusOr<Command> ParseCommandLine(const std::vector<std::string>& args,
                                         const Getenv& getenv) {
  // Find the subcommand first: flag validity depends on it.
  absl::StatusOr<RawArgs> raw = Tokenize(args, FindFlag);
  if (!raw.ok()) return raw.status();
  Command command;
  if (absl::Status s = ParseGlobals(*raw, getenv, &command.global); !s.ok()) return s;
  command.name = raw->subcommand;
  if (raw->Has("help") || raw->subcommand == "help") {
    command.verb = Verb::kHelp;
    return command;
  }
  if (raw->subcommand.empty()) return Usage("no subcommand given");
  auto it = Subcommands().find(raw->subcommand);
  if (it == Subcommands().end()) {
    return Usage(absl::StrCat("unknown subcommand '", raw->subcommand, "'"));
  }
  const SubcommandArgs& subcommand = it->second;
  if (!subcommand.positional && !raw->positional.empty()) {
    return Usage(
        absl::StrCat("'", raw->subcommand, "' takes no argument '", raw->positional[0], "'"));
  }
  if (absl::Status s = subcommand.parse(*raw, &command); !s.ok()) return s;
  return command;
}

}  // namespace gpop::ctl
