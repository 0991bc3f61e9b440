#include "service/engine/principal_limits.h"

#include "service/engine/engine.h"

namespace gpop::engine {

PrincipalLimits PrincipalLimits::Of(const EngineOptions& options) {
  return PrincipalLimits(Limits{options.max_running_per_principal, options.max_queued_per_principal,
                                options.max_streams_per_principal},
                         options.principal_limits);
}

PrincipalLimits::Limits PrincipalLimits::For(const std::string& principal) const {
  Limits limits = defaults_;
  if (overrides_ == nullptr) return limits;
  const LimitOverrides own = overrides_(principal);
  if (own.max_running) limits.max_running = *own.max_running;
  if (own.max_queued) limits.max_queued = *own.max_queued;
  if (own.max_streams) limits.max_streams = *own.max_streams;
  return limits;
}

}  // namespace gpop::engine
