// StatusStream and WatchStream: what a position is and which items move it.

#include "client/resumable_stream.h"

namespace gpop::client {

bool IsTerminalState(v1::OperationState state) {
  return state == v1::SUCCEEDED || state == v1::FAILED || state == v1::CANCELLED;
}

StatusStream::StatusStream(std::shared_ptr<Connection> connection, std::string operation_id,
                           uint64_t after_sequence, ResumeOptions resume, StreamOptions options)
    : ResumableStream(std::move(resume), options),
      connection_(std::move(connection)),
      operation_id_(std::move(operation_id)),
      last_sequence_(after_sequence) {}

std::unique_ptr<StreamAttempt<v1::StatusUpdate>> StatusStream::Open(
    std::optional<TimePoint> deadline) {
  v1::StreamStatusRequest request;
  request.set_operation_id(operation_id_);
  request.set_after_sequence(last_sequence_.load());
  return connection_->StreamStatus(request, deadline);
}

StatusStream::Verdict StatusStream::Accept(const v1::StatusUpdate& update) {
  switch (update.item_case()) {
    case v1::StatusUpdate::kEvent: {
      const v1::Event& event = update.event();
      if (event.sequence() <= last_sequence_.load()) return Verdict::kSkip;
      last_sequence_.store(event.sequence());
      if (IsTerminalState(event.state())) terminal_seen_ = true;
      return Verdict::kDeliverWithProgress;
    }
    case v1::StatusUpdate::kProgress:
      return Verdict::kDeliver;
    case v1::StatusUpdate::kHeartbeat:
      return Verdict::kDeliverWithProgress;
    case v1::StatusUpdate::ITEM_NOT_SET:
      break;
  }
  return Verdict::kSkip;
}

WatchStream::WatchStream(std::shared_ptr<Connection> connection, std::string filter,
                         uint64_t after_revision, ResumeOptions resume, StreamOptions options)
    : ResumableStream(std::move(resume), options),
      connection_(std::move(connection)),
      filter_(std::move(filter)),
      last_revision_(after_revision) {}

std::unique_ptr<StreamAttempt<v1::WatchOperationsResponse>> WatchStream::Open(
    std::optional<TimePoint> deadline) {
  v1::WatchOperationsRequest request;
  request.set_after_revision(last_revision_.load());
  request.set_filter(filter_);
  return connection_->WatchOperations(request, deadline);
}

WatchStream::Verdict WatchStream::Accept(const v1::WatchOperationsResponse& response) {
  switch (response.item_case()) {
    case v1::WatchOperationsResponse::kEvent: {
      uint64_t revision = response.event().revision();
      if (revision <= last_revision_.load()) return Verdict::kSkip;
      last_revision_.store(revision);
      return Verdict::kDeliverWithProgress;
    }
    case v1::WatchOperationsResponse::kHeartbeat: {
      // A heartbeat is a bookmark: nothing matching the filter happened up to its revision.
      uint64_t revision = response.heartbeat().revision();
      if (revision > last_revision_.load()) last_revision_.store(revision);
      return Verdict::kDeliverWithProgress;
    }
    case v1::WatchOperationsResponse::ITEM_NOT_SET:
      break;
  }
  return Verdict::kSkip;
}

}  // namespace gpop::client
