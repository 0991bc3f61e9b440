// The operation filter grammar of ListOperations and WatchOperations (DESIGN.md):
// conditions `state=<STATE>`, `kind=<kind>`, `labels.<key>=<value>` joined by " AND ".

#ifndef GPOP_SERVICE_ENGINE_FILTER_H_
#define GPOP_SERVICE_ENGINE_FILTER_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "service/core/operation.h"

namespace gpop::engine {

// Filter
//
// A parsed filter; the empty filter matches everything. Immutable, thread-compatible.
class Filter {
 public:
  // Parses `text`. Errors: INVALID_ARGUMENT with reason INVALID_FIELD, field "filter", saying
  // which condition is wrong. States are upper case (RUNNING), kinds lower case (backup), both
  // accepted in either case.
  static absl::StatusOr<Filter> Parse(const std::string& text);

  bool Matches(core::OperationKind kind, core::OperationState state,
               const std::map<std::string, std::string>& labels) const;

  // Whether Matches reads the labels (a watch reading history from the store then needs each
  // operation's record, not only its events).
  bool uses_labels() const { return !labels_.empty(); }

  // The canonical text (conditions sorted), used to bind page tokens to their filter.
  std::string Canonical() const;

 private:
  std::optional<core::OperationKind> kind_;
  std::optional<core::OperationState> state_;
  std::map<std::string, std::string> labels_;
  bool never_ = false;  // contradictory conditions (state=A AND state=B)
};

}  // namespace gpop::engine

#endif  // GPOP_SERVICE_ENGINE_FILTER_H_
