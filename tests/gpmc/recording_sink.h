// A core::ProgressSink for the GPMC adapter's tests: records every call, and can run a hook on
// progress (to request a cancel at a known point without sleeping).

#ifndef GPOP_TESTS_GPMC_RECORDING_SINK_H_
#define GPOP_TESTS_GPMC_RECORDING_SINK_H_

#include <functional>
#include <optional>
#include <utility>
#include <vector>

#include "service/core/backend.h"
#include "service/core/mutex.h"

namespace gpop::gpmc::testing {

// RecordingSink
//
// Thread-safe. `on_progress` and `on_messages` (set before the run) run after each call is
// recorded, outside the sink's lock, on the caller's thread.
class RecordingSink : public core::ProgressSink {
 public:
  struct MessagesCall {
    std::vector<core::StatusMessage> messages;
    std::optional<uint32_t> hresult;
  };

  std::function<void(int64_t numerator, int64_t denominator)> on_progress;
  // Likewise after each Messages call.
  std::function<void()> on_messages;

  void Progress(int64_t numerator, int64_t denominator) override {
    {
      core::MutexLock lock(&mu_);
      progress_.emplace_back(numerator, denominator);
    }
    if (on_progress) on_progress(numerator, denominator);
  }

  void Messages(std::vector<core::StatusMessage> messages,
                std::optional<uint32_t> hresult) override {
    {
      core::MutexLock lock(&mu_);
      messages_.push_back({std::move(messages), hresult});
    }
    if (on_messages) on_messages();
  }

  std::vector<std::pair<int64_t, int64_t>> progress() const {
    core::MutexLock lock(&mu_);
    return progress_;
  }
  std::vector<MessagesCall> messages() const {
    core::MutexLock lock(&mu_);
    return messages_;
  }

 private:
  mutable core::Mutex mu_;
  std::vector<std::pair<int64_t, int64_t>> progress_ GPOP_GUARDED_BY(mu_);
  std::vector<MessagesCall> messages_ GPOP_GUARDED_BY(mu_);
};

}  // namespace gpop::gpmc::testing

#endif  // GPOP_TESTS_GPMC_RECORDING_SINK_H_
