// CursorStream: a gRPC server-streaming reactor that drains an engine::Cursor (StreamStatus and
// WatchOperations). It never blocks: it polls the cursor, starts one write at a time, and when
// the cursor has nothing to send it arms the cursor's wake and returns; the wake re-enters the
// pump from whichever engine thread calls it. The model is gRPC's own health Watch reactor.

#ifndef GPOP_SERVICE_API_CURSOR_STREAM_H_
#define GPOP_SERVICE_API_CURSOR_STREAM_H_

#include <functional>
#include <memory>
#include <utility>
#include <variant>

#include "grpcpp/support/server_callback.h"
#include "grpcpp/support/status.h"
#include "service/api/log.h"
#include "service/api/status_mapping.h"
#include "service/core/mutex.h"
#include "service/engine/engine.h"

namespace gpop::api {

// PollOrArm
//
// What a reactor draining `cursor` acts on next: an item, the stream's End, or Armed when
// nothing is ready and `wake` will be called once something is (Cursor::Arm). The loop of Poll
// and Arm lives here once: Arm refuses when an item became ready after Poll said Pending.
struct Armed {};
using CursorReady = std::variant<engine::StreamItem, engine::Cursor::End, Armed>;
inline CursorReady PollOrArm(engine::Cursor& cursor, const std::function<void()>& wake) {
  for (;;) {
    engine::Cursor::Next next = cursor.Poll();
    if (auto* item = std::get_if<engine::StreamItem>(&next)) return std::move(*item);
    if (auto* end = std::get_if<engine::Cursor::End>(&next)) return std::move(*end);
    if (cursor.Arm(wake)) return Armed{};
  }
}

// CursorStream
//
// Sends the items of `cursor` as `Response` messages, converted by `convert` (which returns
// false to skip an item). Ends with the cursor's End status mapped by ToGrpcStatus, or with
// CANCELLED when the client goes away. Guarantees: at most one write in flight (the cursor
// itself coalesces progress, so a slow reader only ever gets the newest value); Finish exactly
// once; the cursor is never used after Finish and is destroyed in OnDone, before the reactor
// is freed and without holding the reactor's lock (destroying a cursor waits for a wake call in
// progress, and the wake takes that lock). Heap-allocated with `new`; deletes itself in OnDone.
// Thread-safe: every callback and the wake serialize on `mu_`.
template <typename Response>
class CursorStream final : public grpc::ServerWriteReactor<Response> {
 public:
  using Convert = bool (*)(const engine::StreamItem&, Response*);

  CursorStream(std::unique_ptr<engine::Cursor> cursor, Convert convert, LogTags tags)
      : cursor_(std::move(cursor)), convert_(convert), tags_(std::move(tags)) {}

  // Sends what is ready. Call once, right after construction, from the RPC handler.
  void Start() GPOP_EXCLUDES(mu_) {
    core::MutexLock lock(&mu_);
    PumpLocked();
  }

  void OnWriteDone(bool ok) override GPOP_EXCLUDES(mu_) {
    core::MutexLock lock(&mu_);
    writing_ = false;
    if (!ok) {
      // The stream broke (the client left or the connection dropped); OnCancel follows.
      FinishLocked(grpc::Status(grpc::StatusCode::UNAVAILABLE, "the stream was closed"));
      return;
    }
    PumpLocked();
  }

  void OnCancel() override GPOP_EXCLUDES(mu_) {
    core::MutexLock lock(&mu_);
    FinishLocked(grpc::Status(grpc::StatusCode::CANCELLED, "the call was cancelled"));
  }

  void OnDone() override GPOP_EXCLUDES(mu_) {
    // Not under mu_: the destructor waits for a wake in progress, which takes mu_.
    cursor_.reset();
    delete this;
  }

 private:
  // Polls until a write is started, the stream ends, or the cursor is armed.
  void PumpLocked() GPOP_REQUIRES(mu_) {
    while (!finished_ && !writing_) {
      CursorReady next = PollOrArm(*cursor_, [this] { Wake(); });
      if (auto* end = std::get_if<engine::Cursor::End>(&next)) {
        if (!end->status.ok() && end->status.code() != absl::StatusCode::kUnavailable) {
          Log(LogLevel::kWarning, tags_, "stream ended: " + end->status.ToString());
        }
        FinishLocked(ToGrpcStatus(end->status));
        return;
      }
      auto* item = std::get_if<engine::StreamItem>(&next);
      if (item == nullptr) return;  // armed
      if (!convert_(*item, &response_)) continue;
      writing_ = true;
      this->StartWrite(&response_);
    }
  }

  // Runs on an engine or clock thread, at most once per Arm, never after the cursor is gone.
  void Wake() GPOP_EXCLUDES(mu_) {
    core::MutexLock lock(&mu_);
    PumpLocked();
  }

  void FinishLocked(grpc::Status status) GPOP_REQUIRES(mu_) {
    if (finished_) return;
    finished_ = true;
    this->Finish(std::move(status));
  }

  core::Mutex mu_;
  // Set at construction; reset only in OnDone, when no other callback can run.
  std::unique_ptr<engine::Cursor> cursor_;
  const Convert convert_;
  const LogTags tags_;
  Response response_ GPOP_GUARDED_BY(mu_);  // the write in flight
  bool writing_ GPOP_GUARDED_BY(mu_) = false;
  bool finished_ GPOP_GUARDED_BY(mu_) = false;
};

// FailedStream
//
// A server stream that ends at once with `status`, for requests refused before any cursor was
// opened. Heap-allocated with `new`; deletes itself in OnDone.
template <typename Response>
class FailedStream final : public grpc::ServerWriteReactor<Response> {
 public:
  explicit FailedStream(grpc::Status status) { this->Finish(std::move(status)); }
  void OnDone() override { delete this; }
};

}  // namespace gpop::api

#endif  // GPOP_SERVICE_API_CURSOR_STREAM_H_
