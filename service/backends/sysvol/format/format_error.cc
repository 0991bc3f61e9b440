// CorruptFile: the shared CORRUPT_FILE error of the format readers.

#include "service/backends/sysvol/format/format_error.h"

#include <map>
#include <string>

namespace gpop::sysvol {

core::Error CorruptFile(std::string_view display_path, std::string_view problem,
                        std::optional<size_t> offset) {
  std::string message;
  if (!display_path.empty()) {
    message.append(display_path);
    message.append(": ");
  }
  message.append(problem);
  std::map<std::string, std::string> metadata;
  if (!display_path.empty()) metadata["file"] = std::string(display_path);
  if (offset.has_value()) {
    message.append(" at offset ");
    message.append(std::to_string(*offset));
    metadata["offset"] = std::to_string(*offset);
  }
  return core::MakeError(core::Code::kDataLoss, core::reason::kCorruptFile, std::move(message),
                         std::move(metadata));
}

}  // namespace gpop::sysvol
