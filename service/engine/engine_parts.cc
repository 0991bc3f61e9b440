#include "service/engine/engine_parts.h"

namespace gpop::engine {

EngineParts::EngineParts(const EngineOptions& options, core::Backend* backend, Store* store,
                         Clock* clock)
    : core(options, backend, store, clock) {
  core.admission = &admission;
  core.cancellation = &cancellation;
  core.committer = &committer;
  core.executor = &executor;
  core.reads = &reads;
  core.removals = &removals;
  core.streams = &streams;
  executor.Start();  // every part is wired
}

EngineParts::~EngineParts() {
  executor.StopWorkers();
  executor.EndLifeline();  // from here on, an abandoned run calls nothing of the engine's
  core.timers.Close();
  core.maintenance.Stop();
  committer.StopFlusher();
  streams.Stop();
  committer.AbandonPending();  // a Start still waiting is answered, never dropped
}

}  // namespace gpop::engine
