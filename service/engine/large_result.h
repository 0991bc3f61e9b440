// Large results: the part of an operation's result that is too big to travel with its record and
// events (a report's content). The engine detaches it when the terminal event is appended, the
// store keeps it once beside the operation (Store::Change::result_content, Store::ReadResult),
// and only GetOperation attaches it again. Listings, events and streams carry the result
// without it.

#ifndef GPOP_SERVICE_ENGINE_LARGE_RESULT_H_
#define GPOP_SERVICE_ENGINE_LARGE_RESULT_H_

#include <memory>
#include <string>

#include "service/core/operation.h"

namespace gpop::engine {

// DetachLargeResult
//
// Moves the large part out of `result` (a report's content) and returns it; null when `result`
// has none. `result` keeps everything else (the report's format).
std::shared_ptr<const std::string> DetachLargeResult(core::OperationResult* result);

// HasDetachedResult
//
// Whether `result` is of a kind whose large part is kept apart (a report) and it is not there.
bool HasDetachedResult(const core::OperationResult& result);

// AttachLargeResult
//
// Puts `content` back into `result` (a report's content).
void AttachLargeResult(core::OperationResult* result, std::string content);

}  // namespace gpop::engine

#endif  // GPOP_SERVICE_ENGINE_LARGE_RESULT_H_
