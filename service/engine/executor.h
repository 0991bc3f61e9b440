// The executor: the threads that run admitted operations through the backend, the progress
// sink the backend reports to, and the mapping of a run's outcome to the operation's terminal
// event (also for runs a restart interrupted). A run starts only once its RUNNING event is
// durable, so that recovery knows to resolve it by its intent instead of running it twice —
// unless the backend's Recover answers for every run (Backend::RecoversEveryRun): then once its
// creation is durable, and recovery asks the backend about QUEUED operations too.

#ifndef GPOP_SERVICE_ENGINE_EXECUTOR_H_
#define GPOP_SERVICE_ENGINE_EXECUTOR_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "service/core/backend.h"
#include "service/engine/engine_core.h"
#include "service/engine/outcome.h"

namespace gpop::engine {

// Executor
//
// Thread-safe. Methods named *Locked need core->s.mu (asserted); the others must be called
// without it.
class Executor {
 public:
  explicit Executor(EngineCore* core);
  ~Executor();  // StopWorkers(), EndLifeline()
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  // Starts the executor threads (executor_threads of them), once every part is wired.
  void Start();

  // Admits what may run now (the scheduler decides), records RUNNING and hands each to a
  // thread. Nothing is dispatched once shutdown began or the store failed.
  void DispatchLocked();
  // After a committed batch: wakes a thread for each run dispatched with its creation (the
  // batch holds their RUNNING events).
  void WakeLocked();

  // Appends the terminal event for `ending` and hands the operation to retention.
  void FinishLocked(Op* op, Ending ending);

  // A dispatched run is over (finished, or never started because the store failed): its locks
  // and its place in the running counts go to the next.
  void EndRunLocked(Op* op);

  // Recovery: ends a run the server restarted under, by the backend's Recover.
  void ResolveRun(const std::string& id, bool was_cancelling);

  // Recovery, with a backend whose Recover answers for every run: whether the QUEUED operation
  // `id` had begun a run that a crash took the RUNNING event of. If Recover resolves it (rolled
  // forward, or unresolvable), records RUNNING and the run's end by that answer and returns
  // true; nullopt (no effects) returns false: the operation is queued again.
  bool ResolveQueued(const std::string& id);

  // Shutdown: waits until no operation runs, or until `bound` on the engine's clock.
  void AwaitRunsEnded(Time bound);

  // Shutdown: stops the threads. A thread still inside the backend's Run is not joined but
  // abandoned: its run's later outcome is ignored (the next start's Recover resolves it).
  // Idempotent.
  void StopWorkers();

  // From here on, an abandoned run calls nothing of the engine's (waits for calls in
  // progress). For the engine's destructor.
  void EndLifeline();

 private:
  class Lifeline;

  // At dispatch, once RUNNING is durable and before the backend runs it: asks the backend for
  // the operation's claims again (names resolve now as they will for the run) and takes the
  // locks its start-time claims lack, until the backend's answer is covered. An error
  // (ABORTED / RESOURCES_CHANGED, naming the resource) when another running operation holds
  // one of them, or when the answer keeps changing; nothing was done then.
  std::optional<core::Error> ConfirmClaims(const std::string& id, const core::OperationSpec& spec);
  class Sink;

  void WorkerLoop(int worker);
  // The next admitted operation still in the table, as a run needs it, taken in one lock.
  struct Ready {
    core::RunRequest request;  // its operation_id names it
    std::shared_ptr<core::CancelToken> token;
    uint64_t running_revision = 0;
    bool with_creation = false;  // dispatched with its creation: that Start flushes it
  };
  // Waits for the next admitted operation; nullopt once the threads stop.
  std::optional<Ready> NextReady();
  void OnProgress(const std::string& id, int64_t numerator, int64_t denominator);
  void OnMessages(const std::string& id, std::vector<core::StatusMessage> messages,
                  std::optional<uint32_t> hresult);

  EngineCore* const core_;
  core::CondVar work_cv_;  // ready_ has work, or stop
  core::CondVar idle_cv_;  // the running count decreased, or the wait's bound passed
  std::deque<std::string> ready_ GPOP_GUARDED_BY(core_->s.mu);  // admitted, not yet taken
  int unwoken_ GPOP_GUARDED_BY(core_->s.mu) = 0;  // of ready_, no thread woken for them yet
  bool stop_workers_ GPOP_GUARDED_BY(core_->s.mu) = false;
  bool gave_up_waiting_ GPOP_GUARDED_BY(core_->s.mu) = false;
  std::vector<bool> in_run_ GPOP_GUARDED_BY(core_->s.mu);     // per thread: inside Run
  std::vector<bool> abandoned_ GPOP_GUARDED_BY(core_->s.mu);  // per thread: detached
  const std::shared_ptr<Lifeline> lifeline_;
  std::vector<std::thread> workers_;  // written only by Start and StopWorkers
};

}  // namespace gpop::engine

#endif  // GPOP_SERVICE_ENGINE_EXECUTOR_H_
