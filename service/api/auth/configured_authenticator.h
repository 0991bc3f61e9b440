// The authenticator of a gpopd with credentials configured: bearer tokens from the tokens file,
// verified client certificates and Unix peer uids mapped by the policy file (auth_files.h), each
// to a principal whose grants the policy file gives. Every call needs one of these credentials.

#ifndef GPOP_SERVICE_API_AUTH_CONFIGURED_AUTHENTICATOR_H_
#define GPOP_SERVICE_API_AUTH_CONFIGURED_AUTHENTICATOR_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "service/api/auth/auth_files.h"
#include "service/api/auth/authenticator.h"
#include "service/core/mutex.h"
#include "service/engine/clock.h"

namespace gpop::api {

// ConfiguredAuthenticator
//
// Thread-safe. Reload() (on SIGHUP) reads both files again and swaps them in at once, or keeps
// the previous configuration when either does not parse. `clock` (token expiry) must outlive it.
class ConfiguredAuthenticator final : public Authenticator {
 public:
  // Either path may be empty (no tokens; no policy). Errors: those of Reload.
  static absl::StatusOr<std::unique_ptr<ConfiguredAuthenticator>> Load(std::string tokens_file,
                                                                       std::string policy_file,
                                                                       engine::Clock* clock);

  // Errors: NOT_FOUND / PERMISSION_DENIED (cannot read a file), INVALID_ARGUMENT (a bad line).
  absl::Status Reload() GPOP_EXCLUDES(mu_);

  // Tried in this order, the first credential present decides: the bearer token (unknown or
  // expired: UNAUTHENTICATED), the client certificate (no identity mapped: UNAUTHENTICATED),
  // the Unix peer uid (not mapped: UNAUTHENTICATED). No credential: UNAUTHENTICATED.
  absl::StatusOr<Principal> Authenticate(const Credentials& credentials) const override
      GPOP_EXCLUDES(mu_);

  // LimitsOf
  //
  // `principal`'s own engine limits from the policy file's "limit" lines as last loaded (none
  // set: the server-wide ones apply). Takes only this authenticator's lock and never calls out,
  // as EngineOptions::principal_limits requires.
  engine::LimitOverrides LimitsOf(const std::string& principal) const GPOP_EXCLUDES(mu_);

 private:
  struct Config {
    TokenTable tokens;
    AuthPolicy policy;
  };

  ConfiguredAuthenticator(std::string tokens_file, std::string policy_file, engine::Clock* clock)
      : tokens_file_(std::move(tokens_file)), policy_file_(std::move(policy_file)), clock_(clock) {}

  const std::string tokens_file_;
  const std::string policy_file_;
  engine::Clock* const clock_;
  mutable core::Mutex mu_;
  std::shared_ptr<const Config> config_ GPOP_GUARDED_BY(mu_);
};

}  // namespace gpop::api

#endif  // GPOP_SERVICE_API_AUTH_CONFIGURED_AUTHENTICATOR_H_
