// An annotated mutex for standard C++17 code.
//
// Debian's Abseil is not built for ThreadSanitizer, so `absl::Mutex` shows false races under
// TSan. gpop locks with `core::Mutex`, a thin wrapper over `std::mutex` that carries clang's
// thread-safety attributes, so `-Wthread-safety` checks every `GPOP_GUARDED_BY` member while TSan
// sees plain pthread mutexes. Other compilers (gcc, mingw-w64) ignore the attributes.

#ifndef GPOP_SERVICE_CORE_MUTEX_H_
#define GPOP_SERVICE_CORE_MUTEX_H_

#include <chrono>
#include <condition_variable>
#include <mutex>

#if defined(__clang__)
#define GPOP_THREAD_ATTR(x) __attribute__((x))
#else
#define GPOP_THREAD_ATTR(x)
#endif

#define GPOP_CAPABILITY(x) GPOP_THREAD_ATTR(capability(x))
#define GPOP_SCOPED_CAPABILITY GPOP_THREAD_ATTR(scoped_lockable)
#define GPOP_GUARDED_BY(x) GPOP_THREAD_ATTR(guarded_by(x))
#define GPOP_PT_GUARDED_BY(x) GPOP_THREAD_ATTR(pt_guarded_by(x))
#define GPOP_REQUIRES(...) GPOP_THREAD_ATTR(requires_capability(__VA_ARGS__))
#define GPOP_EXCLUDES(...) GPOP_THREAD_ATTR(locks_excluded(__VA_ARGS__))
#define GPOP_ACQUIRE(...) GPOP_THREAD_ATTR(acquire_capability(__VA_ARGS__))
#define GPOP_RELEASE(...) GPOP_THREAD_ATTR(release_capability(__VA_ARGS__))
#define GPOP_NO_THREAD_SAFETY_ANALYSIS GPOP_THREAD_ATTR(no_thread_safety_analysis)

namespace gpop::core {

// Mutex
//
// A non-recursive mutex. Thread-safe, obviously; not movable.
class GPOP_CAPABILITY("mutex") Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void Lock() GPOP_ACQUIRE() { mu_.lock(); }
  void Unlock() GPOP_RELEASE() { mu_.unlock(); }

  // Tells the thread-safety analysis that the caller holds this mutex, where it cannot prove it
  // (the mutex reached through another object). Not checked at run time.
  void AssertHeld() const GPOP_THREAD_ATTR(assert_capability(this)) {}

 private:
  friend class CondVar;
  std::mutex mu_;
};

// MutexLock
//
// Holds `*mu` for the enclosing scope (takes a pointer, like absl::MutexLock in 20220623).
class GPOP_SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex* mu) GPOP_ACQUIRE(mu) : mu_(mu) { mu_->Lock(); }
  ~MutexLock() GPOP_RELEASE() { mu_->Unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex* const mu_;
};

// CondVar
//
// A condition variable used with a held `Mutex`. Callers loop on their predicate.
class CondVar {
 public:
  void Wait(Mutex* mu) GPOP_REQUIRES(mu) {
    std::unique_lock<std::mutex> lock(mu->mu_, std::adopt_lock);
    cv_.wait(lock);
    lock.release();
  }
  // Returns false on timeout.
  template <typename Clock, typename Duration>
  bool WaitUntil(Mutex* mu, std::chrono::time_point<Clock, Duration> deadline) GPOP_REQUIRES(mu) {
    std::unique_lock<std::mutex> lock(mu->mu_, std::adopt_lock);
    bool notified = cv_.wait_until(lock, deadline) == std::cv_status::no_timeout;
    lock.release();
    return notified;
  }
  void Signal() { cv_.notify_one(); }
  void SignalAll() { cv_.notify_all(); }

 private:
  std::condition_variable cv_;
};

}  // namespace gpop::core

#endif  // GPOP_SERVICE_CORE_MUTEX_H_
