// Streams that resume by themselves: StatusStream (one operation's events, by sequence) and
// WatchStream (every operation's events, by revision).
//
// Each attempt is a fresh call on the Connection (so a fresh gRPC ClientContext) that asks for
// what comes after the last position the caller has seen; items at or before that position are
// dropped, so the caller sees every event exactly once and in order, however often the stream is
// cut. Cuts are the statuses IsResumableStreamError() accepts, and a stream that ends with OK
// before it is complete; anything else ends the stream with that status.

#ifndef GPOP_CLIENT_RESUMABLE_STREAM_H_
#define GPOP_CLIENT_RESUMABLE_STREAM_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "client/connection.h"
#include "client/options.h"
#include "client/retry_policy.h"
#include "gpop/v1/operations.pb.h"
#include "service/core/mutex.h"

namespace gpop::client {

// IsTerminalState
//
// SUCCEEDED, FAILED or CANCELLED.
bool IsTerminalState(v1::OperationState state);

// ResumableStream
//
// The resume loop shared by StatusStream and WatchStream. Read() is called by one thread at a
// time; Cancel() may be called from any thread (e.g. a signal-handling thread) and makes a
// blocked Read() return false soon, also during a backoff wait.
//
// "Progress", which resets the retry budget, is an item that moves the position forward or
// proves the stream stayed open for a while: a new event or a heartbeat. The current progress
// value, which the server sends at the start of every attempt, does not count.
template <typename Item>
class ResumableStream {
 public:
  ResumableStream(const ResumableStream&) = delete;
  ResumableStream& operator=(const ResumableStream&) = delete;
  virtual ~ResumableStream() = default;

  // Read
  //
  // Blocks for the next item; false when the stream has ended, and then status() says why.
  bool Read(Item* item);

  // status
  //
  // Why the stream ended: OK when it is complete (StatusStream: the terminal event was read),
  // CANCELLED after Cancel(), DEADLINE_EXCEEDED at StreamOptions::deadline, or the status of the
  // last attempt (a refusal, or a cut once the retry budget was spent). Valid after Read()
  // returned false.
  const absl::Status& status() const { return status_; }

  // Cancel
  //
  // Ends the stream soon. Thread-safe, idempotent.
  void Cancel() GPOP_EXCLUDES(mu_);

  // resumes
  //
  // How many times the stream was opened again after a cut.
  int resumes() const { return resumes_.load(); }

 protected:
  using TimePoint = std::chrono::system_clock::time_point;

  // What Accept() says about an item.
  enum class Verdict { kSkip, kDeliver, kDeliverWithProgress };

  ResumableStream(ResumeOptions resume, StreamOptions options)
      : policy_(resume.retry_policy.Clone()),
        sleeper_(std::move(resume.sleeper)),
        clock_(std::move(resume.clock)),
        on_reconnect_(std::move(resume.on_reconnect)),
        options_(options) {}

  // Opens one attempt from the current position.
  virtual std::unique_ptr<StreamAttempt<Item>> Open(std::optional<TimePoint> deadline) = 0;
  // Classifies an item and advances the position.
  virtual Verdict Accept(const Item& item) = 0;
  // True once an OK end means the end (not a cut).
  virtual bool Complete() const = 0;

 private:
  TimePoint Now() const { return clock_ ? clock_() : std::chrono::system_clock::now(); }
  bool End(absl::Status status);
  // Waits `delay`; false if cancelled meanwhile.
  bool Backoff(std::chrono::milliseconds delay) GPOP_EXCLUDES(mu_);
  bool Cancelled() GPOP_EXCLUDES(mu_);

  StreamRetryPolicy policy_;
  Sleeper sleeper_;
  Clock clock_;
  std::function<void(const absl::Status&, std::chrono::milliseconds)> on_reconnect_;
  StreamOptions options_;

  // Reader-thread state.
  std::unique_ptr<StreamAttempt<Item>> current_;
  bool done_ = false;
  bool first_attempt_ = true;
  absl::Status status_;
  std::atomic<int> resumes_{0};

  core::Mutex mu_;
  core::CondVar wake_;
  bool cancelled_ GPOP_GUARDED_BY(mu_) = false;
  // The attempt in flight, for Cancel(); owned by `current_`.
  StreamAttempt<Item>* attempt_ GPOP_GUARDED_BY(mu_) = nullptr;
};

// StatusStream
//
// StreamStatus of one operation, resumed by sequence. Complete after the terminal event.
class StatusStream final : public ResumableStream<v1::StatusUpdate> {
 public:
  StatusStream(std::shared_ptr<Connection> connection, std::string operation_id,
               uint64_t after_sequence, ResumeOptions resume, StreamOptions options);

  // last_sequence
  //
  // The sequence of the last event read (or the starting `after_sequence`): the value to resume
  // from. Thread-safe.
  uint64_t last_sequence() const { return last_sequence_.load(); }

