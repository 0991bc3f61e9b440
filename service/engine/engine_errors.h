// The engine's own error statuses, shared by its parts so that each reads the same everywhere.

#ifndef GPOP_SERVICE_ENGINE_ENGINE_ERRORS_H_
#define GPOP_SERVICE_ENGINE_ENGINE_ERRORS_H_

#include <string>

#include "absl/status/status.h"
#include "service/engine/store.h"

namespace gpop::engine {

absl::Status OperationNotFound(const std::string& id);  // NOT_FOUND, OPERATION_NOT_FOUND
absl::Status OperationExpired(const std::string& id);   // NOT_FOUND, OPERATION_EXPIRED
absl::Status OperationDeleted(const std::string& id);   // NOT_FOUND, OPERATION_DELETED
// The answer for an id that `why` removed: OperationExpired or OperationDeleted.
absl::Status OperationRemoved(const std::string& id, Removal why);
absl::Status ShuttingDown();                            // UNAVAILABLE, SHUTTING_DOWN

}  // namespace gpop::engine

#endif  // GPOP_SERVICE_ENGINE_ENGINE_ERRORS_H_
