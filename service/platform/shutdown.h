// What starts gpopd's planned shutdown (and, on POSIX, what asks it to reload its files): SIGTERM
// or SIGINT on POSIX; Ctrl-C, Ctrl-Break, closing the console or logging off / shutting the system
// down on Windows; and, on both, a request from inside the process (the Windows service's stop
// control, tests).

#ifndef GPOP_SERVICE_PLATFORM_SHUTDOWN_H_
#define GPOP_SERVICE_PLATFORM_SHUTDOWN_H_

#include <functional>
#include <optional>
#include <string>
#include <thread>

#include "service/core/mutex.h"

namespace gpop::platform {

// ShutdownTrigger
//
// One per process. Construct it before any other thread starts: on POSIX it blocks SIGTERM and
// SIGINT in the calling thread (threads started later inherit the mask) and receives them on a
// thread of its own; on Windows it installs a console control handler. Thread-safe.
class ShutdownTrigger {
 public:
  ShutdownTrigger();
  ~ShutdownTrigger();
  ShutdownTrigger(const ShutdownTrigger&) = delete;
  ShutdownTrigger& operator=(const ShutdownTrigger&) = delete;

  // Blocks until a shutdown is asked for; returns what asked ("SIGTERM", "SIGINT", "Ctrl-C",
  // "service stop", ...). Later calls return the same at once.
  std::string Wait();

  // Asks for the shutdown. The first reason wins; later calls change nothing.
  void Trigger(const std::string& why);

  // True once a shutdown was asked for.
  bool triggered() const;

  // Calls `handler` (on the trigger's own thread, without its lock held) whenever a reload of
  // the configuration files is asked for: SIGHUP on POSIX; Windows has no such request yet.
  // nullptr removes it; on return no call of the previous handler is running.
  void SetReloadHandler(std::function<void()> handler);

 private:
  void Install();  // the platform part (shutdown_posix.cc, shutdown_windows.cc)
  void Uninstall();

  mutable core::Mutex mu_;
  core::CondVar cv_;
  std::optional<std::string> reason_ GPOP_GUARDED_BY(mu_);
  void Reload();  // runs the reload handler, if any

  bool stopping_ GPOP_GUARDED_BY(mu_) = false;
  std::function<void()> reload_ GPOP_GUARDED_BY(mu_);
  bool reloading_ GPOP_GUARDED_BY(mu_) =
      false;             // a reload handler runs now  // the destructor runs (POSIX watcher exits)
  std::thread watcher_;  // POSIX: the thread that receives the signals
};

}  // namespace gpop::platform

#endif  // GPOP_SERVICE_PLATFORM_SHUTDOWN_H_