  const std::string& operation_id() const { return operation_id_; }

 private:
  std::unique_ptr<StreamAttempt<v1::StatusUpdate>> Open(std::optional<TimePoint> deadline) override;
  Verdict Accept(const v1::StatusUpdate& update) override;
  bool Complete() const override { return terminal_seen_; }

  std::shared_ptr<Connection> connection_;
  std::string operation_id_;
  std::atomic<uint64_t> last_sequence_;
  bool terminal_seen_ = false;
};

// WatchStream
//
// WatchOperations, resumed by revision; never complete (it ends on Cancel(), a deadline or an
// error). A revision the server no longer retains ends it with FAILED_PRECONDITION, reason
// CURSOR_EXPIRED: list again, then watch from the listing's revision.
class WatchStream final : public ResumableStream<v1::WatchOperationsResponse> {
 public:
  WatchStream(std::shared_ptr<Connection> connection, std::string filter, uint64_t after_revision,
              ResumeOptions resume, StreamOptions options);

  // last_revision
  //
  // The revision of the last event or heartbeat read (or the starting `after_revision`).
  // Thread-safe.
  uint64_t last_revision() const { return last_revision_.load(); }

 private:
  std::unique_ptr<StreamAttempt<v1::WatchOperationsResponse>> Open(
      std::optional<TimePoint> deadline) override;
  Verdict Accept(const v1::WatchOperationsResponse& response) override;
  bool Complete() const override { return false; }

  std::shared_ptr<Connection> connection_;
  std::string filter_;
  std::atomic<uint64_t> last_revision_;
};

// ---------------------------------------------------------------------------------------------
// Implementation of the template.

template <typename Item>
void ResumableStream<Item>::Cancel() {
  core::MutexLock lock(&mu_);
  cancelled_ = true;
  if (attempt_ != nullptr) attempt_->Cancel();
  wake_.SignalAll();
}

template <typename Item>
bool ResumableStream<Item>::Cancelled() {
  core::MutexLock lock(&mu_);
  return cancelled_;
}

template <typename Item>
bool ResumableStream<Item>::End(absl::Status status) {
  done_ = true;
  status_ = std::move(status);
  return false;
}

template <typename Item>
bool ResumableStream<Item>::Backoff(std::chrono::milliseconds delay) {
  if (sleeper_) {
    sleeper_(delay);
    return !Cancelled();
  }
  auto until = std::chrono::steady_clock::now() + delay;
  core::MutexLock lock(&mu_);
  while (!cancelled_ && std::chrono::steady_clock::now() < until) wake_.WaitUntil(&mu_, until);
  return !cancelled_;
}

template <typename Item>
bool ResumableStream<Item>::Read(Item* item) {
  while (!done_) {
    if (current_ == nullptr) {
      if (options_.deadline.has_value() && Now() >= *options_.deadline) {
        return End(absl::DeadlineExceededError("stream deadline reached"));
      }
      if (!first_attempt_) resumes_.fetch_add(1);
      first_attempt_ = false;
      current_ = Open(options_.deadline);
      {
        core::MutexLock lock(&mu_);
        attempt_ = current_.get();
        // A Cancel() that came before the attempt existed still applies to it.
        if (cancelled_) attempt_->Cancel();
      }
      // Registered first, started second: a Cancel() now also ends a call still connecting.
      current_->Start();
    }

    if (current_->Read(item)) {
      switch (Accept(*item)) {
        case Verdict::kSkip:
          continue;
        case Verdict::kDeliverWithProgress:
          policy_.OnProgress();
          return true;
        case Verdict::kDeliver:
          return true;
      }
    }

    absl::Status status = current_->Finish();
    {
      core::MutexLock lock(&mu_);
      attempt_ = nullptr;
    }
    current_.reset();

    // Once complete, the caller has everything: how the call ended no longer matters.
    if (Complete()) return End(absl::OkStatus());
    if (Cancelled()) return End(absl::CancelledError("stream cancelled by the caller"));
    if (status.ok()) status = absl::UnavailableError("stream ended before it was complete");
    if (!IsResumableStreamError(status)) return End(std::move(status));
    std::optional<std::chrono::milliseconds> delay = policy_.OnCut();
    if (!delay.has_value()) return End(std::move(status));
    if (options_.deadline.has_value() && Now() + *delay >= *options_.deadline) {
      return End(absl::DeadlineExceededError("stream deadline reached while reconnecting"));
    }
    if (on_reconnect_) on_reconnect_(status, *delay);
    if (!Backoff(*delay)) return End(absl::CancelledError("stream cancelled by the caller"));
  }
  return false;
}

}  // namespace gpop::client

#endif  // GPOP_CLIENT_RESUMABLE_STREAM_H_
