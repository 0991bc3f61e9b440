// gpopctl's global flags (--server, -o, --token, TLS, timeouts), with their environment
// variables, into GlobalOptions.
#ifndef GPOP_CLIENT_CTL_GLOBAL_ARGS_H_
#define GPOP_CLIENT_CTL_GLOBAL_ARGS_H_

#include <string>

#include "absl/status/status.h"
#include "client/ctl/args.h"
#include "client/ctl/raw_args.h"

namespace gpop::ctl {

// FindGlobalFlag
//
// The global flag `name` (every subcommand takes it); null when `name` is not one.
const FlagSpec* FindGlobalFlag(const std::string& name);

// ParseGlobals
//
// The global flags of `raw` over the environment ($GPOP_SERVER, $GPOP_TOKEN, $GPOP_TLS,
// $GPOP_TLS_CA, $GPOP_TLS_CERT, $GPOP_TLS_KEY) over the defaults.
absl::Status ParseGlobals(const RawArgs& raw, const Getenv& getenv, GlobalOptions* global);

}  // namespace gpop::ctl

#endif  // GPOP_CLIENT_CTL_GLOBAL_ARGS_H_
