// Server-Sent Events over an engine cursor (see sse_stream.h).

#include "service/http/sse_stream.h"

#include <microhttpd.h>

#include <cstring>
#include <utility>
#include <variant>
#include <vector>

#include "gpop/v1/operations.pb.h"
#include "service/api/conversion.h"
#include "service/http/http_status.h"
#include "service/http/json.h"

namespace gpop::http {

// EventSource waits this long before reconnecting after a stream ends or breaks.
constexpr char kRetryPreamble[] = "retry: 2000\n\n";

void StreamRegistry::Add(SseStream* stream) {
  core::MutexLock lock(&mu_);
  streams_.insert(stream);
  if (closed_) stream->Close();
}

void StreamRegistry::Remove(SseStream* stream) {
  core::MutexLock lock(&mu_);
  streams_.erase(stream);
}

void StreamRegistry::CloseAll() {
  core::MutexLock lock(&mu_);
  closed_ = true;
  for (SseStream* stream : streams_) stream->Close();
}

size_t StreamRegistry::size() {
  core::MutexLock lock(&mu_);
  return streams_.size();
}

std::string SseFrame(const std::string& event, const std::string& id, const std::string& data) {
  std::string out;
  if (!id.empty()) out += "id: " + id + "\n";
  out += "event: " + event + "\ndata: " + data + "\n\n";
  return out;
}

SseStream::SseStream(Kind kind, std::unique_ptr<engine::Cursor> cursor, StreamRegistry* registry)
    : kind_(kind), registry_(registry), cursor_(std::move(cursor)) {
  {
    core::MutexLock lock(&mu_);
    pending_ = kRetryPreamble;
  }
  registry_->Add(this);  // not under mu_: CloseAll locks the registry, then each stream
}

SseStream::SseStream(const absl::Status& error, StreamRegistry* registry)
    : kind_(Kind::kStatus), registry_(registry) {
  {
    core::MutexLock lock(&mu_);
    pending_ = kRetryPreamble;
    EndLocked(error);
  }
  registry_->Add(this);
}

SseStream::~SseStream() {
  registry_->Remove(this);
  // Waits for a wake in progress; Wake sees no suspension and leaves the connection alone.
  cursor_.reset();
}

void SseStream::Attach(MHD_Connection* connection) {
  core::MutexLock lock(&mu_);
  connection_ = connection;
}

void SseStream::EndLocked(const absl::Status& status) {
  if (status.ok()) {
    pending_ += SseFrame("end", "", "{}");
  } else {
    pending_ += SseFrame(IsRetryable(status) ? "unavailable" : "failure", "", ErrorBody(status));
  }
  ending_ = true;
}

bool SseStream::FillLocked() {
  while (true) {
    if (closing_) {
      EndLocked(absl::UnavailableError("gpopd is shutting down; reconnect to resume"));
      return true;
    }
    engine::Cursor::Next next = cursor_->Poll();
    if (auto* end = std::get_if<engine::Cursor::End>(&next)) {
      EndLocked(end->status);
      return true;
    }
    auto* item = std::get_if<engine::StreamItem>(&next);
    if (item == nullptr) return false;  // pending
    if (kind_ == Kind::kStatus) {
      v1::StatusUpdate update;
      if (!api::StreamItemToProto(*item, &update)) continue;
      switch (update.item_case()) {
        case v1::StatusUpdate::kEvent:
          pending_ += SseFrame("event", std::to_string(update.event().sequence()), ToJson(update));
          break;
        case v1::StatusUpdate::kProgress:
          pending_ += SseFrame("progress", "", ToJson(update));
          break;
        default:
          pending_ += SseFrame("heartbeat", "", ToJson(update));
      }
    } else {
      v1::WatchOperationsResponse update;
      if (!api::StreamItemToProto(*item, &update)) continue;
      if (update.has_event()) {
        pending_ += SseFrame("event", std::to_string(update.event().revision()), ToJson(update));
      } else {
        // A bookmark: every matching event up to this revision was sent.
        pending_ +=
            SseFrame("heartbeat", std::to_string(update.heartbeat().revision()), ToJson(update));
      }
    }
    return true;
  }
}

ssize_t SseStream::Read(char* buf, size_t max) {
  core::MutexLock lock(&mu_);
  suspended_ = false;
  while (true) {
    if (offset_ < pending_.size()) {
      size_t n = std::min(max, pending_.size() - offset_);
      std::memcpy(buf, pending_.data() + offset_, n);
      offset_ += n;
      return static_cast<ssize_t>(n);
    }
    pending_.clear();
    offset_ = 0;
    if (ending_) return MHD_CONTENT_READER_END_OF_STREAM;
    if (FillLocked()) continue;
    // Nothing to send: sleep without a thread until the cursor wakes us. Arm refuses when an
    // item became ready meanwhile; a wake that comes before we return waits for mu_.
    if (!cursor_->Arm([this] { Wake(); })) continue;
    suspended_ = true;
    MHD_suspend_connection(connection_);
    return 0;
  }
}

void SseStream::Wake() {
  core::MutexLock lock(&mu_);
  if (!suspended_) return;
  suspended_ = false;
  MHD_resume_connection(connection_);
}

void SseStream::Close() {
  core::MutexLock lock(&mu_);
  closing_ = true;
  if (suspended_) {
    suspended_ = false;
    MHD_resume_connection(connection_);
  }
}

}  // namespace gpop::http
