// Background threads for the engine's work that must not run where it arises: timer
// consequences (deadline cancels, retention deletes) that write the store, off the clock's
// thread; and wake fan-out, off the threads that report progress or lead a group commit.

#ifndef GPOP_SERVICE_ENGINE_WORK_QUEUE_H_
#define GPOP_SERVICE_ENGINE_WORK_QUEUE_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "service/core/mutex.h"

namespace gpop::engine {

// WorkQueue
//
// A fixed number of threads running posted tasks; with one thread, in the order posted.
// Thread-safe. Post never blocks (it may be called with other locks held: it takes only its own).
class WorkQueue {
 public:
  explicit WorkQueue(int threads);
  ~WorkQueue();  // Stop()
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  void Post(std::function<void()> task);

  // Blocks until every task posted before the call has run (tasks they post included, as long
  // as the queue keeps being non-empty). For tests and shutdown.
  void Drain();

  // Runs what is queued, then joins the threads. Tasks posted once Stop began are dropped.
  // Idempotent; not to be called from a task.
  void Stop();

 private:
  void Loop();

  core::Mutex mu_;
  core::CondVar work_cv_;  // tasks_ non-empty, or stop_
  core::CondVar idle_cv_;  // a task finished
  std::deque<std::function<void()>> tasks_ GPOP_GUARDED_BY(mu_);
  int busy_ GPOP_GUARDED_BY(mu_) = 0;
  bool stop_ GPOP_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;  // written only by the constructor and Stop
};

}  // namespace gpop::engine

#endif  // GPOP_SERVICE_ENGINE_WORK_QUEUE_H_
