// PageBuilder: the page limits of engine::Store's paged reads (count and bytes), kept in one
// place so that every store cuts pages the same way.

#ifndef GPOP_SERVICE_STORE_PAGE_H_
#define GPOP_SERVICE_STORE_PAGE_H_

#include <cstddef>
#include <utility>
#include <vector>

#include "service/engine/store.h"
#include "service/store/record_codec.h"

namespace gpop::store {

// PageBuilder
//
// Collects events until the page is full: the first event always fits; a later one fits while
// the page stays within `max_events` and, by the events' encoded size, `max_bytes`. Not
// thread-safe.
class PageBuilder {
 public:
  explicit PageBuilder(const engine::Store::PageLimits& limits) : limits_(limits) {}

  // Whether one more event of encoded size `bytes` fits.
  bool Fits(size_t bytes) const {
    if (events_.empty()) return limits_.max_events > 0;
    return events_.size() < limits_.max_events && bytes_ + bytes <= limits_.max_bytes;
  }
  // Adds `event` whose encoded size is `bytes`; false (and not added) when the page is full.
  bool Add(engine::Event event, size_t bytes) {
    if (!Fits(bytes)) return false;
    bytes_ += bytes;
    events_.push_back(std::move(event));
    return true;
  }
  // For stores that hold decoded events: measures them as the durable encoding would.
  bool Add(const engine::Event& event) { return Add(event, EncodeEvent(event).size()); }

  std::vector<engine::Event> Take() { return std::move(events_); }

 private:
  const engine::Store::PageLimits limits_;
  std::vector<engine::Event> events_;
  size_t bytes_ = 0;
};

}  // namespace gpop::store

#endif  // GPOP_SERVICE_STORE_PAGE_H_
