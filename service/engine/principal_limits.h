// Per-principal limits on running and queued operations and open streams: the server-wide
// values of EngineOptions, which a principal's own values (from the authorization policy) may
// override.

#ifndef GPOP_SERVICE_ENGINE_PRINCIPAL_LIMITS_H_
#define GPOP_SERVICE_ENGINE_PRINCIPAL_LIMITS_H_

#include <functional>
#include <optional>
#include <string>
#include <utility>

namespace gpop::engine {

struct EngineOptions;  // service/engine/engine.h

// LimitOverrides
//
// One principal's own limits; an unset field takes the server-wide value.
struct LimitOverrides {
  std::optional<int> max_running;  // operations running at once
  std::optional<int> max_queued;   // operations waiting to run
  std::optional<int> max_streams;  // open status and watch streams
};

// LimitOverridesLookup
//
// A principal's overrides. The engine calls it with its lock held: it must be thread-safe,
// quick, and must not call the engine. Null: no principal has overrides.
using LimitOverridesLookup = std::function<LimitOverrides(const std::string& principal)>;

// PrincipalLimits
//
// The limits that apply to a principal: its overrides where it has them, else the server-wide
// defaults. Copyable; as thread-safe as its lookup.
class PrincipalLimits {
 public:
  struct Limits {
    int max_running = 4;
    int max_queued = 200;
    int max_streams = 5000;
  };

  explicit PrincipalLimits(Limits defaults, LimitOverridesLookup overrides = nullptr)
      : defaults_(defaults), overrides_(std::move(overrides)) {}

  // EngineOptions' max_*_per_principal and principal_limits.
  static PrincipalLimits Of(const EngineOptions& options);

  // All three limits of `principal` (one lookup).
  Limits For(const std::string& principal) const;

  int MaxRunning(const std::string& principal) const { return For(principal).max_running; }
  int MaxQueued(const std::string& principal) const { return For(principal).max_queued; }
  int MaxStreams(const std::string& principal) const { return For(principal).max_streams; }

 private:
  Limits defaults_;
  LimitOverridesLookup overrides_;
};

}  // namespace gpop::engine

#endif  // GPOP_SERVICE_ENGINE_PRINCIPAL_LIMITS_H_
