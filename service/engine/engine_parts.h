// EngineParts: the engine's core and every part, created and wired together (each part reaches
// the others through the core). Engine's facade holds one; part tests build one directly and
// drive the part they test.

#ifndef GPOP_SERVICE_ENGINE_ENGINE_PARTS_H_
#define GPOP_SERVICE_ENGINE_ENGINE_PARTS_H_

#include "service/engine/admission.h"
#include "service/engine/cancellation.h"
#include "service/engine/committer.h"
#include "service/engine/engine_core.h"
#include "service/engine/executor.h"
#include "service/engine/reads.h"
#include "service/engine/removals.h"
#include "service/engine/stream_wiring.h"

namespace gpop::engine {

// EngineParts
//
// The backend, store and clock must outlive it. The executor threads run from construction;
// destruction stops them (a run still inside its backend is abandoned), then the timers, the
// maintenance thread and the fan-out pool, before any part goes.
class EngineParts {
 public:
  EngineParts(const EngineOptions& options, core::Backend* backend, Store* store, Clock* clock);
  ~EngineParts();
  EngineParts(const EngineParts&) = delete;
  EngineParts& operator=(const EngineParts&) = delete;

  EngineCore core;
  Committer committer{&core};
  StreamWiring streams{&core};
  Reads reads{&core};
  Removals removals{&core};
  Cancellation cancellation{&core};
  Admission admission{&core};
  Executor executor{&core};  // last: its threads go first
};

}  // namespace gpop::engine

#endif  // GPOP_SERVICE_ENGINE_ENGINE_PARTS_H_
