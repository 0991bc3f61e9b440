// ShutdownTrigger on POSIX: SIGTERM and SIGINT (shutdown) and SIGHUP (reload), blocked in every
// thread and taken by sigwait on the trigger's own thread.

#include <pthread.h>
#include <signal.h>

#include "service/platform/shutdown.h"

namespace gpop::platform {
namespace {

sigset_t ShutdownSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  return signals;
}

}  // namespace

void ShutdownTrigger::Install() {
  const sigset_t signals = ShutdownSignals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  watcher_ = std::thread([this, signals] {
    for (;;) {
      int number = 0;
      if (sigwait(&signals, &number) != 0) continue;
      {
        core::MutexLock lock(&mu_);
        if (stopping_) return;
      }
      if (number == SIGHUP) {
        Reload();
        continue;
      }
      Trigger(number == SIGTERM ? "SIGTERM" : "SIGINT");
    }
  });
}

void ShutdownTrigger::Uninstall() {
  {
    core::MutexLock lock(&mu_);
    stopping_ = true;
  }
  // Wake the watcher's sigwait with a signal only it can take (every thread blocks it).
  pthread_kill(watcher_.native_handle(), SIGTERM);
  watcher_.join();
}

}  // namespace gpop::platform
