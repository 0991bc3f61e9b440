// Driving one GPMC asynchronous call (see async_call.h).

#include "service/backends/gpmc/async_call.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "service/backends/gpmc/hresult_error.h"

namespace gpop::gpmc {

// The watchdog's one timer: fires into the channel; cancelled when re-armed or destroyed.
class AsyncCall::Watchdog {
 public:
  Watchdog(WatchdogClock& clock, std::shared_ptr<StatusChannel> channel)
      : clock_(clock), channel_(std::move(channel)) {}
  ~Watchdog() { Disarm(); }
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  void Arm(WatchdogClock::TimePoint when) {
    Disarm();
    armed_ = when;
    timer_ = clock_.Schedule(when, [channel = channel_] { channel->NoteTimer(); });
  }
  WatchdogClock::TimePoint armed() const { return armed_; }

 private:
  void Disarm() {
    if (timer_ != 0) clock_.Cancel(timer_);
    timer_ = 0;
  }
  WatchdogClock& clock_;
  const std::shared_ptr<StatusChannel> channel_;
  WatchdogClock::TimerId timer_ = 0;
  WatchdogClock::TimePoint armed_;
};

void AsyncCall::Deliver(StatusReport& report) {
  if (report.denominator > 0) sink_.Progress(report.numerator, report.denominator);
  if (!report.messages.empty()) {
    sink_.Messages(std::move(report.messages), static_cast<uint32_t>(report.hr));
    report.messages.clear();
  }
}

CallEnding AsyncCall::Drive(const StartFn& start) {
  CallEnding ending;
  auto channel = std::make_shared<StatusChannel>();
  const auto subscription = cancel_.Subscribe([channel] { channel->NoteCancelRequest(); });
  struct Unsubscribe {
    core::CancelToken& token;
    core::CancelToken::SubscriptionId id;
    std::shared_ptr<StatusChannel> channel;
    ~Unsubscribe() {
      token.Unsubscribe(id);
      channel->Close();
    }
  } unsubscribe{cancel_, subscription, channel};

  if (cancel_.cancel_requested()) {
    ending.how = CallEnding::How::kCancelledBeforeStart;
    ending.cancel_requested = true;
    return ending;
  }

  Variant cancel_var;
  ComPtr<IGPMResult> gpm_result;
  HRESULT hr;
  {
    ComPtr<IGPMAsyncProgress> progress = AsyncProgress::Create(channel, live_progress_);
    Variant progress_var = Variant::Dispatch(progress.get());
    hr = start(progress_var.get(), cancel_var.get(), gpm_result.Put());
    // Our references to the progress object end here; GPMC keeps its own as long as it needs.
  }

  if (FAILED(hr)) {
    // Deliver whatever GPMC reported before failing, then stop listening.
    StatusChannel::Batch batch = channel->Take();
    for (StatusReport& report : batch.reports) Deliver(report);
    ending.how = CallEnding::How::kStartFailed;
    ending.hr = hr;
    ending.any_status = channel->posts() > 0;
    ending.cancel_requested = cancel_.cancel_requested();
    return ending;
  }

  ComPtr<IGPMAsyncCancel> canceller =
      ComPtr<IUnknown>::Share(cancel_var.AsUnknown()).As<IGPMAsyncCancel>();
  bool cancel_sent = false;
  auto send_cancel = [&] {
    if (cancel_sent) return;
    cancel_sent = true;
    // Outside every lock: GPMC may call Status from inside Cancel.
    const HRESULT cancel_hr = canceller ? canceller->Cancel() : E_NOINTERFACE;
    if (SUCCEEDED(cancel_hr)) {
      ending.cancel_accepted = true;
      return;
    }
    // GPMC goes on with the work: say so, and keep waiting for its end.
    ending.cancel_refused = cancel_hr;
    core::StatusMessage note;
    note.severity = core::Severity::kWarning;
    note.error_code = static_cast<uint32_t>(cancel_hr);
    note.message = canceller ? "GPMC refused the cancel request (" + HresultText(cancel_hr) +
                                   ", HRESULT " + HresultHex(cancel_hr) + "); the operation goes on"
                             : "GPMC gave no way to cancel this operation; it goes on";
    sink_.Messages({std::move(note)}, static_cast<uint32_t>(cancel_hr));
  };

  // The watchdog: no Status for `watchdog_timeout`, or no final Status within
  // `cancel_watchdog_timeout` of an accepted Cancel. One timer, re-armed only when it fires
  // early or the expiry moves earlier.
  WatchdogClock& clock = clock_;
  const GpmcConfig& config = config_;
  WatchdogClock::TimePoint expiry = clock.Now() + config.watchdog_timeout;
  Watchdog watchdog(clock, channel);
  watchdog.Arm(expiry);
  for (;;) {
    StatusChannel::Batch batch = channel->Wait();
    if (!batch.reports.empty() && !ending.cancel_accepted) {
      expiry = clock.Now() + config.watchdog_timeout;
    }
    for (StatusReport& report : batch.reports) {
      Deliver(report);
      if (report.final) {
        ending.how = CallEnding::How::kFinalStatus;
        ending.hr = report.hr;
        ending.result = std::move(report.result);
        ending.any_status = true;
        ending.cancel_requested = cancel_.cancel_requested();
        FinishFinal(gpm_result.get(), &ending);
        return ending;
      }
    }
    if (batch.cancel_requested) {
      send_cancel();
      if (ending.cancel_accepted) {
        expiry = std::min(expiry, clock.Now() + config.cancel_watchdog_timeout);
      }
    }
    if (batch.timer_fired && clock.Now() >= expiry) {
      // Ask GPMC to stop what it may still be doing (if not asked already), and give up.
      ending.cancel_watchdog = ending.cancel_accepted;
      send_cancel();
      ending.how = CallEnding::How::kNoFinalStatus;
      ending.any_status = channel->posts() > 0;
      ending.cancel_requested = cancel_.cancel_requested();
      lingering_ = channel;
      return ending;
    }
    if (batch.timer_fired || expiry < watchdog.armed()) watchdog.Arm(expiry);
  }
}

void AsyncCall::FinishFinal(IGPMResult* gpm_result, CallEnding* ending) {
  if (FAILED(ending->hr) || !gpm_result) {
    if (SUCCEEDED(ending->hr)) Commit(ending);
    return;
  }
  const HRESULT overall = gpm_result->OverallStatus();
  if (FAILED(overall)) {
    ending->hr = overall;
    ComPtr<IGPMStatusMsgCollection> messages;
    if (SUCCEEDED(gpm_result->get_Status(messages.Put())) && messages) {
      auto copied = ReadStatusMessages(messages.get(), /*final_failure=*/true);
      if (!copied.empty()) sink_.Messages(std::move(copied), static_cast<uint32_t>(overall));
    }
    return;
  }
  if (ending->result.empty()) gpm_result->get_Result(ending->result.get());
  Commit(ending);
}

void AsyncCall::Commit(CallEnding* ending) {
  if (!cancel_.BeginCommit()) ending->cancel_won = true;
}

}  // namespace gpop::gpmc
