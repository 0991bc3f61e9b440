// SignalInterrupts: a sigwait thread; SIGUSR1 (sent by the destructor to that thread only)
// stops it.

#include "client/ctl/interrupts.h"

#include <pthread.h>
#include <signal.h>

#include <cstdlib>
#include <utility>

namespace gpop::ctl {
namespace {

sigset_t WaitedSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGUSR1);
  return set;
}

}  // namespace

SignalInterrupts::SignalInterrupts() {
  sigset_t set = WaitedSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  thread_ = std::thread([this] { Loop(); });
}

SignalInterrupts::~SignalInterrupts() {
  pthread_kill(thread_.native_handle(), SIGUSR1);
  thread_.join();
}

void SignalInterrupts::SetHandler(std::function<void()> handler) {
  core::MutexLock lock(&mu_);
  handler_ = std::move(handler);
}

void SignalInterrupts::Loop() {
  sigset_t set = WaitedSignals();
  for (;;) {
    int signal = 0;
    if (sigwait(&set, &signal) != 0) continue;
    if (signal == SIGUSR1) return;
    core::MutexLock lock(&mu_);
    if (!handler_) std::_Exit(128 + signal);
    handler_();
  }
}

}  // namespace gpop::ctl
