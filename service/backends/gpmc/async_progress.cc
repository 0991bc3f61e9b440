// The adapter's IGPMAsyncProgress sink and its channel (see async_progress.h).

#include "service/backends/gpmc/async_progress.h"

#include <utility>

namespace gpop::gpmc {
namespace {

core::StatusMessage ReadMessage(IGPMStatusMessage* m, bool final_failure) {
  core::StatusMessage out;
  Bstr text;
  if (SUCCEEDED(m->get_ObjectPath(text.Put()))) out.object_path = text.Utf8();
  if (SUCCEEDED(m->get_ExtensionName(text.Put()))) out.extension_name = text.Utf8();
  if (SUCCEEDED(m->get_SettingsName(text.Put()))) out.settings_name = text.Utf8();
  if (SUCCEEDED(m->get_Message(text.Put()))) out.message = text.Utf8();
  // Both return their value as the HRESULT itself (gpmc-async.md).
  const HRESULT code = m->ErrorCode();
  out.error_code = static_cast<uint32_t>(code);
  out.operation_code = static_cast<uint32_t>(m->OperationCode());
  if (FAILED(code)) {
    out.severity = final_failure ? core::Severity::kError : core::Severity::kWarning;
  } else {
    out.severity = core::Severity::kInfo;
  }
  return out;
}

// Appends the message held by `item` (a VT_DISPATCH / VT_UNKNOWN variant), if it is one.
void AppendMessage(const VARIANT& item, bool final_failure, std::vector<core::StatusMessage>* out) {
  IUnknown* unknown = nullptr;
  if (item.vt == VT_DISPATCH) unknown = item.pdispVal;
  if (item.vt == VT_UNKNOWN) unknown = item.punkVal;
  if (!unknown) return;
  ComPtr<IGPMStatusMessage> message = ComPtr<IUnknown>::Share(unknown).As<IGPMStatusMessage>();
  if (message) out->push_back(ReadMessage(message.get(), final_failure));
}

}  // namespace

bool IsFinalStatus(long numerator, long denominator, HRESULT hr, const VARIANT* result) {
  if (FAILED(hr)) return true;
  if (result && result->vt != VT_EMPTY && result->vt != VT_NULL) return true;
  return denominator > 0 && numerator == denominator;
}

std::vector<core::StatusMessage> ReadStatusMessages(IGPMStatusMsgCollection* collection,
                                                    bool final_failure) {
  std::vector<core::StatusMessage> out;
  ForEachItem(collection,
              [&](const Variant& item) { AppendMessage(*item.get(), final_failure, &out); });
  return out;
}

void StatusChannel::Post(StatusReport report) {
  std::function<void()> done;
  {
    core::MutexLock lock(&mu_);
    ++posts_;
    if (report.final) done = MarkDoneLocked();
    if (!closed_) {
      pending_.push_back(std::move(report));
      cv_.SignalAll();
    }
  }
  // A dropped `report` (and any result it holds) is released on return, outside the lock.
  if (done) done();
}

void StatusChannel::NoteCancelRequest() {
  core::MutexLock lock(&mu_);
  cancel_pending_ = true;
  cv_.SignalAll();
}

void StatusChannel::NoteTimer() {
  core::MutexLock lock(&mu_);
  timer_pending_ = true;
  cv_.SignalAll();
}

void StatusChannel::NoteProgressReleased() {
  std::function<void()> done;
  {
    core::MutexLock lock(&mu_);
    done = MarkDoneLocked();
  }
  if (done) done();
}

StatusChannel::Batch StatusChannel::Wait() {
  core::MutexLock lock(&mu_);
  while (pending_.empty() && !cancel_pending_ && !timer_pending_) cv_.Wait(&mu_);
  return TakeLocked();
}

StatusChannel::Batch StatusChannel::Take() {
  core::MutexLock lock(&mu_);
  return TakeLocked();
}

StatusChannel::Batch StatusChannel::TakeLocked() {
  Batch batch;
  batch.reports.swap(pending_);
  batch.cancel_requested = std::exchange(cancel_pending_, false);
  batch.timer_fired = std::exchange(timer_pending_, false);
  return batch;
}

std::function<void()> StatusChannel::MarkDoneLocked() {
  if (gpmc_done_) return nullptr;
  gpmc_done_ = true;
  return std::exchange(when_done_, nullptr);
}

void StatusChannel::Close() {
  std::vector<StatusReport> dropped;
  {
    core::MutexLock lock(&mu_);
    closed_ = true;
    dropped.swap(pending_);
  }
  // `dropped` releases its result references here, outside the lock.
}

void StatusChannel::WhenGpmcDone(std::function<void()> done) {
  {
    core::MutexLock lock(&mu_);
    if (!gpmc_done_) {
      when_done_ = std::move(done);
      return;
    }
  }
  done();
}

int StatusChannel::posts() const {
  core::MutexLock lock(&mu_);
  return posts_;
}

ComPtr<IGPMAsyncProgress> AsyncProgress::Create(std::shared_ptr<StatusChannel> channel,
                                                std::shared_ptr<std::atomic<long>> live) {
  return ComPtr<IGPMAsyncProgress>::Adopt(new AsyncProgress(std::move(channel), std::move(live)));
}

AsyncProgress::AsyncProgress(std::shared_ptr<StatusChannel> channel,
                             std::shared_ptr<std::atomic<long>> live)
    : channel_(std::move(channel)), live_(std::move(live)) {
  if (live_) ++*live_;
  // Aggregate the free-threaded marshaler: marshalling this object to another apartment then
  // hands out a direct pointer, which is correct because the object is thread-safe. Without it
  // (creation failed) the object still works in-process within the MTA.
  if (FAILED(CoCreateFreeThreadedMarshaler(static_cast<IUnknown*>(this), &marshaler_))) {
    marshaler_ = nullptr;
  }
}

AsyncProgress::~AsyncProgress() {
  if (marshaler_) marshaler_->Release();
  // GPMC let go of the object: it cannot report on this operation any more.
  channel_->NoteProgressReleased();
  if (live_) --*live_;
}

HRESULT AsyncProgress::QueryInterface(REFIID riid, void** out) {
  if (!out) return E_POINTER;
  *out = nullptr;
  if (IsEqualIID(riid, IID_IUnknown) || IsEqualIID(riid, IID_IDispatch) ||
      IsEqualIID(riid, IID_IGPMAsyncProgress)) {
    *out = static_cast<IGPMAsyncProgress*>(this);
    AddRef();
    return S_OK;
  }
  if (IsEqualIID(riid, IID_IAgileObject)) {
    *out = static_cast<IUnknown*>(this);
    AddRef();
    return S_OK;
  }
  if (IsEqualIID(riid, IID_IMarshal) && marshaler_) {
    return marshaler_->QueryInterface(riid, out);
  }
  return E_NOINTERFACE;
}

ULONG AsyncProgress::AddRef() { return ++refs_; }

ULONG AsyncProgress::Release() {
  const ULONG left = --refs_;
  if (left == 0) delete this;
  return left;
}

HRESULT AsyncProgress::GetTypeInfoCount(UINT* count) {
  if (!count) return E_POINTER;
  *count = 0;
  return S_OK;
}

HRESULT AsyncProgress::GetTypeInfo(UINT, LCID, ITypeInfo** info) {
  if (info) *info = nullptr;
  return E_NOTIMPL;
}

HRESULT AsyncProgress::GetIDsOfNames(REFIID, LPOLESTR*, UINT count, LCID, DISPID* ids) {
  if (ids) {
    for (UINT i = 0; i < count; ++i) ids[i] = DISPID_UNKNOWN;
  }
  return DISP_E_UNKNOWNNAME;
}

HRESULT AsyncProgress::Invoke(DISPID, REFIID, LCID, WORD, DISPPARAMS*, VARIANT*, EXCEPINFO*,
                              UINT*) {
  return E_NOTIMPL;
}

HRESULT AsyncProgress::Status(LONG numerator, LONG denominator, HRESULT hr_status, VARIANT* result,
                              IGPMStatusMsgCollection* messages) {
  StatusReport report;
  report.numerator = numerator;
  report.denominator = denominator;
  report.hr = hr_status;
  report.final = IsFinalStatus(numerator, denominator, hr_status, result);
  report.result = Variant::CopyOf(result);
  report.messages = ReadStatusMessages(messages, report.final && FAILED(hr_status));
  channel_->Post(std::move(report));
  return S_OK;
}

}  // namespace gpop::gpmc
