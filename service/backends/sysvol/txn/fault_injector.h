// Crash simulation for the commit protocol's tests: a hook called at fixed points of a publish.

#ifndef GPOP_SERVICE_BACKENDS_SYSVOL_TXN_FAULT_INJECTOR_H_
#define GPOP_SERVICE_BACKENDS_SYSVOL_TXN_FAULT_INJECTOR_H_

#include <functional>

#include "service/core/mutex.h"

namespace gpop::sysvol {

// FaultPoint
//
// Places in the commit protocol where tests simulate a crash. The names are a backup's; the
// GPO-writing operations (restore, import, copy) pass the same points at the same steps:
// kAfterBackupRename once the old GPT is moved aside and the new one is in place, and
// kAfterManifestRename once the container half is written.
enum class FaultPoint {
  kAfterStaging,        // everything staged and fsynced, before BeginCommit
  kAfterCommitRecord,   // intent COMMITTING, nothing published
  kAfterBackupRename,   // backup folder (or new GPT) published, manifest (metadata) not yet
  kAfterManifestRename  // manifest (metadata) replaced, intent not yet DONE
};

// FaultHook
//
// Called at each FaultPoint; returning true makes the run stop right there as a crash would
// (nothing cleaned up, the intent left as it is; the run returns INTERNAL with effects UNKNOWN).
using FaultHook = std::function<bool(FaultPoint)>;

// IoFaultHook
//
// Called at each FaultPoint past the commit point (kAfterBackupRename, kAfterManifestRename);
// returning true makes that step fail as an I/O error would (an fsync, the metadata write, the
// intent's DONE mark), every later step of that attempt not run. The run goes on as it would
// after a real error: it retries, and reports what is true.
using IoFaultHook = std::function<bool(FaultPoint)>;

// FaultInjector
//
// Holds the hooks. Thread-safe.
class FaultInjector {
 public:
  void Set(FaultHook hook) {
    core::MutexLock lock(&mu_);
    hook_ = std::move(hook);
  }
  void SetIo(IoFaultHook hook) {
    core::MutexLock lock(&mu_);
    io_hook_ = std::move(hook);
  }
  // True when the I/O hook asks for a failure at `point`.
  bool IoError(FaultPoint point) const {
    IoFaultHook hook;
    {
      core::MutexLock lock(&mu_);
      hook = io_hook_;
    }
    return hook && hook(point);
  }
  // True when the hook asks for a crash at `point`.
  bool Fault(FaultPoint point) const {
    FaultHook hook;
    {
      core::MutexLock lock(&mu_);
      hook = hook_;
    }
    return hook && hook(point);
  }

 private:
  mutable core::Mutex mu_;
  FaultHook hook_ GPOP_GUARDED_BY(mu_);
  IoFaultHook io_hook_ GPOP_GUARDED_BY(mu_);
};

}  // namespace gpop::sysvol

#endif  // GPOP_SERVICE_BACKENDS_SYSVOL_TXN_FAULT_INJECTOR_H_
