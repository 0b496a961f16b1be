#include "store/statement.h"

#include <cerrno>
#include <cstring>

#include "core/error.h"

namespace store {

std::string DatabasePath(sqlite3* db) {
  const char* name = sqlite3_db_filename(db, "main");
  return (name == nullptr || *name == '\0') ? ":memory:" : name;
}

void ThrowSqlite(sqlite3* db, int code, const std::string& doing) {
  std::string fix;
  switch (code & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      fix = "another worlds process is holding the database; retry when it is done";
      break;
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
      fix = "check that the state directory exists and is writable by this user";
      break;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      fix = "restore the state database from a backup";
      break;
    case SQLITE_FULL:
      fix = "free disk space";
      break;
    default:
      break;
  }
  std::string message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(code);
  // SQLite reports a failed write of its -shm or -wal file as "disk I/O
  // error"; the errno behind it ("No space left on device" when the state
  // dir is full) is what a user can act on.
  int os_error = db != nullptr ? sqlite3_system_errno(db) : 0;
  if (os_error != 0 && ((code & 0xff) == SQLITE_IOERR || (code & 0xff) == SQLITE_FULL ||
                        (code & 0xff) == SQLITE_CANTOPEN)) {
    message += std::string(" (") + std::strerror(os_error) + ")";
    if (os_error == ENOSPC || os_error == EDQUOT) fix = "free disk space";
  }
  throw core::Error(doing + ": " + message, db != nullptr ? DatabasePath(db) : "",
                    fix);
}

void Exec(sqlite3* db, const std::string& sql) {
  int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) ThrowSqlite(db, rc, "SQL failed (" + sql.substr(0, 60) + ")");
}

Statement::Statement(sqlite3* db, const char* sql) : db_(db), sql_(sql) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db, sql, -1, &raw, nullptr);
  stmt_.reset(raw);
  if (rc != SQLITE_OK) ThrowSqlite(db, rc, "cannot prepare SQL (" + sql_ + ")");
}

void Statement::CheckBind(int code, int index) {
  if (code != SQLITE_OK) {
    ThrowSqlite(db_, code,
                "cannot bind parameter " + std::to_string(index) + " of (" + sql_ + ")");
  }
}

Statement& Statement::Bind(int index, const std::string& value) {
  // SQLITE_TRANSIENT: SQLite copies, so temporaries are safe to pass.
  CheckBind(sqlite3_bind_text(stmt_.get(), index, value.data(),
                              static_cast<int>(value.size()), SQLITE_TRANSIENT),
            index);
  return *this;
}

Statement& Statement::Bind(int index, const char* value) {
  return Bind(index, std::string(value));
}

Statement& Statement::Bind(int index, int64_t value) {
  CheckBind(sqlite3_bind_int64(stmt_.get(), index, value), index);
  return *this;
}

Statement& Statement::Bind(int index, const std::optional<std::string>& value) {
  if (value) return Bind(index, *value);
  CheckBind(sqlite3_bind_null(stmt_.get(), index), index);
  return *this;
}

Statement& Statement::Bind(int index, const std::optional<int64_t>& value) {
  if (value) return Bind(index, *value);
  CheckBind(sqlite3_bind_null(stmt_.get(), index), index);
  return *this;
}

bool Statement::Step() {
  int rc = sqlite3_step(stmt_.get());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  ThrowSqlite(db_, rc, "SQL failed (" + sql_ + ")");
}

void Statement::Run() {
  while (Step()) {
  }
}

std::string Statement::Text(int column) const {
  const unsigned char* text = sqlite3_column_text(stmt_.get(), column);
  if (text == nullptr) return {};
  int size = sqlite3_column_bytes(stmt_.get(), column);
  return std::string(reinterpret_cast<const char*>(text), static_cast<size_t>(size));
}

int64_t Statement::Int(int column) const {
  return sqlite3_column_int64(stmt_.get(), column);
}

bool Statement::IsNull(int column) const {
  return sqlite3_column_type(stmt_.get(), column) == SQLITE_NULL;
}

}  // namespace store
