// Ctrl-C handling for gpopctl: signals are taken by one thread (sigwait), never by an
// asynchronous handler, so that what Ctrl-C does (cancel a stream, send a Cancel RPC) may call
// ordinary code.

#ifndef GPOP_CLIENT_CTL_INTERRUPTS_H_
#define GPOP_CLIENT_CTL_INTERRUPTS_H_

#include <functional>
#include <thread>

#include "service/core/mutex.h"

namespace gpop::ctl {

// InterruptSource
//
// Where interrupts come from. While a handler is set, an interrupt runs it; with none, the
// process exits as if killed by the signal (exit code 128 + signal). SetHandler() waits for a
// running handler to return, so after SetHandler(nullptr) the old handler's captures may go.
class InterruptSource {
 public:
  virtual ~InterruptSource() = default;
  virtual void SetHandler(std::function<void()> handler) = 0;
};

// SignalInterrupts
//
// SIGINT and SIGTERM, taken by a thread of its own. Construct it first thing in main(), before
// any other thread exists: it blocks those signals in the calling thread, and threads started
// later (gRPC's) inherit the mask. Thread-safe.
class SignalInterrupts final : public InterruptSource {
 public:
  SignalInterrupts();
  ~SignalInterrupts() override;
  SignalInterrupts(const SignalInterrupts&) = delete;
  SignalInterrupts& operator=(const SignalInterrupts&) = delete;

  void SetHandler(std::function<void()> handler) override GPOP_EXCLUDES(mu_);

 private:
  void Loop() GPOP_EXCLUDES(mu_);

  core::Mutex mu_;
  std::function<void()> handler_ GPOP_GUARDED_BY(mu_);
  std::thread thread_;
};

}  // namespace gpop::ctl

#endif  // GPOP_CLIENT_CTL_INTERRUPTS_H_
