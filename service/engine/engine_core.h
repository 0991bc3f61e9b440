// The engine's shared context: what every part of the engine reaches (the state under the one
// mutex, the scheduler, the backend, the store, the clock, the timers and the maintenance thread)
// and the parts themselves, which EngineParts (engine_parts.h) creates and wires together.

#ifndef GPOP_SERVICE_ENGINE_ENGINE_CORE_H_
#define GPOP_SERVICE_ENGINE_ENGINE_CORE_H_

#include <functional>

#include "service/core/backend.h"
#include "service/core/mutex.h"
#include "service/engine/clock.h"
#include "service/engine/engine.h"
#include "service/engine/engine_state.h"
#include "service/engine/operation_ids.h"
#include "service/engine/scheduler.h"
#include "service/engine/store.h"
#include "service/engine/timer_set.h"
#include "service/engine/work_queue.h"

namespace gpop::engine {

class Admission;     // admission.h: Start
class Cancellation;  // cancellation.h: cancel, deadlines, shutdown's cancel
class Committer;     // committer.h: group commit, durable before visible
class Executor;      // executor.h: executor threads, backend outcomes
class Reads;         // reads.h: Get, List, resident lookups
class Removals;      // removals.h: retention and DeleteOperation
class StreamWiring;  // stream_wiring.h: opening cursors, waking them

// EngineCore
//
// Thread-safe as its members say: everything marked guarded is under `s.mu`. The part pointers
// are set once, before any thread of the engine runs, and never change.
struct EngineCore {
  EngineCore(const EngineOptions& o, core::Backend* b, Store* st, Clock* c)
      : options(o), backend(b), store(st), clock(c), s(o, c),
        scheduler(o.executor_threads, PrincipalLimits::Of(o)), timers(c), maintenance(1) {}

  const EngineOptions options;
  core::Backend* const backend;
  Store* const store;
  Clock* const clock;

  EngineState s;  // the operation table, the event log, the open streams, and the mutex
  Scheduler scheduler GPOP_GUARDED_BY(s.mu);
  OperationIdGenerator ids GPOP_GUARDED_BY(s.mu);
  bool shutting_down GPOP_GUARDED_BY(s.mu) = false;  // no new starts, no more dispatch
  std::function<void(bool)> serving_observer GPOP_GUARDED_BY(s.mu);

  TimerSet timers;        // every timer of the engine's, all cancelled before it goes
  WorkQueue maintenance;  // timer consequences that block: store writes, backend cancels

  // Runs `work` on the maintenance thread at or after `when`: the clock's thread only posts it,
  // it never blocks. May be called with s.mu held.
  Clock::TimerId ScheduleWork(Time when, std::function<void()> work) {
    return timers.Schedule(when, [this, work = std::move(work)] { maintenance.Post(work); });
  }

  // Calls the serving observer with false (readiness went down). Without s.mu.
  void NotifyNotServing() GPOP_EXCLUDES(s.mu) {
    std::function<void(bool)> observer;
    {
      core::MutexLock lock(&s.mu);
      observer = serving_observer;
    }
    if (observer) observer(false);
  }

  Admission* admission = nullptr;
  Cancellation* cancellation = nullptr;
  Committer* committer = nullptr;
  Executor* executor = nullptr;
  Reads* reads = nullptr;
  Removals* removals = nullptr;
  StreamWiring* streams = nullptr;
};

}  // namespace gpop::engine

#endif  // GPOP_SERVICE_ENGINE_ENGINE_CORE_H_
