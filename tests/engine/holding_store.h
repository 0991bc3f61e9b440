// A store for engine tests whose commits block (so the engine commits on its flusher thread,
// as with SQLite) and which holds every commit at a gate once Hold was called, until Release.

#ifndef GPOP_TESTS_ENGINE_HOLDING_STORE_H_
#define GPOP_TESTS_ENGINE_HOLDING_STORE_H_

#include <vector>

#include "service/core/mutex.h"
#include "service/store/memory_store.h"
#include "tests/store/forwarding_store.h"

namespace gpop::engine {

// HoldingStore
//
// Thread-safe.
class HoldingStore final : public gpop::testing::ForwardingStore {
 public:
  HoldingStore() : ForwardingStore(&inner_) {}
  bool CommitBlocks() const override { return true; }
  absl::Status Commit(const std::vector<Change>& batch) override {
    {
      core::MutexLock lock(&mu_);
      if (holding_) {
        for (const Change& change : batch) {
          if (change.event) held_states_.push_back(change.event->state);
        }
        ++held_;
        cv_.SignalAll();
        while (holding_) cv_.Wait(&mu_);
      }
    }
    return ForwardingStore::Commit(batch);
  }
  void Hold() {
    core::MutexLock lock(&mu_);
    holding_ = true;
  }
  void Release() {
    core::MutexLock lock(&mu_);
    holding_ = false;
    cv_.SignalAll();
  }
  // Waits until a commit is held; returns the states of the events it writes.
  std::vector<core::OperationState> AwaitHeld() {
    core::MutexLock lock(&mu_);
    while (held_ == 0) cv_.Wait(&mu_);
    return held_states_;
  }

 private:
  store::MemoryStore inner_;
  core::Mutex mu_;
  core::CondVar cv_;
  bool holding_ GPOP_GUARDED_BY(mu_) = false;
  int held_ GPOP_GUARDED_BY(mu_) = 0;
  std::vector<core::OperationState> held_states_ GPOP_GUARDED_BY(mu_);
};

}  // namespace gpop::engine

#endif  // GPOP_TESTS_ENGINE_HOLDING_STORE_H_
