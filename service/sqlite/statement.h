// A prepared SQLite statement: bind by position (1-based), step, read columns (0-based).

#ifndef GPOP_SERVICE_SQLITE_STATEMENT_H_
#define GPOP_SERVICE_SQLITE_STATEMENT_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

struct sqlite3;
struct sqlite3_stmt;

namespace gpop::sqlite {

// Statement
//
// Owns one sqlite3_stmt; movable. Not thread-safe: use it under the lock that guards its
// Database. Reusable: `Reset` (also done by `Run`) clears the bindings for the next use.
class Statement {
 public:
  Statement() = default;
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~Statement();
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& Bind(int index, int64_t value);
  Statement& Bind(int index, std::string_view text);  // TEXT
  Statement& BindBlob(int index, std::string_view bytes);
  Statement& BindNull(int index);
  // As Bind and BindBlob, without copying: the bytes must stay unchanged until the statement
  // is reset (Run resets it), as for values bound and run in one expression.
  Statement& BindView(int index, std::string_view text);
  Statement& BindBlobView(int index, std::string_view bytes);

  // One step: true with a row to read, false when done. A bind error shows here.
  absl::StatusOr<bool> Step();
  // Steps to the end (for statements without rows) and resets.
  absl::Status Run();
  void Reset();

  int64_t ColumnInt(int index) const;
  std::string ColumnText(int index) const;  // TEXT or BLOB bytes
  bool ColumnIsNull(int index) const;

  // Virtual machine steps run since the statement was prepared: they grow with the rows a
  // query visits, so tests can tell an indexed lookup from a scan.
  int64_t VmSteps() const;

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
  int bind_error_ = 0;
};

}  // namespace gpop::sqlite

#endif  // GPOP_SERVICE_SQLITE_STATEMENT_H_
