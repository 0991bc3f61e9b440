// Tests of gpopd's Windows service wrapper under Wine, without gRPC: the state machine reported
// to the Service Control Manager (start, stop = the planned shutdown, interrogate, other
// controls, exit codes). RunAsWindowsService is not called here: under Wine,
// StartServiceCtrlDispatcherW in a process services.exe did not start sometimes fails after
// 10 s and sometimes runs the service in-process, so no assertion on it would be stable; the
// SCM's own start and stop of it are windows_service_scm_test's.

#include "service/platform/windows_service.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace gpop::platform {
namespace {

class RecordingReporter : public ServiceStatusReporter {
 public:
  void Report(const SERVICE_STATUS& status) override {
    core::MutexLock lock(&mu_);
    reports_.push_back(status);
  }
  std::vector<SERVICE_STATUS> reports() {
    core::MutexLock lock(&mu_);
    return reports_;
  }

 private:
  core::Mutex mu_;
  std::vector<SERVICE_STATUS> reports_ GPOP_GUARDED_BY(mu_);
};

constexpr DWORD kStopHint = 35000;

TEST(WindowsServiceControlTest, StartStopIsAPlannedShutdown) {
  RecordingReporter reporter;
  ShutdownTrigger trigger;
  WindowsServiceControl control(&reporter, &trigger, kStopHint);

  control.Starting();
  control.Running();
  EXPECT_FALSE(trigger.triggered());
  EXPECT_EQ(control.OnControl(SERVICE_CONTROL_STOP), static_cast<DWORD>(NO_ERROR));
  EXPECT_EQ(trigger.Wait(), "service stop");
  control.Stopped(0);

  auto r = reporter.reports();
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[0].dwCurrentState, static_cast<DWORD>(SERVICE_START_PENDING));
  EXPECT_EQ(r[0].dwControlsAccepted, 0u);  // no stop before it runs
  EXPECT_EQ(r[0].dwCheckPoint, 1u);
  EXPECT_GT(r[0].dwWaitHint, 0u);
  EXPECT_EQ(r[1].dwCurrentState, static_cast<DWORD>(SERVICE_RUNNING));
  EXPECT_EQ(r[1].dwControlsAccepted,
            static_cast<DWORD>(SERVICE_ACCEPT_STOP | SERVICE_ACCEPT_SHUTDOWN));
  EXPECT_EQ(r[1].dwCheckPoint, 0u);
  EXPECT_EQ(r[2].dwCurrentState, static_cast<DWORD>(SERVICE_STOP_PENDING));
  EXPECT_EQ(r[2].dwWaitHint, kStopHint);
  EXPECT_EQ(r[2].dwControlsAccepted, 0u);
  EXPECT_EQ(r[3].dwCurrentState, static_cast<DWORD>(SERVICE_STOPPED));
  EXPECT_EQ(r[3].dwWin32ExitCode, static_cast<DWORD>(NO_ERROR));
  for (const SERVICE_STATUS& s : r) {
    EXPECT_EQ(s.dwServiceType, static_cast<DWORD>(SERVICE_WIN32_OWN_PROCESS));
  }
}

// Tells when a STOP_PENDING was reported, i.e. a stop control is inside OnControl.
class StopPendingReporter : public ServiceStatusReporter {
 public:
  void Report(const SERVICE_STATUS& status) override {
    core::MutexLock lock(&mu_);
    if (status.dwCurrentState == SERVICE_STOP_PENDING) stop_pending_ = true;
    last_state_ = status.dwCurrentState;
    cv_.SignalAll();
  }
  void WaitForStopPending() {
    core::MutexLock lock(&mu_);
    while (!stop_pending_) cv_.Wait(&mu_);
  }
  DWORD last_state() {
    core::MutexLock lock(&mu_);
    return last_state_;
  }

 private:
  core::Mutex mu_;
  core::CondVar cv_;
  bool stop_pending_ GPOP_GUARDED_BY(mu_) = false;
  DWORD last_state_ GPOP_GUARDED_BY(mu_) = 0;
};

