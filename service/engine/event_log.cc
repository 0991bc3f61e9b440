#include "service/engine/event_log.h"

#include <utility>

#include "service/engine/large_result.h"

namespace gpop::engine {

EventLog::EventLog(size_t retained_revisions) : retained_revisions_(retained_revisions) {}

EventPtr EventLog::Append(Op* op, Event ev, Time now) {
  // A large result goes to the store once, beside the operation; the record and the event keep
  // the rest of the result.
  std::shared_ptr<const std::string> content = DetachLargeResult(&ev.result);
  ev.operation_id = op->rec.id;
  ev.kind = op->rec.kind;
  ev.sequence = op->rec.last_sequence + 1;
  ev.revision = next_revision_++;
  ev.time = now;
  if (ev.sequence == 1) ev.state = core::OperationState::kQueued;
  op->rec.state = ev.state;
  op->rec.last_sequence = ev.sequence;
  op->rec.revision = ev.revision;
  if (ev.hresult) op->rec.hresult = ev.hresult;
  if (core::IsTerminal(ev.state)) {
    op->rec.end_time = ev.time;
    op->rec.result = ev.result;
    op->rec.error = ev.error;
    op->rec.effects = ev.effects;
  }
  auto ptr = std::make_shared<const Event>(std::move(ev));
  op->events.push_back(ptr);
  window_.push_back({ptr, op->labels});
  pending_.push_back({op->rec, *ptr, std::move(content)});
  return ptr;
}

std::vector<Store::Change> EventLog::TakeBatch() {
  std::vector<Store::Change> batch;
  if (committing_ || failed_) return batch;
  batch.swap(pending_);
  committing_ = !batch.empty();
  // Room for a batch like this one: appends then seldom move the records already pending.
  pending_.reserve(batch.size());
  return batch;
}

void EventLog::Committed(const std::vector<Store::Change>& batch) {
  committing_ = false;
  for (const Store::Change& change : batch) {
    if (change.event) visible_revision_ = change.event->revision;
  }
}

void EventLog::Failed(absl::Status error) {
  committing_ = false;
  failed_ = true;
  error_ = std::move(error);
}

bool EventLog::Trim() {
  bool trimmed = false;
  while (window_.size() > retained_revisions_ &&
         window_.front().event->revision <= visible_revision_) {
    floor_ = window_.front().event->revision;
    window_.pop_front();
    trimmed = true;
  }
  return trimmed;
}

void EventLog::Restore(EventPtr event, LabelsPtr labels) {
  window_.push_back({std::move(event), std::move(labels)});
  while (window_.size() > retained_revisions_) {
    floor_ = window_.front().event->revision;
    window_.pop_front();
  }
}

void EventLog::RestoreRevision(uint64_t revision) {
  next_revision_ = revision + 1;
  visible_revision_ = revision;
}

}  // namespace gpop::engine
