#include "service/engine/large_result.h"

#include <utility>

namespace gpop::engine {

std::shared_ptr<const std::string> DetachLargeResult(core::OperationResult* result) {
  auto* report = std::get_if<core::ReportInfo>(result);
  if (report == nullptr || report->content.empty()) return nullptr;
  auto content = std::make_shared<const std::string>(std::move(report->content));
  report->content = std::string();  // a moved-from string is valid but unspecified: make it empty
  return content;
}

bool HasDetachedResult(const core::OperationResult& result) {
  const auto* report = std::get_if<core::ReportInfo>(&result);
  return report != nullptr && report->content.empty();
}

void AttachLargeResult(core::OperationResult* result, std::string content) {
  if (auto* report = std::get_if<core::ReportInfo>(result)) report->content = std::move(content);
}

}  // namespace gpop::engine
