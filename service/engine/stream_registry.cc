#include "service/engine/stream_registry.h"

#include <utility>

#include "service/engine/status_convert.h"

namespace gpop::engine {

StreamRegistry::StreamRegistry(int max_streams, PrincipalLimits limits)
    : max_streams_(max_streams), limits_(std::move(limits)) {}

absl::Status StreamRegistry::Reserve(const std::string& principal) {
  if (open_ >= max_streams_) {
    return MakeStatus(core::Code::kResourceExhausted, core::reason::kTooManyStreams,
                      "too many open streams on this server; retry later",
                      {{"scope", "server"}, {"limit", std::to_string(max_streams_)}});
  }
  auto mine = per_principal_.find(principal);
  const int open_of_principal = mine == per_principal_.end() ? 0 : mine->second;
  if (const int limit = limits_.MaxStreams(principal); open_of_principal >= limit) {
    return MakeStatus(core::Code::kResourceExhausted, core::reason::kTooManyStreams,
                      "too many open streams for this caller; close some and retry",
                      {{"scope", "principal"}, {"limit", std::to_string(limit)}});
  }
  ++open_;
  ++per_principal_[principal];
  return absl::OkStatus();
}

void StreamRegistry::Release(const std::string& principal) {
  --open_;
  auto it = per_principal_.find(principal);
  if (it != per_principal_.end() && --it->second == 0) per_principal_.erase(it);
}

}  // namespace gpop::engine
