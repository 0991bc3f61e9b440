// The adapter's IGPMAsyncProgress sink and the per-operation channel it feeds.
//
// GPMC calls `IGPMAsyncProgress::Status` from threads and at times it does not document
// (shared/reference/gpmc-async.md): possibly before the starting method returns, possibly after
// the adapter has given up on the operation. So `Status` only copies the call's data into a
// `StatusChannel` and returns; the adapter's own thread drains the channel, reports to the
// engine's sink and decides the outcome.

#ifndef GPOP_SERVICE_BACKENDS_GPMC_ASYNC_PROGRESS_H_
#define GPOP_SERVICE_BACKENDS_GPMC_ASYNC_PROGRESS_H_

// <windows.h> must come before the COM headers.
// clang-format off
#include <windows.h>
#include <gpmgmt.h>
// clang-format on

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "service/backends/gpmc/com_util.h"
#include "service/core/mutex.h"
#include "service/core/operation.h"

namespace gpop::gpmc {

// StatusReport
//
// The data of one `Status` call, copied out of GPMC's objects. `result` keeps a reference to
// the result object (GPMGPO, GPMBackup) or a copy of the report string.
struct StatusReport {
  long numerator = 0;
  long denominator = 0;
  HRESULT hr = S_OK;
  bool final = false;  // see IsFinalStatus
  Variant result;
  std::vector<core::StatusMessage> messages;
};

// IsFinalStatus
//
// The adapter's rule for "this Status call ends the operation", which Microsoft leaves open: a
// failure `hr`, a non-empty result, or a complete fraction (numerator == denominator > 0).
bool IsFinalStatus(long numerator, long denominator, HRESULT hr, const VARIANT* result);

// ReadStatusMessages
//
// Copies the messages of a GPMC status message collection (null: none). Uses the enumerator
// (`_NewEnum`), falling back to `Count`/`Item` with the base probed. `final_failure` says the
// messages came with an operation's failing final status: failing entries are then errors,
// elsewhere they are warnings (GPMC's messages carry no severity of their own); succeeding
// entries are informational.
std::vector<core::StatusMessage> ReadStatusMessages(IGPMStatusMsgCollection* collection,
                                                    bool final_failure);

// StatusChannel
//
// One operation's mailbox between GPMC's callback threads, the cancel token's callback, the
// watchdog's timer and the adapter's thread. It also tells when GPMC is known to be done with
// the operation: a final report arrived (even after the adapter stopped listening), or GPMC
// released the progress object, so that it cannot report any more. Thread-safe; no method
// waits except `Wait`.
class StatusChannel {
 public:
  // Appends a report unless the channel is closed (the adapter has finished the operation:
  // a late report is dropped, but a final one still marks GPMC done). Never waits for anything
  // but the channel's short lock.
  void Post(StatusReport report);

  // Notes that the operation's cancel token fired. Safe to call from the token's callback.
  void NoteCancelRequest();

  // Notes that the watchdog's timer fired. Safe to call from a clock's timer callback.
  void NoteTimer();

  // Notes that the progress object is gone (its last reference released).
  void NoteProgressReleased();

  // What `Wait` and `Take` hand to the adapter's thread.
  struct Batch {
    std::vector<StatusReport> reports;
    bool cancel_requested = false;  // a cancel request not handed out before
    bool timer_fired = false;       // a timer not handed out before
  };

  // Waits until a report, a new cancel request or a timer is there, and returns it all.
  Batch Wait();

  // Returns what is there now, without waiting.
  Batch Take();

  // Stops accepting reports and drops the ones not taken.
  void Close();

  // Runs `done` once GPMC is known to be done with the operation (see above): at once, on this
  // thread, if it already is; else later on the thread that posts the final report or releases
  // the progress object. `done` must not block.
  void WhenGpmcDone(std::function<void()> done);

  // How many `Post` calls arrived, including dropped ones.
  int posts() const;

 private:
  Batch TakeLocked() GPOP_REQUIRES(mu_);
  // Marks GPMC done; returns the callback to run (outside the lock), if any.
  std::function<void()> MarkDoneLocked() GPOP_REQUIRES(mu_);

  mutable core::Mutex mu_;
  core::CondVar cv_;
  std::vector<StatusReport> pending_ GPOP_GUARDED_BY(mu_);
  bool cancel_pending_ GPOP_GUARDED_BY(mu_) = false;
  bool timer_pending_ GPOP_GUARDED_BY(mu_) = false;
  bool closed_ GPOP_GUARDED_BY(mu_) = false;
  bool gpmc_done_ GPOP_GUARDED_BY(mu_) = false;
  std::function<void()> when_done_ GPOP_GUARDED_BY(mu_);
  int posts_ GPOP_GUARDED_BY(mu_) = 0;
};

// AsyncProgress
//
// The IGPMAsyncProgress object the adapter hands to GPMC (as VT_DISPATCH). Free-threaded: it
// aggregates COM's free-threaded marshaler, so any apartment may call it directly, and its
// reference count is atomic. `Status` copies the call into the channel and returns S_OK. The
// IDispatch part answers without a type library: GetTypeInfoCount gives 0, GetIDsOfNames
// DISP_E_UNKNOWNNAME, GetTypeInfo and Invoke E_NOTIMPL (the interface is not scriptable).
//
// `live` counts the AsyncProgress objects alive (tests assert it returns to zero).
class AsyncProgress final : public IGPMAsyncProgress {
 public:
  // Creates an object with one reference, owned by the caller.
  static ComPtr<IGPMAsyncProgress> Create(std::shared_ptr<StatusChannel> channel,
                                          std::shared_ptr<std::atomic<long>> live);

  AsyncProgress(const AsyncProgress&) = delete;
  AsyncProgress& operator=(const AsyncProgress&) = delete;

  // IUnknown
  HRESULT STDMETHODCALLTYPE QueryInterface(REFIID riid, void** out) override;
  ULONG STDMETHODCALLTYPE AddRef() override;
  ULONG STDMETHODCALLTYPE Release() override;

  // IDispatch
  HRESULT STDMETHODCALLTYPE GetTypeInfoCount(UINT* count) override;
  HRESULT STDMETHODCALLTYPE GetTypeInfo(UINT index, LCID lcid, ITypeInfo** info) override;
  HRESULT STDMETHODCALLTYPE GetIDsOfNames(REFIID riid, LPOLESTR* names, UINT count, LCID lcid,
                                          DISPID* ids) override;
  HRESULT STDMETHODCALLTYPE Invoke(DISPID id, REFIID riid, LCID lcid, WORD flags,
                                   DISPPARAMS* params, VARIANT* result, EXCEPINFO* excepinfo,
                                   UINT* arg_error) override;

  // IGPMAsyncProgress
  HRESULT STDMETHODCALLTYPE Status(LONG numerator, LONG denominator, HRESULT hr_status,
                                   VARIANT* result, IGPMStatusMsgCollection* messages) override;

 private:
  AsyncProgress(std::shared_ptr<StatusChannel> channel, std::shared_ptr<std::atomic<long>> live);
  ~AsyncProgress();

  std::atomic<ULONG> refs_{1};
  const std::shared_ptr<StatusChannel> channel_;
  const std::shared_ptr<std::atomic<long>> live_;
  IUnknown* marshaler_ = nullptr;  // the aggregated free-threaded marshaler's inner IUnknown
};

}  // namespace gpop::gpmc

#endif  // GPOP_SERVICE_BACKENDS_GPMC_ASYNC_PROGRESS_H_
