// A prepared SQLite statement with bound parameters: the only way store/
// runs SQL that carries values. Internal to store/ (includes sqlite3.h).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace store {

// Throws core::Error "<doing>: <SQLite's message>" with the database path as
// `where`. `code` is the failing result code (picks the fix text).
[[noreturn]] void ThrowSqlite(sqlite3* db, int code, const std::string& doing);

// The file name of the main database of `db`, or ":memory:".
std::string DatabasePath(sqlite3* db);

// Runs SQL without parameters (schema, PRAGMA, BEGIN/COMMIT); throws
// core::Error on failure.
void Exec(sqlite3* db, const std::string& sql);

// Move-only; `db` must outlive it. Every failing call throws core::Error.
// Parameters are 1-based like SQLite's, columns 0-based.
class Statement {
 public:
  Statement(sqlite3* db, const char* sql);

  Statement& Bind(int index, const std::string& value);
  Statement& Bind(int index, const char* value);
  Statement& Bind(int index, int64_t value);
  Statement& Bind(int index, int value) { return Bind(index, int64_t{value}); }
  Statement& Bind(int index, const std::optional<std::string>& value);
  Statement& Bind(int index, const std::optional<int64_t>& value);  // nullopt: NULL

  // Advances: true when a row is ready to read, false when done.
  [[nodiscard]] bool Step();
  // Steps to the end, for statements that return no rows.
  void Run();

  std::string Text(int column) const;  // "" for NULL
  int64_t Int(int column) const;       // 0 for NULL
  bool IsNull(int column) const;

 private:
  struct Finalizer {
    void operator()(sqlite3_stmt* stmt) const noexcept { sqlite3_finalize(stmt); }
  };
  void CheckBind(int code, int index);

  sqlite3* db_;
  std::string sql_;
  std::unique_ptr<sqlite3_stmt, Finalizer> stmt_;
};

}  // namespace store