// The SCM's stop races the body's end: the body may return (for its own reason) while the
// handler thread is inside OnControl(STOP). Stopped() must not return before the handler pulled
// the trigger, since the body destroys the trigger right after (it lives on ServiceMain's
// stack); a trigger pulled after Stopped() returned would be a use after free.
TEST(WindowsServiceControlTest, AStopInFlightEndsBeforeStoppedReturns) {
  for (int round = 0; round < 50; ++round) {
    StopPendingReporter reporter;
    ShutdownTrigger trigger;
    WindowsServiceControl control(&reporter, &trigger, kStopHint);
    control.Starting();
    control.Running();
    std::thread scm([&control] { control.OnControl(SERVICE_CONTROL_STOP); });
    reporter.WaitForStopPending();  // the handler is past its STOPPED check
    control.Stopped(0);
    const bool triggered_when_stopped = trigger.triggered();
    scm.join();
    ASSERT_TRUE(triggered_when_stopped) << "round " << round;
    EXPECT_EQ(reporter.last_state(), static_cast<DWORD>(SERVICE_STOPPED));
  }
}

TEST(WindowsServiceControlTest, SystemShutdownAndRepeatedStops) {
  RecordingReporter reporter;
  ShutdownTrigger trigger;
  WindowsServiceControl control(&reporter, &trigger, kStopHint);
  control.Starting();
  control.Running();
  EXPECT_EQ(control.OnControl(SERVICE_CONTROL_SHUTDOWN), static_cast<DWORD>(NO_ERROR));
  EXPECT_EQ(control.OnControl(SERVICE_CONTROL_STOP), static_cast<DWORD>(NO_ERROR));
  EXPECT_EQ(trigger.Wait(), "system shutdown");  // the first reason
  auto r = reporter.reports();
  ASSERT_EQ(r.size(), 3u);  // one STOP_PENDING, not two
  EXPECT_EQ(r[2].dwCurrentState, static_cast<DWORD>(SERVICE_STOP_PENDING));
}

TEST(WindowsServiceControlTest, StopDuringStartStaysAStop) {
  RecordingReporter reporter;
  ShutdownTrigger trigger;
  WindowsServiceControl control(&reporter, &trigger, kStopHint);
  control.Starting();
  control.OnControl(SERVICE_CONTROL_STOP);
  control.Running();  // too late: not reported
  auto r = reporter.reports();
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[1].dwCurrentState, static_cast<DWORD>(SERVICE_STOP_PENDING));
  EXPECT_TRUE(trigger.triggered());
}

TEST(WindowsServiceControlTest, InterrogateAndUnknownControls) {
  RecordingReporter reporter;
  ShutdownTrigger trigger;
  WindowsServiceControl control(&reporter, &trigger, kStopHint);
  control.Starting();
  control.Running();
  EXPECT_EQ(control.OnControl(SERVICE_CONTROL_INTERROGATE), static_cast<DWORD>(NO_ERROR));
  EXPECT_EQ(control.OnControl(SERVICE_CONTROL_PAUSE),
            static_cast<DWORD>(ERROR_CALL_NOT_IMPLEMENTED));
  EXPECT_EQ(control.OnControl(SERVICE_CONTROL_PARAMCHANGE),
            static_cast<DWORD>(ERROR_CALL_NOT_IMPLEMENTED));
  auto r = reporter.reports();
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[2].dwCurrentState, static_cast<DWORD>(SERVICE_RUNNING));  // interrogate re-reports
  EXPECT_FALSE(trigger.triggered());
}

TEST(WindowsServiceControlTest, AFailingExitIsAServiceSpecificError) {
  RecordingReporter reporter;
  ShutdownTrigger trigger;
  WindowsServiceControl control(&reporter, &trigger, kStopHint);
  control.Starting();
  control.Stopped(2);  // e.g. a bad flag: gpopd exits 2 before listening
  auto r = reporter.reports();
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[1].dwCurrentState, static_cast<DWORD>(SERVICE_STOPPED));
  EXPECT_EQ(r[1].dwWin32ExitCode, static_cast<DWORD>(ERROR_SERVICE_SPECIFIC_ERROR));
  EXPECT_EQ(r[1].dwServiceSpecificExitCode, 2u);
}

}  // namespace
}  // namespace gpop::platform
