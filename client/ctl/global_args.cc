// gpopctl's global flags (see global_args.h).

#include "client/ctl/global_args.h"

#include <optional>

#include "absl/strings/str_cat.h"

namespace gpop::ctl {
namespace {

constexpr FlagSpec kGlobalFlags[] = {
    {"server", true, false}, {"output", true, false},  {"token", true, false},
    {"tls", false, false},   {"ca-file", true, false}, {"call-timeout", true, false},
    {"cert", true, false},   {"key", true, false},     {"reconnect-for", true, false},
    {"help", false, false},
};

}  // namespace

const FlagSpec* FindGlobalFlag(const std::string& name) {
  for (const FlagSpec& spec : kGlobalFlags) {
    if (name == spec.name) return &spec;
  }
  return nullptr;
}

absl::Status ParseGlobals(const RawArgs& raw, const Getenv& getenv, GlobalOptions* global) {
  if (std::optional<std::string> env = getenv("GPOP_SERVER"); env.has_value() && !env->empty()) {
    global->server = *env;
  }
  if (raw.Has("server")) global->server = raw.Get("server");
  if (global->server.empty()) return Usage("--server: empty address");
  if (raw.Has("output")) {
    std::string output = raw.Get("output");
    if (output == "json") {
      global->output = OutputFormat::kJson;
    } else if (output == "text") {
      global->output = OutputFormat::kText;
    } else {
      return Usage(absl::StrCat("--output: expected text or json, got '", output, "'"));
    }
  }
  if (std::optional<std::string> env = getenv("GPOP_TOKEN"); env.has_value()) global->token = *env;
  if (raw.Has("token")) global->token = raw.Get("token");
  // TLS settings: flags over the environment ($GPOP_TLS=1, $GPOP_TLS_CA, $GPOP_TLS_CERT,
  // $GPOP_TLS_KEY); any file implies TLS.
  auto setting = [&](const char* flag, const char* env) {
    if (raw.Has(flag)) return raw.Get(flag);
    std::optional<std::string> value = getenv(env);
    return value.value_or("");
  };
  global->ca_file = setting("ca-file", "GPOP_TLS_CA");
  global->cert_file = setting("cert", "GPOP_TLS_CERT");
  global->key_file = setting("key", "GPOP_TLS_KEY");
  std::optional<std::string> tls_env = getenv("GPOP_TLS");
  global->tls = raw.Has("tls") || (tls_env.has_value() && *tls_env == "1") ||
                !global->ca_file.empty() || !global->cert_file.empty();
  if (global->cert_file.empty() != global->key_file.empty()) {
    return Usage("--cert and --key go together (or $GPOP_TLS_CERT and $GPOP_TLS_KEY)");
  }
  if (raw.Has("call-timeout")) {
    absl::StatusOr<absl::Duration> timeout =
        ParsePositiveDuration("call-timeout", raw.Get("call-timeout"));
    if (!timeout.ok()) return timeout.status();
    global->call_timeout = *timeout;
  }
  if (raw.Has("reconnect-for")) {
    absl::StatusOr<absl::Duration> reconnect =
        ParsePositiveDuration("reconnect-for", raw.Get("reconnect-for"));
    if (!reconnect.ok()) return reconnect.status();
    global->reconnect_for = *reconnect;
  }
  return absl::OkStatus();
}

}  // namespace gpop::ctl
