// A watch cursor narrowed to the operations a caller may see: events of other operations are
// skipped, heartbeats and the end pass through. OperationsApi wraps the watches of callers whose
// grants are scoped (auth/policy.h).

#ifndef GPOP_SERVICE_API_VISIBLE_CURSOR_H_
#define GPOP_SERVICE_API_VISIBLE_CURSOR_H_

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "service/engine/engine.h"

namespace gpop::api {

// VisibleCursor
//
// Wraps `inner`; `visible(operation_id)` decides (once per operation, remembered) whether the
// events of an operation are passed on. `visible` is called from Poll and must not block.
// Thread-compatible, as engine::Cursor: one reactor owns it.
class VisibleCursor final : public engine::Cursor {
 public:
  VisibleCursor(std::unique_ptr<engine::Cursor> inner,
                std::function<bool(const std::string&)> visible)
      : inner_(std::move(inner)), visible_(std::move(visible)) {}

  Next Poll() override {
    while (true) {
      Next next = inner_->Poll();
      auto* item = std::get_if<engine::StreamItem>(&next);
      if (item == nullptr) return next;
      const auto* event = std::get_if<engine::Event>(item);
      if (event == nullptr || Visible(event->operation_id)) return next;
    }
  }

  bool Arm(std::function<void()> wake) override { return inner_->Arm(std::move(wake)); }

 private:
  static constexpr size_t kMaxRemembered = 10000;

  bool Visible(const std::string& id) {
    auto it = seen_.find(id);
    if (it != seen_.end()) return it->second;
    if (seen_.size() >= kMaxRemembered) seen_.clear();
    bool visible = visible_(id);
    seen_.emplace(id, visible);
    return visible;
  }

  std::unique_ptr<engine::Cursor> inner_;
  std::function<bool(const std::string&)> visible_;
  std::map<std::string, bool> seen_;
};

}  // namespace gpop::api

#endif  // GPOP_SERVICE_API_VISIBLE_CURSOR_H_
