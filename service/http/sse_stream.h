// One Server-Sent Events stream: an engine cursor (StreamStatus or WatchOperations) pumped into
// an HTTP response body by libmicrohttpd, with the connection suspended while the cursor has
// nothing to send, so that an idle stream holds no thread.
//
// Wire format (text/event-stream), one SSE event per cursor item, `data` the item in canonical
// JSON:
//   event: event      id: <sequence> (status) or <revision> (watch)   data: StatusUpdate /
//                                                                            WatchOperationsResponse
//   event: progress   (status streams only; the newest value, no id)
//   event: heartbeat  (idle streams, at the engine's heartbeat interval; watch: id = revision)
//   event: end        the terminal event was sent; do not reconnect
//   event: failure    AIP-193 error body; final for this cursor (OPERATION_EXPIRED, NOT_FOUND,
//                     INVALID_ARGUMENT, SEQUENCE_OUT_OF_RANGE, ...): do not retry
//   event: unavailable  AIP-193 error body; the server is shutting down: reconnect with
//                     Last-Event-ID
// The `id` is what EventSource sends back as Last-Event-ID, i.e. the gRPC stream's
// after_sequence / after_revision.

#ifndef GPOP_SERVICE_HTTP_SSE_STREAM_H_
#define GPOP_SERVICE_HTTP_SSE_STREAM_H_

#include <sys/types.h>

#include <memory>
#include <set>
#include <string>

#include "absl/status/status.h"
#include "service/core/mutex.h"
#include "service/engine/engine.h"

struct MHD_Connection;

namespace gpop::http {

class SseStream;

// StreamRegistry
//
// The open streams of one server, so that shutdown can end them. Thread-safe.
class StreamRegistry {
 public:
  void Add(SseStream* stream) GPOP_EXCLUDES(mu_);
  void Remove(SseStream* stream) GPOP_EXCLUDES(mu_);
  // Ends every open stream at its next read (resuming suspended ones); streams added later are
  // born closed.
  void CloseAll() GPOP_EXCLUDES(mu_);
  size_t size() GPOP_EXCLUDES(mu_);

 private:
  core::Mutex mu_;
  std::set<SseStream*> streams_ GPOP_GUARDED_BY(mu_);
  bool closed_ GPOP_GUARDED_BY(mu_) = false;
};

// SseStream
//
// Owned by its libmicrohttpd response (freed by the response's free callback, after the last
// Read). Read runs on the connection's libmicrohttpd thread; the cursor's wake and Close on any
// thread; all serialize on `mu_`. The cursor coalesces progress, and a new item is only taken
// from it when the socket has room for more, so a slow viewer gets the newest progress and never
// holds up the engine or other viewers.
class SseStream {
 public:
  enum class Kind { kStatus, kWatch };

  // A stream over `cursor`. Registered in `registry` (which must outlive it) until destroyed.
  SseStream(Kind kind, std::unique_ptr<engine::Cursor> cursor, StreamRegistry* registry);
  // A stream that only says why it could not open (`error`) and ends.
  SseStream(const absl::Status& error, StreamRegistry* registry);
  ~SseStream();
  SseStream(const SseStream&) = delete;
  SseStream& operator=(const SseStream&) = delete;

  // The connection the stream is written to; set once, before the first Read.
  void Attach(MHD_Connection* connection) GPOP_EXCLUDES(mu_);

  // libmicrohttpd's content reader: copies what is ready; when nothing is, arms the cursor,
  // suspends the connection and returns 0; ends (-1) after the end or failure event.
  ssize_t Read(char* buf, size_t max) GPOP_EXCLUDES(mu_);

  // Ends the stream at its next read (planned shutdown).
  void Close() GPOP_EXCLUDES(mu_);

 private:
  void Wake() GPOP_EXCLUDES(mu_);
  // Formats the next item, or the end, into pending_; false when the cursor is pending.
  bool FillLocked() GPOP_REQUIRES(mu_);
  void EndLocked(const absl::Status& status) GPOP_REQUIRES(mu_);

  const Kind kind_;
  StreamRegistry* const registry_;
  core::Mutex mu_;
  // Set at construction; destroyed in the destructor outside mu_ (destroying a cursor waits for
  // a wake in progress, and the wake takes mu_).
  std::unique_ptr<engine::Cursor> cursor_;
  MHD_Connection* connection_ GPOP_GUARDED_BY(mu_) = nullptr;
  std::string pending_ GPOP_GUARDED_BY(mu_);  // bytes not yet handed to libmicrohttpd
  size_t offset_ GPOP_GUARDED_BY(mu_) = 0;
  bool suspended_ GPOP_GUARDED_BY(mu_) = false;
  bool ending_ GPOP_GUARDED_BY(mu_) = false;  // pending_ holds the last bytes
  bool closing_ GPOP_GUARDED_BY(mu_) = false;
};

// SseFrame
//
// One SSE event: "id: <id>\n" when `id` is not empty, "event: <event>\n", "data: <data>\n\n".
// `data` must not contain a newline (canonical JSON without whitespace has none).
std::string SseFrame(const std::string& event, const std::string& id, const std::string& data);

}  // namespace gpop::http

#endif  // GPOP_SERVICE_HTTP_SSE_STREAM_H_
