// gpopd's Windows service wrapper driven by a real Service Control Manager (Wine's services.exe
// here): this test program installs itself as a service, starts it, stops it with the SCM's STOP
// control, and checks what the SCM saw: RUNNING accepting STOP and SHUTDOWN, the planned shutdown
// running on the stop, then STOPPED with the body's exit code. Without gRPC: the service's body is
// a stand-in for gpopd's Run (the same ServeFn shape).
//
//   windows_service_scm_test.exe             the test (installs, drives and deletes the service)
//   windows_service_scm_test.exe --service   what the SCM starts: RunAsWindowsService

#include <gtest/gtest.h>
#include <windows.h>

#include <functional>
#include <optional>
#include <string>

#include "service/platform/windows_service.h"

namespace gpop::platform {
namespace {

constexpr wchar_t kServiceName[] = L"gpop-scm-test";
// Named events between the test and the service process (both run in one Wine session).
constexpr wchar_t kRunningEvent[] = L"Global\\gpop-scm-test-running";
constexpr wchar_t kShutdownEvent[] = L"Global\\gpop-scm-test-shutdown";
// The body's exit code: not 0, so that the SCM's ERROR_SERVICE_SPECIFIC_ERROR path is seen.
constexpr int kExitCode = 7;
constexpr DWORD kWaitMs = 60000;  // a guard against a hang, not a synchronisation

// The service process: serves until the SCM's stop triggers the planned shutdown.
int ServiceMainForTest() {
  HANDLE running = CreateEventW(nullptr, TRUE, FALSE, kRunningEvent);
  HANDLE shutdown = CreateEventW(nullptr, TRUE, FALSE, kShutdownEvent);
  std::optional<int> code = RunAsWindowsService(
      kServiceName, 5000, [&](ShutdownTrigger& trigger, const std::function<void()>& ready) {
        ready();
        SetEvent(running);
        const std::string why = trigger.Wait();
        if (why == "service stop") SetEvent(shutdown);
        return kExitCode;
      });
  CloseHandle(running);
  CloseHandle(shutdown);
  return code ? *code : 100;
}

// Closes a service handle at the end of a scope.
struct ScHandle {
  SC_HANDLE handle = nullptr;
  ~ScHandle() {
    if (handle) CloseServiceHandle(handle);
  }
};

SERVICE_STATUS_PROCESS Query(SC_HANDLE service) {
  SERVICE_STATUS_PROCESS status{};
  DWORD needed = 0;
  EXPECT_TRUE(QueryServiceStatusEx(service, SC_STATUS_PROCESS_INFO,
                                   reinterpret_cast<BYTE*>(&status), sizeof(status), &needed))
      << GetLastError();
  return status;
}

TEST(WindowsServiceScmTest, StartAndStopThroughTheServiceControlManager) {
  wchar_t self[MAX_PATH];
  ASSERT_GT(GetModuleFileNameW(nullptr, self, MAX_PATH), 0u);
  const std::wstring command = L"\"" + std::wstring(self) + L"\" --service";

  ScHandle manager{OpenSCManagerW(nullptr, nullptr, SC_MANAGER_ALL_ACCESS)};
  ASSERT_NE(manager.handle, nullptr) << GetLastError();
  // A service left by an interrupted run goes first.
  if (SC_HANDLE stale = OpenServiceW(manager.handle, kServiceName, DELETE)) {
    DeleteService(stale);
    CloseServiceHandle(stale);
  }
  HANDLE running = CreateEventW(nullptr, TRUE, FALSE, kRunningEvent);
  HANDLE shutdown = CreateEventW(nullptr, TRUE, FALSE, kShutdownEvent);
  ASSERT_TRUE(running && shutdown);

  ScHandle service{CreateServiceW(manager.handle, kServiceName, L"gpop SCM test",
                                  SERVICE_ALL_ACCESS, SERVICE_WIN32_OWN_PROCESS,
                                  SERVICE_DEMAND_START, SERVICE_ERROR_NORMAL, command.c_str(),
                                  nullptr, nullptr, nullptr, nullptr, nullptr)};
  ASSERT_NE(service.handle, nullptr) << GetLastError();

  ASSERT_TRUE(StartServiceW(service.handle, 0, nullptr)) << GetLastError();
  ASSERT_EQ(WaitForSingleObject(running, kWaitMs), WAIT_OBJECT_0);
  // ready() reported RUNNING before the body set the event.
  SERVICE_STATUS_PROCESS up = Query(service.handle);
  EXPECT_EQ(up.dwCurrentState, static_cast<DWORD>(SERVICE_RUNNING));
  EXPECT_EQ(up.dwControlsAccepted & (SERVICE_ACCEPT_STOP | SERVICE_ACCEPT_SHUTDOWN),
            static_cast<DWORD>(SERVICE_ACCEPT_STOP | SERVICE_ACCEPT_SHUTDOWN));
  ASSERT_NE(up.dwProcessId, 0u);
  HANDLE process = OpenProcess(SYNCHRONIZE, FALSE, up.dwProcessId);
  ASSERT_NE(process, nullptr) << GetLastError();

  SERVICE_STATUS stopping{};
  ASSERT_TRUE(ControlService(service.handle, SERVICE_CONTROL_STOP, &stopping)) << GetLastError();
  EXPECT_TRUE(stopping.dwCurrentState == SERVICE_STOP_PENDING ||
              stopping.dwCurrentState == SERVICE_STOPPED)
      << stopping.dwCurrentState;
  // The stop reached the body as the planned shutdown ("service stop").
  EXPECT_EQ(WaitForSingleObject(shutdown, kWaitMs), WAIT_OBJECT_0);
  // The process ends after it reported STOPPED.
  ASSERT_EQ(WaitForSingleObject(process, kWaitMs), WAIT_OBJECT_0);
  CloseHandle(process);
  SERVICE_STATUS_PROCESS down = Query(service.handle);
  EXPECT_EQ(down.dwCurrentState, static_cast<DWORD>(SERVICE_STOPPED));
  EXPECT_EQ(down.dwWin32ExitCode, static_cast<DWORD>(ERROR_SERVICE_SPECIFIC_ERROR));
  EXPECT_EQ(down.dwServiceSpecificExitCode, static_cast<DWORD>(kExitCode));

  EXPECT_TRUE(DeleteService(service.handle)) << GetLastError();
  CloseHandle(running);
  CloseHandle(shutdown);
}

}  // namespace
}  // namespace gpop::platform

int main(int argc, char** argv) {
  if (argc == 2 && std::string(argv[1]) == "--service") {
    return gpop::platform::ServiceMainForTest();
  }
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
