// Replacing a small file in one step, as both platforms allow: POSIX rename() replaces an
// existing target, Windows' rename() refuses one (MoveFileExW does it).

#ifndef GPOP_SERVICE_PLATFORM_FILES_H_
#define GPOP_SERVICE_PLATFORM_FILES_H_

#include <string>
#include <string_view>

#include "service/core/error.h"

namespace gpop::platform {

// RenameOver
//
// Moves the file `from` over `to` (UTF-8 paths on the same volume), replacing `to` if it exists,
// so that a reader of `to` sees the old file or the new one, never a missing or partial one:
// rename() on POSIX; MoveFileExW(MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH) on Windows.
// An IO_ERROR naming both paths and the system's reason when it cannot.
core::Status RenameOver(const std::string& from, const std::string& to);

// WriteFileAtomically
//
// Writes `bytes` to "`path`.tmp", flushes it, then moves it over `path` (RenameOver). With
// `owner_only` the temporary file is made owner read/write (POSIX permissions) before anything
// is written into it; on Windows the folder's ACL applies. On failure `path` is unchanged and an
// IO_ERROR says what failed.
core::Status WriteFileAtomically(const std::string& path, std::string_view bytes,
                                 bool owner_only = false);

}  // namespace gpop::platform

#endif  // GPOP_SERVICE_PLATFORM_FILES_H_
