// Recovery at start-up: rebuilds the operation table and the event log from a store snapshot and
// sorts the operations by what must happen to them next.

#ifndef GPOP_SERVICE_ENGINE_RECOVERY_H_
#define GPOP_SERVICE_ENGINE_RECOVERY_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "service/core/backend.h"
#include "service/engine/event_log.h"
#include "service/engine/operation_table.h"
#include "service/engine/store.h"

namespace gpop::engine {

// The operations of a snapshot, in creation order, by what recovery does with them.
struct Recovered {
  std::vector<Op*> queued;              // run again
  std::vector<std::string> running;     // resolved by the backend's Recover
  std::vector<std::string> cancelling;  // resolved, ending CANCELLED unless rolled forward
  // Kept until retention removes them (resident ones are in the table's cache; the others are
  // in the store only), oldest end first.
  std::vector<Store::FinishedRef> finished;
};

// The labels of the finished operations whose events are in the snapshot's window but whose
// records it does not hold (a snapshot loaded without history), read from `store` one by one,
// so that watch filters match those events after a restart.
absl::StatusOr<std::map<std::string, LabelsPtr>> ReadWindowLabels(const Store::Snapshot& snapshot,
                                                                  Store& store);

// RestoreSnapshot
//
// Fills `ops` and `log` (both empty) from `snapshot` (the records it holds, the finished ones it
// only names, the newest events: the watch window); `backend` gives each operation's claims,
// `window_labels` the labels of window events whose records are not in the snapshot.
// Operations keep no events in memory: their history is read from the store. DATA_LOSS when an
// event is past its record's last.
absl::StatusOr<Recovered> RestoreSnapshot(
    Store::Snapshot snapshot, core::Backend& backend, OperationTable* ops, EventLog* log,
    const std::map<std::string, LabelsPtr>& window_labels = {});

}  // namespace gpop::engine

#endif  // GPOP_SERVICE_ENGINE_RECOVERY_H_
