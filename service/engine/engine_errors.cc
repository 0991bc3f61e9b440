#include "service/engine/engine_errors.h"

#include "service/engine/status_convert.h"

namespace gpop::engine {

absl::Status OperationNotFound(const std::string& id) {
  return MakeStatus(core::Code::kNotFound, core::reason::kOperationNotFound,
                    "no operation \"" + id + "\"", {{"operation_id", id}});
}

absl::Status OperationExpired(const std::string& id) {
  return MakeStatus(core::Code::kNotFound, core::reason::kOperationExpired,
                    "operation \"" + id + "\" was removed by retention", {{"operation_id", id}});
}

absl::Status OperationDeleted(const std::string& id) {
  return MakeStatus(core::Code::kNotFound, core::reason::kOperationDeleted,
                    "operation \"" + id + "\" was deleted (DeleteOperation)",
                    {{"operation_id", id}});
}

absl::Status OperationRemoved(const std::string& id, Removal why) {
  return why == Removal::kDeleted ? OperationDeleted(id) : OperationExpired(id);
}

absl::Status ShuttingDown() {
  return MakeStatus(core::Code::kUnavailable, core::reason::kShuttingDown,
                    "the server is shutting down; retry after it restarts");
}

}  // namespace gpop::engine
