// The one error every parser in this folder returns for a corrupt or hostile file.
//
// Every reader reports bad input as DATA_LOSS with reason CORRUPT_FILE, a message that starts
// with the file's display path, and metadata `file` (and `offset` when a byte offset is known),
// so that an operation's status message names the file and the place, as GPMC's do.

#ifndef GPOP_SERVICE_BACKENDS_SYSVOL_FORMAT_FORMAT_ERROR_H_
#define GPOP_SERVICE_BACKENDS_SYSVOL_FORMAT_FORMAT_ERROR_H_

#include <cstddef>
#include <optional>
#include <string_view>

#include "service/core/error.h"

namespace gpop::sysvol {

// CorruptFile
//
// A DATA_LOSS / CORRUPT_FILE error: "<display_path>: <problem>" or, with an offset,
// "<display_path>: <problem> at offset <n>". `display_path` is what the caller wants users to
// see (a path relative to a GPT or backup, never a secret); it may be empty.
core::Error CorruptFile(std::string_view display_path, std::string_view problem,
                        std::optional<size_t> offset = std::nullopt);

}  // namespace gpop::sysvol

#endif  // GPOP_SERVICE_BACKENDS_SYSVOL_FORMAT_FORMAT_ERROR_H_
