// gpopd as a Windows service: the Service Control Manager starts it, and its stop (or the
// system's shutdown) starts the same planned shutdown as Ctrl-C or SIGTERM. Windows only.
//
// WindowsServiceControl is the state machine (what is reported to the SCM, and when), kept
// apart from the SCM calls so that tests drive it under Wine; RunAsWindowsService wires it to
// StartServiceCtrlDispatcherW / RegisterServiceCtrlHandlerExW / SetServiceStatus.

#ifndef GPOP_SERVICE_PLATFORM_WINDOWS_SERVICE_H_
#define GPOP_SERVICE_PLATFORM_WINDOWS_SERVICE_H_

#include <windows.h>

#include <functional>
#include <optional>
#include <string>

#include "service/core/mutex.h"
#include "service/platform/shutdown.h"

namespace gpop::platform {

// ServiceStatusReporter
//
// Where the service's status goes: SetServiceStatus in production, a recorder in tests.
class ServiceStatusReporter {
 public:
  virtual ~ServiceStatusReporter() = default;
  virtual void Report(const SERVICE_STATUS& status) = 0;
};

// WindowsServiceControl
//
// START_PENDING -> RUNNING (accepting STOP and SHUTDOWN) -> STOP_PENDING -> STOPPED. A STOP or
// SHUTDOWN control reports STOP_PENDING (wait hint: the shutdown grace period plus the call
// deadline) and triggers the planned shutdown once; INTERROGATE re-reports; any other control
// is ERROR_CALL_NOT_IMPLEMENTED. `Stopped(code)` reports STOPPED with exit code 0, or
// ERROR_SERVICE_SPECIFIC_ERROR carrying gpopd's exit code. A stop pulls the trigger before
// Stopped() can report STOPPED, never after: once Stopped() returned, OnControl no longer touches
// the trigger, so the body may destroy it. Thread-safe (the SCM calls the handler on its own
// thread).
class WindowsServiceControl {
 public:
  WindowsServiceControl(ServiceStatusReporter* reporter, ShutdownTrigger* trigger,
                        DWORD stop_wait_hint_ms);

  void Starting();
  void Running();
  // The answer for the control handler (HandlerEx's return value).
  DWORD OnControl(DWORD control);
  void Stopped(int exit_code);

 private:
  void ReportLocked(DWORD state, DWORD wait_hint_ms) GPOP_REQUIRES(mu_);

  ServiceStatusReporter* const reporter_;
  ShutdownTrigger* const trigger_;
  const DWORD stop_wait_hint_ms_;
  core::Mutex mu_;
  SERVICE_STATUS status_ GPOP_GUARDED_BY(mu_);
};

// ServeFn
//
// gpopd's body: serves until `trigger` fires, calls `ready` once it listens, returns the exit
// code.
using ServeFn = std::function<int(ShutdownTrigger& trigger, const std::function<void()>& ready)>;

// RunAsWindowsService
//
// Runs `serve` as the service `name` (an own-process service). Returns its exit code once the
// service stopped, or nullopt at once when the process was not started by the SCM (then it is
// a console program: the caller serves itself). `stop_wait_hint_ms` as above.
std::optional<int> RunAsWindowsService(const std::wstring& name, DWORD stop_wait_hint_ms,
                                       ServeFn serve);

}  // namespace gpop::platform

#endif  // GPOP_SERVICE_PLATFORM_WINDOWS_SERVICE_H_
