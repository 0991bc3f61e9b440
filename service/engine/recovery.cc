#include "service/engine/recovery.h"

#include <algorithm>
#include <memory>
#include <set>
#include <utility>

namespace gpop::engine {

absl::StatusOr<std::map<std::string, LabelsPtr>> ReadWindowLabels(const Store::Snapshot& snapshot,
                                                                  Store& store) {
  std::set<std::string> held;
  for (const OperationRecord& rec : snapshot.operations) held.insert(rec.id);
  std::map<std::string, LabelsPtr> labels;
  for (const Event& ev : snapshot.events) {
    if (held.count(ev.operation_id) > 0 || labels.count(ev.operation_id) > 0) continue;
    absl::StatusOr<OperationRecord> rec = store.ReadOperation(ev.operation_id);
    if (absl::IsNotFound(rec.status())) continue;  // removed: its events match no labels
    if (!rec.ok()) return rec.status();
    labels[ev.operation_id] =
        std::make_shared<const std::map<std::string, std::string>>(std::move(rec->labels));
  }
  return labels;
}

absl::StatusOr<Recovered> RestoreSnapshot(Store::Snapshot snapshot, core::Backend& backend,
                                          OperationTable* ops, EventLog* log,
                                          const std::map<std::string, LabelsPtr>& window_labels) {
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
      auto it = window_labels.find(ptr->operation_id);
      log->Restore(ptr, it != window_labels.end()
                            ? it->second
                            : std::make_shared<const std::map<std::string, std::string>>());
      continue;
    }
    if (ptr->sequence > op->rec.last_sequence) {
      return absl::DataLossError("store: operation " + ptr->operation_id + " has event " +
                                 std::to_string(ptr->sequence) + " past its record's last, " +
                                 std::to_string(op->rec.last_sequence));
    }
    log->Restore(ptr, op->labels);
  }
  log->RestoreRevision(snapshot.revision);

  Recovered recovered;
  std::vector<Op*> cached;
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
        // Resident (a snapshot with history): cached like any finished operation.
        ops->MarkFinished(op);
        cached.push_back(op);
        recovered.finished.push_back({op->rec.id, op->rec.end_time.value_or(op->rec.create_time)});
        break;
    }
  }
  for (Op* op : cached) ops->Cache(op);  // may evict: not while iterating by_creation
  for (Store::FinishedRef& ref : snapshot.finished) {
    ops->MarkFinishedId(ref.id, ref.end_time);
    recovered.finished.push_back(std::move(ref));
  }
  return recovered;
}

}  // namespace gpop::engine
