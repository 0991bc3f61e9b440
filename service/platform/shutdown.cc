// The platform-independent half of ShutdownTrigger (see shutdown.h).

#include "service/platform/shutdown.h"

#include <utility>

namespace gpop::platform {

ShutdownTrigger::ShutdownTrigger() { Install(); }

ShutdownTrigger::~ShutdownTrigger() { Uninstall(); }

std::string ShutdownTrigger::Wait() {
  core::MutexLock lock(&mu_);
  while (!reason_) cv_.Wait(&mu_);
  return *reason_;
}

void ShutdownTrigger::Trigger(const std::string& why) {
  core::MutexLock lock(&mu_);
  if (reason_) return;
  reason_ = why;
  cv_.SignalAll();
}

void ShutdownTrigger::SetReloadHandler(std::function<void()> handler) {
  core::MutexLock lock(&mu_);
  while (reloading_) cv_.Wait(&mu_);
  reload_ = std::move(handler);
}

void ShutdownTrigger::Reload() {
  std::function<void()> handler;
  {
    core::MutexLock lock(&mu_);
    if (!reload_) return;
    handler = reload_;
    reloading_ = true;
  }
  handler();
  core::MutexLock lock(&mu_);
  reloading_ = false;
  cv_.SignalAll();
}

bool ShutdownTrigger::triggered() const {
  core::MutexLock lock(&mu_);
  return reason_.has_value();
}

}  // namespace gpop::platform
