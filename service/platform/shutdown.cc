// The platform-independent half of ShutdownTrigger (see shutdown.h).

#include "service/platform/shutdown.h"

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

bool ShutdownTrigger::triggered() const {
  core::MutexLock lock(&mu_);
  return reason_.has_value();
}

}  // namespace gpop::platform
