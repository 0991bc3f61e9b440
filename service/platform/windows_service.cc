// gpopd as a Windows service (see windows_service.h).

#include "service/platform/windows_service.h"

#include <memory>
#include <utility>
#include <vector>

namespace gpop::platform {

WindowsServiceControl::WindowsServiceControl(ServiceStatusReporter* reporter,
                                             ShutdownTrigger* trigger, DWORD stop_wait_hint_ms)
    : reporter_(reporter), trigger_(trigger), stop_wait_hint_ms_(stop_wait_hint_ms) {
  core::MutexLock lock(&mu_);
  status_ = SERVICE_STATUS{};
  status_.dwServiceType = SERVICE_WIN32_OWN_PROCESS;
  status_.dwCurrentState = SERVICE_STOPPED;
}

void WindowsServiceControl::ReportLocked(DWORD state, DWORD wait_hint_ms) {
  const bool pending = state == SERVICE_START_PENDING || state == SERVICE_STOP_PENDING;
  status_.dwCurrentState = state;
  status_.dwControlsAccepted =
      state == SERVICE_RUNNING ? SERVICE_ACCEPT_STOP | SERVICE_ACCEPT_SHUTDOWN : 0;
  status_.dwWaitHint = pending ? wait_hint_ms : 0;
  // The check point counts progress within a pending state, and is 0 outside them.
  status_.dwCheckPoint = pending ? status_.dwCheckPoint + 1 : 0;
  reporter_->Report(status_);
}

void WindowsServiceControl::Starting() {
  core::MutexLock lock(&mu_);
  ReportLocked(SERVICE_START_PENDING, 30000);
}

void WindowsServiceControl::Running() {
  core::MutexLock lock(&mu_);
  // A stop that came during the start stays a stop.
  if (status_.dwCurrentState != SERVICE_START_PENDING) return;
  ReportLocked(SERVICE_RUNNING, 0);
}

DWORD WindowsServiceControl::OnControl(DWORD control) {
  switch (control) {
    case SERVICE_CONTROL_STOP:
    case SERVICE_CONTROL_SHUTDOWN: {
      // The trigger is pulled under the lock: once Stopped() has reported STOPPED (and the body
      // may have destroyed the trigger), no stop that came before is still about to pull it.
      core::MutexLock lock(&mu_);
      if (status_.dwCurrentState == SERVICE_STOPPED) return NO_ERROR;
      if (status_.dwCurrentState != SERVICE_STOP_PENDING) {
        ReportLocked(SERVICE_STOP_PENDING, stop_wait_hint_ms_);
      }
      trigger_->Trigger(control == SERVICE_CONTROL_STOP ? "service stop" : "system shutdown");
      return NO_ERROR;
    }
    case SERVICE_CONTROL_INTERROGATE: {
      core::MutexLock lock(&mu_);
      reporter_->Report(status_);
      return NO_ERROR;
    }
    default:
      return ERROR_CALL_NOT_IMPLEMENTED;
  }
}

void WindowsServiceControl::Stopped(int exit_code) {
  core::MutexLock lock(&mu_);
  if (exit_code == 0) {
    status_.dwWin32ExitCode = NO_ERROR;
    status_.dwServiceSpecificExitCode = 0;
  } else {
    status_.dwWin32ExitCode = ERROR_SERVICE_SPECIFIC_ERROR;
    status_.dwServiceSpecificExitCode = static_cast<DWORD>(exit_code);
  }
  ReportLocked(SERVICE_STOPPED, 0);
}

namespace {

class ScmReporter final : public ServiceStatusReporter {
 public:
  explicit ScmReporter(SERVICE_STATUS_HANDLE handle) : handle_(handle) {}
  void Report(const SERVICE_STATUS& status) override {
    SERVICE_STATUS copy = status;
    SetServiceStatus(handle_, &copy);
  }

 private:
  const SERVICE_STATUS_HANDLE handle_;
};

// What ServiceMain needs. The SCM's ServiceMain takes no context, so the one service of the
// process is reached through this pointer while RunAsWindowsService runs.
struct ServiceContext {
  std::wstring name;
  DWORD stop_wait_hint_ms = 0;
  ServeFn serve;
  int exit_code = 0;
  // The state machine while ServiceMain runs. The handler runs on the dispatcher's thread and
  // holds `mu` for its whole call, so that clearing the pointer waits for a control in flight:
  // ServiceMain's `control` and `trigger` are on its stack and go when it returns.
  core::Mutex mu;
  WindowsServiceControl* control GPOP_GUARDED_BY(mu) = nullptr;
};
ServiceContext* g_service = nullptr;

DWORD WINAPI OnServiceControl(DWORD control, DWORD, void*, void* context) {
  auto* service = static_cast<ServiceContext*>(context);
  core::MutexLock lock(&service->mu);
  if (service->control == nullptr) return ERROR_CALL_NOT_IMPLEMENTED;
  return service->control->OnControl(control);
}

void SetControl(ServiceContext* service, WindowsServiceControl* control) {
  core::MutexLock lock(&service->mu);
  service->control = control;
}

void WINAPI ServiceMain(DWORD, LPWSTR*) {
  ServiceContext* service = g_service;
  SERVICE_STATUS_HANDLE handle =
      RegisterServiceCtrlHandlerExW(service->name.c_str(), OnServiceControl, service);
  if (!handle) {
    service->exit_code = 1;
    return;
  }
  ScmReporter reporter(handle);
  ShutdownTrigger trigger;
  WindowsServiceControl control(&reporter, &trigger, service->stop_wait_hint_ms);
  SetControl(service, &control);
  control.Starting();
  service->exit_code = service->serve(trigger, [&control] { control.Running(); });
  control.Stopped(service->exit_code);
  // The handler may still be called until the dispatcher returns; it then answers
  // ERROR_CALL_NOT_IMPLEMENTED instead of touching `control`. A call in flight ends first.
  SetControl(service, nullptr);
}

}  // namespace

std::optional<int> RunAsWindowsService(const std::wstring& name, DWORD stop_wait_hint_ms,
                                       ServeFn serve) {
  ServiceContext context;
  context.name = name;
  context.stop_wait_hint_ms = stop_wait_hint_ms;
  context.serve = std::move(serve);
  g_service = &context;
  std::vector<wchar_t> name_buffer(name.begin(), name.end());
  name_buffer.push_back(L'\0');
  SERVICE_TABLE_ENTRYW table[] = {{name_buffer.data(), ServiceMain}, {nullptr, nullptr}};
  const BOOL dispatched = StartServiceCtrlDispatcherW(table);
  g_service = nullptr;
  if (!dispatched) return std::nullopt;  // ERROR_FAILED_SERVICE_CONTROLLER_CONNECT: a console
  return context.exit_code;
}

}  // namespace gpop::platform
