// Tokens, certificates and Unix uids -> principals (see configured_authenticator.h).

#include "service/api/auth/configured_authenticator.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "service/engine/status_convert.h"

namespace gpop::api {
namespace {

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::string why = std::strerror(errno);
    return errno == ENOENT ? absl::NotFoundError(path + ": " + why)
                           : absl::PermissionDeniedError(path + ": " + why);
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

absl::Status Unauthenticated(const std::string& message) {
  return engine::MakeStatus(core::Code::kUnauthenticated, reason::kUnauthenticated, message);
}

}  // namespace

absl::StatusOr<std::unique_ptr<ConfiguredAuthenticator>> ConfiguredAuthenticator::Load(
    std::string tokens_file, std::string policy_file, engine::Clock* clock) {
  std::unique_ptr<ConfiguredAuthenticator> auth(
      new ConfiguredAuthenticator(std::move(tokens_file), std::move(policy_file), clock));
  if (absl::Status s = auth->Reload(); !s.ok()) return s;
  return auth;
}

absl::Status ConfiguredAuthenticator::Reload() {
  auto config = std::make_shared<Config>();
  if (!tokens_file_.empty()) {
    absl::StatusOr<std::string> text = ReadFile(tokens_file_);
    if (!text.ok()) return text.status();
    absl::StatusOr<TokenTable> tokens = ParseTokensFile(*text, tokens_file_);
    if (!tokens.ok()) return tokens.status();
    config->tokens = *std::move(tokens);
  }
  if (!policy_file_.empty()) {
    absl::StatusOr<std::string> text = ReadFile(policy_file_);
    if (!text.ok()) return text.status();
    absl::StatusOr<AuthPolicy> policy = ParsePolicyFile(*text, policy_file_);
    if (!policy.ok()) return policy.status();
    config->policy = *std::move(policy);
  }
  core::MutexLock lock(&mu_);
  config_ = std::move(config);
  return absl::OkStatus();
}

absl::StatusOr<Principal> ConfiguredAuthenticator::Authenticate(
    const Credentials& credentials) const {
  std::shared_ptr<const Config> config;
  {
    core::MutexLock lock(&mu_);
    config = config_;
  }
  std::string name;
  if (credentials.bearer_token) {
    auto it = config->tokens.find(HashToken(*credentials.bearer_token));
    if (it == config->tokens.end()) return Unauthenticated("the bearer token is not valid");
    if (it->second.expires && clock_->Now() >= *it->second.expires) {
      return Unauthenticated("the bearer token has expired");
    }
    name = it->second.principal;
  } else if (!credentials.certificate_identities.empty()) {
    for (const std::string& identity : credentials.certificate_identities) {
      auto it = config->policy.certificates.find(identity);
      if (it != config->policy.certificates.end()) {
        name = it->second;
        break;
      }
    }
    if (name.empty()) return Unauthenticated("the client certificate is not mapped to a principal");
  } else if (credentials.peer_uid) {
    auto it = config->policy.uids.find(*credentials.peer_uid);
    if (it == config->policy.uids.end()) {
      return Unauthenticated("Unix user " + std::to_string(*credentials.peer_uid) +
                             " is not mapped to a principal");
    }
    name = it->second;
  } else {
    return Unauthenticated(
        "this server needs credentials: a bearer token (authorization: Bearer ...), a client "
        "certificate, or a mapped Unix user on its socket");
  }
  Principal principal;
  principal.name = name;
  if (auto it = config->policy.grants.find(name); it != config->policy.grants.end()) {
    principal.grants = it->second;
  }
  if (auto it = config->policy.starts_per_minute.find(name);
      it != config->policy.starts_per_minute.end()) {
    principal.starts_per_minute = it->second;
  }
  return principal;
}

engine::LimitOverrides ConfiguredAuthenticator::LimitsOf(const std::string& principal) const {
  core::MutexLock lock(&mu_);
  auto it = config_->policy.engine_limits.find(principal);
  return it == config_->policy.engine_limits.end() ? engine::LimitOverrides{} : it->second;
}

}  // namespace gpop::api
