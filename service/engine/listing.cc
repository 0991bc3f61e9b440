#include "service/engine/listing.h"

#include <algorithm>
#include <utility>

#include "service/engine/record_size.h"

namespace gpop::engine {

absl::StatusOr<ListPage> ReadListPage(Store& store, const Filter& filter,
                                      const Store::ListPosition& from, size_t page_size,
                                      size_t max_bytes) {
  ListPage page;
  Store::ListPosition at = from;
  Store::ListPosition last_taken;
  size_t bytes = 0;
  // One more than a page: a full page then knows whether another follows.
  const size_t chunk = std::clamp<size_t>(page_size + 1, 16, 1001);
  for (;;) {
    absl::StatusOr<std::vector<Store::Listed>> records = store.ListOperations(at, chunk);
    if (!records.ok()) return records.status();
    for (Store::Listed& listed : *records) {
      OperationRecord& rec = listed.record;
      if (!filter.Matches(rec.kind, rec.state, rec.labels)) {
        at = listed.position;
        continue;
      }
      size_t size = EstimatedSize(rec);
      if (page.operations.size() == page_size ||
          (!page.operations.empty() && bytes + size > max_bytes)) {
        page.next = last_taken;
        return page;
      }
      at = listed.position;
      last_taken = listed.position;
      bytes += size;
      page.operations.push_back(std::move(rec));
    }
    if (records->size() < chunk) return page;  // the oldest was reached
  }
}

}  // namespace gpop::engine
