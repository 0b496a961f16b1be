// Reading the roster's users back (the broker maps a caller to a group).
#include "store/statement.h"
#include "store/store.h"

namespace store {

std::optional<UserRecord> Store::FindUser(const std::string& username) {
  Statement query(db_.get(), "SELECT username, full_name, grp FROM users WHERE username = ?1");
  query.Bind(1, username);
  if (!query.Step()) return std::nullopt;
  return UserRecord{query.Text(0), query.Text(1), query.Text(2)};
}

}  // namespace store
