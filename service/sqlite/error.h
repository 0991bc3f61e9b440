// SQLite result codes as absl::Status: the one place where a SQLite failure gets its code.

#ifndef GPOP_SERVICE_SQLITE_ERROR_H_
#define GPOP_SERVICE_SQLITE_ERROR_H_

#include <string>

#include "absl/status/status.h"

struct sqlite3;

namespace gpop::sqlite {

// ToStatus
//
// OK for SQLITE_OK, SQLITE_ROW and SQLITE_DONE. Otherwise: SQLITE_FULL -> RESOURCE_EXHAUSTED
// (disk or max_page_count full), SQLITE_BUSY / SQLITE_LOCKED -> UNAVAILABLE, SQLITE_CORRUPT /
// SQLITE_NOTADB -> DATA_LOSS, SQLITE_IOERR / SQLITE_CANTOPEN / SQLITE_READONLY / SQLITE_PERM ->
// UNAVAILABLE, SQLITE_CONSTRAINT -> ALREADY_EXISTS, anything else INTERNAL. The message names
// `what`, SQLite's error text (from `db` when given) and the extended result code.
absl::Status ToStatus(int rc, sqlite3* db, const std::string& what);

}  // namespace gpop::sqlite

#endif  // GPOP_SERVICE_SQLITE_ERROR_H_
