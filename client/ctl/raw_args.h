// gpopctl's command line before it means anything: the flags a subcommand accepts (FlagSpec),
// the command line split into subcommand, flags and positional arguments (RawArgs, Tokenize),
// and the checks every argument group shares (required flags, durations).
#ifndef GPOP_CLIENT_CTL_RAW_ARGS_H_
#define GPOP_CLIENT_CTL_RAW_ARGS_H_

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace gpop::ctl {

// FlagSpec
//
// One flag a subcommand accepts: its name without the leading dashes, whether it takes a value
// (`--name V` or `--name=V`) and whether it may be given more than once.
struct FlagSpec {
  const char* name;
  bool takes_value;
  bool repeatable;
};

// RawArgs
//
// A command line split up: the subcommand (the first positional argument), every flag given
// (name -> values in order; flags without a value hold ""), and the other positional arguments.
struct RawArgs {
  std::string subcommand;
  std::map<std::string, std::vector<std::string>> flags;
  std::vector<std::string> positional;

  bool Has(const std::string& name) const { return flags.count(name) > 0; }
  // The last value of `name`; "" when it is not given.
  std::string Get(const std::string& name) const {
    auto it = flags.find(name);
    return it == flags.end() ? std::string() : it->second.back();
  }
};

// FlagLookup
//
// The flag `name` as `subcommand` accepts it (subcommand "" before it is known: the global
// flags only); null when it does not.
using FlagLookup =
    std::function<const FlagSpec*(const std::string& subcommand, const std::string& name)>;

// Tokenize
//
// Splits `args` (without the program name). Flags may come before or after the subcommand
// (before it only the global ones, since the subcommand is not known yet); "--" ends the flags;
// `-o` is `--output` and `-h` is `--help`. Unknown flags, missing or unexpected values and
// non-repeatable flags given twice are usage errors.
absl::StatusOr<RawArgs> Tokenize(const std::vector<std::string>& args, const FlagLookup& lookup);

// Usage
//
// A usage error: INVALID_ARGUMENT with a message meant for the user.
absl::Status Usage(const std::string& message);

// RequireFlag / ExactlyOne
//
// `name` given with a non-empty value; exactly one of `a` and `b` given (with a value).
absl::Status RequireFlag(const RawArgs& raw, const std::string& name);
absl::Status ExactlyOne(const RawArgs& raw, const std::string& a, const std::string& b);

// ParsePositiveDuration
//
// `text` as a finite positive duration ("30s", "10m", "1h30m"), for the flag `flag`.
absl::StatusOr<absl::Duration> ParsePositiveDuration(const std::string& flag,
                                                     const std::string& text);

// ParsePageSize
//
// --page-size, 1..1000, into `*page_size` when given.
absl::Status ParsePageSize(const RawArgs& raw, int32_t* page_size);

}  // namespace gpop::ctl

#endif  // GPOP_CLIENT_CTL_RAW_ARGS_H_
