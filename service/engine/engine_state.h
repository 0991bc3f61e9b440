// The state the engine's parts share under its one mutex: the operation table, the event log and
// the open streams. Cursors read it directly; everything else goes through Engine::Impl.

#ifndef GPOP_SERVICE_ENGINE_ENGINE_STATE_H_
#define GPOP_SERVICE_ENGINE_ENGINE_STATE_H_

#include <algorithm>

#include "service/core/mutex.h"
#include "service/engine/clock.h"
#include "service/engine/engine.h"
#include "service/engine/event_log.h"
#include "service/engine/operation_table.h"
#include "service/engine/stream_registry.h"

namespace gpop::engine {

// EngineState
//
// Thread-safe through `mu`: no store, backend, clock-cancel or wake call is made while it is
// held (Clock::Schedule is, as clocks never run callbacks inside it).
struct EngineState {
  EngineState(const EngineOptions& o, Clock* c)
      : options(o),
        clock(c),
        ops(static_cast<size_t>(std::max(0, o.cached_finished_operations))),
        log(static_cast<size_t>(o.retained_revisions)),
        streams(o.max_streams, PrincipalLimits::Of(o)) {}

  const EngineOptions options;
  Clock* const clock;

  core::Mutex mu;
  core::CondVar wake_cv;  // a wake call finished
  OperationTable ops GPOP_GUARDED_BY(mu);
  EventLog log GPOP_GUARDED_BY(mu);
  StreamRegistry streams GPOP_GUARDED_BY(mu);
};

}  // namespace gpop::engine

#endif  // GPOP_SERVICE_ENGINE_ENGINE_STATE_H_
