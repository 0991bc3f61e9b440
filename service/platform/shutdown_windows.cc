// ShutdownTrigger on Windows: a console control handler (Ctrl-C, Ctrl-Break, console close,
// log-off, system shutdown). Console handlers are process-wide and take no context, so the
// one trigger of the process is reached through a pointer set while it lives.

#include <windows.h>

#include <atomic>

#include "service/platform/shutdown.h"

namespace gpop::platform {
namespace {

std::atomic<ShutdownTrigger*> g_trigger{nullptr};

BOOL WINAPI OnConsoleControl(DWORD event) {
  ShutdownTrigger* trigger = g_trigger.load();
  if (!trigger) return FALSE;
  switch (event) {
    case CTRL_C_EVENT:
      trigger->Trigger("Ctrl-C");
      return TRUE;
    case CTRL_BREAK_EVENT:
      trigger->Trigger("Ctrl-Break");
      return TRUE;
    case CTRL_CLOSE_EVENT:
    case CTRL_LOGOFF_EVENT:
    case CTRL_SHUTDOWN_EVENT:
      trigger->Trigger("console closed or system shutdown");
      return TRUE;
    default:
      return FALSE;
  }
}

}  // namespace

void ShutdownTrigger::Install() {
  g_trigger.store(this);
  SetConsoleCtrlHandler(OnConsoleControl, TRUE);
}

void ShutdownTrigger::Uninstall() {
  SetConsoleCtrlHandler(OnConsoleControl, FALSE);
  g_trigger.store(nullptr);
}

}  // namespace gpop::platform
