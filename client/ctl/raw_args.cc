// gpopctl's command-line tokens and shared checks (see raw_args.h).

#include "client/ctl/raw_args.h"

#include <optional>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace gpop::ctl {

absl::Status Usage(const std::string& message) { return absl::InvalidArgumentError(message); }

absl::StatusOr<RawArgs> Tokenize(const std::vector<std::string>& args, const FlagLookup& lookup) {
  RawArgs raw;
  bool flags_done = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (flags_done || arg.size() < 2 || arg[0] != '-') {
      if (raw.subcommand.empty()) {
        raw.subcommand = arg;
      } else {
        raw.positional.push_back(arg);
      }
      continue;
    }
    if (arg == "--") {
      flags_done = true;
      continue;
    }
    std::string name;
    std::optional<std::string> value;
    if (arg == "-o") {
      name = "output";
    } else if (arg == "-h") {
      name = "help";
    } else if (arg.rfind("--", 0) == 0) {
      name = arg.substr(2);
      size_t eq = name.find('=');
      if (eq != std::string::npos) {
        value = name.substr(eq + 1);
        name = name.substr(0, eq);
      }
    } else {
      return Usage(absl::StrCat("unknown flag ", arg));
    }
    const FlagSpec* spec = lookup(raw.subcommand, name);
    if (spec == nullptr) {
      if (raw.subcommand.empty()) return Usage(absl::StrCat("unknown global flag --", name));
      return Usage(absl::StrCat("unknown flag --", name, " for '", raw.subcommand, "'"));
    }
    if (spec->takes_value) {
      if (!value.has_value()) {
        if (i + 1 >= args.size()) return Usage(absl::StrCat("--", name, " needs a value"));
        value = args[++i];
      }
    } else if (value.has_value()) {
      return Usage(absl::StrCat("--", name, " takes no value"));
    } else {
      value = "";
    }
    std::vector<std::string>& values = raw.flags[name];
    if (!values.empty() && !spec->repeatable) {
      return Usage(absl::StrCat("--", name, " given twice"));
    }
    values.push_back(*value);
  }
  return raw;
}

absl::Status RequireFlag(const RawArgs& raw, const std::string& name) {
  if (!raw.Has(name) || raw.Get(name).empty()) {
    return Usage(absl::StrCat("'", raw.subcommand, "' needs --", name));
  }
  return absl::OkStatus();
}

absl::Status ExactlyOne(const RawArgs& raw, const std::string& a, const std::string& b) {
  if (raw.Has(a) == raw.Has(b)) {
    return Usage(absl::StrCat("'", raw.subcommand, "' needs exactly one of --", a, " and --", b));
  }
  return RequireFlag(raw, raw.Has(a) ? a : b);
}

absl::StatusOr<absl::Duration> ParsePositiveDuration(const std::string& flag,
                                                     const std::string& text) {
  absl::Duration duration;
  if (!absl::ParseDuration(text, &duration) || duration <= absl::ZeroDuration() ||
      duration == absl::InfiniteDuration()) {
    return Usage(absl::StrCat("--", flag,
                              ": expected a positive duration such as 30s, 10m or "
                              "1h30m, got '",
                              text, "'"));
  }
  return duration;
}

absl::Status ParsePageSize(const RawArgs& raw, int32_t* page_size) {
  if (!raw.Has("page-size")) return absl::OkStatus();
  int32_t value = 0;
  if (!absl::SimpleAtoi(raw.Get("page-size"), &value) || value <= 0 || value > 1000) {
    return Usage(absl::StrCat("--page-size: expected 1..1000, got '", raw.Get("page-size"), "'"));
  }
  *page_size = value;
  return absl::OkStatus();
}

}  // namespace gpop::ctl
