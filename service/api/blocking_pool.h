// A few threads for the handlers whose work may block (listings read the GPO store's files), so
// that gRPC's callback threads never do.

#ifndef GPOP_SERVICE_API_BLOCKING_POOL_H_
#define GPOP_SERVICE_API_BLOCKING_POOL_H_

#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "service/core/mutex.h"

namespace gpop::api {

// BlockingPool
//
// Runs posted tasks in order on `threads` threads. Thread-safe. The destructor runs every task
// already posted, then joins.
class BlockingPool {
 public:
  explicit BlockingPool(int threads);
  ~BlockingPool();
  BlockingPool(const BlockingPool&) = delete;
  BlockingPool& operator=(const BlockingPool&) = delete;

  void Post(std::function<void()> task);

 private:
  void Loop();

  core::Mutex mu_;
  core::CondVar cv_;
  std::deque<std::function<void()>> tasks_ GPOP_GUARDED_BY(mu_);
  bool stop_ GPOP_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace gpop::api

#endif  // GPOP_SERVICE_API_BLOCKING_POOL_H_
