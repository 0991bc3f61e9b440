// Listing pages read from the store: every retained operation is there (the engine holds only
// live ones and a few finished ones), so a page is a walk back in creation order through the
// store's index, filtered, bounded in records and in bytes.

#ifndef GPOP_SERVICE_ENGINE_LISTING_H_
#define GPOP_SERVICE_ENGINE_LISTING_H_

#include <cstddef>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "service/engine/filter.h"
#include "service/engine/store.h"

namespace gpop::engine {

struct ListPage {
  std::vector<OperationRecord> operations;  // newest first
  std::optional<Store::ListPosition> next;  // where the next page continues, if any
};

// ReadListPage
//
// The records matching `filter` created before `from`, newest first: at most `page_size`, and
// ending before their estimated size passes `max_bytes` (never empty while one matches). Reads
// the store in chunks; the cost is the records walked, whatever the number retained.
absl::StatusOr<ListPage> ReadListPage(Store& store, const Filter& filter,
                                      const Store::ListPosition& from, size_t page_size,
                                      size_t max_bytes);

}  // namespace gpop::engine

#endif  // GPOP_SERVICE_ENGINE_LISTING_H_
