// Tokens and policy files (see auth_files.h).

#include "service/api/auth/auth_files.h"

#include <openssl/sha.h>

#include <cctype>
#include <cstdlib>
#include <sstream>

#include "absl/time/time.h"

namespace gpop::api {
namespace {

// The words of one line; "..." groups blanks into a word. Empty for blank and comment lines.
absl::StatusOr<std::vector<std::string>> Words(const std::string& line) {
  std::vector<std::string> words;
  size_t i = 0;
  while (i < line.size()) {
    if (std::isspace(static_cast<unsigned char>(line[i]))) {
      ++i;
      continue;
    }
    if (words.empty() && line[i] == '#') break;
    std::string word;
    bool quoted = false;
    while (i < line.size() && (quoted || !std::isspace(static_cast<unsigned char>(line[i])))) {
      if (line[i] == '"') {
        quoted = !quoted;
      } else {
        word += line[i];
      }
      ++i;
    }
    if (quoted) return absl::InvalidArgumentError("unterminated \"");
    words.push_back(word);
  }
  return words;
}

absl::Status LineError(const std::string& source, int number, const std::string& problem) {
  return absl::InvalidArgumentError(source + ":" + std::to_string(number) + ": " + problem);
}

bool IsLowerHex(const std::string& s) {
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c)) && (c < 'a' || c > 'f')) return false;
  }
  return true;
}

// Calls `fn(words, line_number)` for each non-blank line; stops at the first error.
template <typename Fn>
absl::Status ForEachLine(const std::string& text, const std::string& source, Fn fn) {
  std::istringstream in(text);
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    absl::StatusOr<std::vector<std::string>> words = Words(line);
    if (!words.ok()) return LineError(source, number, std::string(words.status().message()));
    if (words->empty()) continue;
    if (absl::Status s = fn(*words, number); !s.ok()) return s;
  }
  return absl::OkStatus();
}

// One KEY=N word of a "limit PRINCIPAL" line, into `policy`.
absl::Status ParseLimit(const std::string& principal, const std::string& word, AuthPolicy* policy) {
  const size_t eq = word.find('=');
  const std::string key = word.substr(0, eq);
  const std::string value = eq == std::string::npos ? "" : word.substr(eq + 1);
  if (key == "starts_per_minute") {
    char* end = nullptr;
    double rate = std::strtod(value.c_str(), &end);
    if (value.empty() || *end != '\0' || !(rate >= 0) || rate > 1e6) {
      return absl::InvalidArgumentError("starts_per_minute must be a number from 0 to 1000000");
    }
    policy->starts_per_minute[principal] = rate;
    return absl::OkStatus();
  }
  engine::LimitOverrides& own = policy->engine_limits[principal];
  std::optional<int>* field = key == "max_running"   ? &own.max_running
                              : key == "max_queued"  ? &own.max_queued
                              : key == "max_streams" ? &own.max_streams
                                                     : nullptr;
  if (field == nullptr) {
    return absl::InvalidArgumentError(
        word + ": expected starts_per_minute=, max_running=, max_queued= or max_streams=");
  }
  if (value.empty() || value.size() > 7 ||
      value.find_first_not_of("0123456789") != std::string::npos) {
    return absl::InvalidArgumentError(key + " must be a whole number from 0 to 9999999");
  }
  *field = std::stoi(value);
  return absl::OkStatus();
}

}  // namespace

std::string HashToken(const std::string& token) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(), digest);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char b : digest) {
    hex += kHex[b >> 4];
    hex += kHex[b & 15];
  }
  return hex;
}

absl::StatusOr<TokenTable> ParseTokensFile(const std::string& text, const std::string& source) {
  TokenTable table;
  absl::Status status =
      ForEachLine(text, source, [&](const std::vector<std::string>& w, int n) -> absl::Status {
        if (w.size() != 3) return LineError(source, n, "expected PRINCIPAL sha256:HEX EXPIRY");
        constexpr char kPrefix[] = "sha256:";
        std::string hash = w[1].rfind(kPrefix, 0) == 0 ? w[1].substr(sizeof(kPrefix) - 1) : "";
        if (hash.size() != 64 || !IsLowerHex(hash)) {
          return LineError(source, n,
                           "the token hash must be sha256: and 64 lower-case hex digits");
        }
        TokenEntry entry{w[0], std::nullopt};
        if (w[2] != "never") {
          absl::Time t;
          std::string error;
          if (!absl::ParseTime(absl::RFC3339_full, w[2], &t, &error)) {
            return LineError(source, n, "expiry " + w[2] + " is not RFC 3339 or \"never\"");
          }
          entry.expires = absl::ToChronoTime(t);
        }
        if (!table.emplace(hash, entry).second) return LineError(source, n, "duplicate token");
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  return table;
}

absl::StatusOr<AuthPolicy> ParsePolicyFile(const std::string& text, const std::string& source) {
  AuthPolicy policy;
  absl::Status status =
      ForEachLine(text, source, [&](const std::vector<std::string>& w, int n) -> absl::Status {
        if (w[0] == "grant") {
          if (w.size() < 3) return LineError(source, n, "expected grant PRINCIPAL ROLE ...");
          std::optional<Role> role = ParseRole(w[2]);
          if (!role)
            return LineError(source, n, "role " + w[2] + ": expected viewer, operator or admin");
          Grant grant;
          grant.role = *role;
          for (size_t i = 3; i < w.size(); ++i) {
            size_t eq = w[i].find('=');
            std::string key = w[i].substr(0, eq);
            std::string value = eq == std::string::npos ? "" : w[i].substr(eq + 1);
            if (value.empty())
              return LineError(source, n, w[i] + ": expected kind=, gpo= or label=");
            if (key == "kind") {
              std::optional<core::OperationKind> kind = core::ParseKind(value);
              if (!kind) return LineError(source, n, "kind " + value + " is not an operation kind");
              grant.kinds.push_back(*kind);
            } else if (key == "gpo") {
              grant.gpos.push_back(value);
            } else if (key == "label") {
              size_t leq = value.find('=');
              if (leq == std::string::npos || leq == 0) {
                return LineError(source, n, "label " + value + ": expected label=KEY=VALUE");
              }
              grant.labels[value.substr(0, leq)] = value.substr(leq + 1);
            } else {
              return LineError(source, n, w[i] + ": expected kind=, gpo= or label=");
            }
          }
          policy.grants[w[1]].push_back(std::move(grant));
        } else if (w[0] == "cert") {
          if (w.size() != 3) return LineError(source, n, "expected cert IDENTITY PRINCIPAL");
          policy.certificates[w[1]] = w[2];
        } else if (w[0] == "uid") {
          if (w.size() != 3 || w[1].empty() || w[1].size() > 10 ||
              w[1].find_first_not_of("0123456789") != std::string::npos ||
              std::stoull(w[1]) > 0xFFFFFFFFull) {
            return LineError(source, n, "expected uid UID PRINCIPAL with a numeric UID");
          }
          policy.uids[static_cast<uint32_t>(std::stoull(w[1]))] = w[2];
        } else if (w[0] == "limit") {
          if (w.size() < 3) return LineError(source, n, "expected limit PRINCIPAL KEY=N...");
          for (size_t i = 2; i < w.size(); ++i) {
            if (absl::Status s = ParseLimit(w[1], w[i], &policy); !s.ok()) {
              return LineError(source, n, std::string(s.message()));
            }
          }
        } else {
          return LineError(source, n, w[0] + ": expected grant, cert, uid or limit");
        }
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  return policy;
}

}  // namespace gpop::api
