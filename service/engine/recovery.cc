#include "service/engine/recovery.h"

#include <algorithm>
#include <memory>
#include <utility>

namespace gpop::engine {

absl::StatusOr<Recovered> RestoreSnapshot(Store::Snapshot snapshot, core::Backend& backend,
                                          OperationTable* ops, EventLog* log) {
  std::vector<OperationRecord> records = std::move(snapshot.operations);
  std::sort(records.begin(), records.end(), [](const auto& a, const auto& b) {
    return a.create_time < b.create_time || (a.create_time == b.create_time && a.id < b.id);
  });
  for (OperationRecord& rec : records) {
    auto op = std::make_unique<Op>();
    op->labels = std::make_shared<const std::map<std::string, std::string>>(rec.labels);
    op->claims = backend.Claims(rec.spec);
    // Every stored event is durable and stays in the store: streams read them from there.
    op->visible_sequence = rec.last_sequence;
    op->events_base = rec.last_sequence;
    op->rec = rec;
    op->visible = std::move(rec);
    ops->Add(std::move(op));
  }
  for (Event& ev : snapshot.events) {
    Op* op = ops->Find(ev.operation_id);
    auto ptr = std::make_shared<const Event>(std::move(ev));
    if (op == nullptr) {
      log->Restore(ptr, std::make_shared<std::map<std::string, std::string>>());
      continue;
    }
    if (ptr->sequence > op->rec.last_sequence) {
      return absl::DataLossError("store: operation " + ptr->operation_id + " has event " +
                                 std::to_string(ptr->sequence) + " past its record's last, " +
                                 std::to_string(op->rec.last_sequence));
    }
    log->Restore(ptr, op->labels);
  }
  for (const std::string& id : snapshot.expired) ops->AddExpired(id);
  log->RestoreRevision(snapshot.revision);

  Recovered recovered;
  for (const auto& [index, op] : ops->by_creation()) {
    switch (op->rec.state) {
      case core::OperationState::kQueued:
        recovered.queued.push_back(op);
        break;
      case core::OperationState::kRunning:
        recovered.running.push_back(op->rec.id);
        break;
      case core::OperationState::kCancelling:
        recovered.cancelling.push_back(op->rec.id);
        break;
      default:
        recovered.finished.push_back(op);
        break;
    }
  }
  return recovered;
}

}  // namespace gpop::engine
