// The accounts `worlds users sync` created: its licence to delete them.
#include "store/statement.h"
#include "store/store.h"

namespace store {

void Store::RecordAccount(const std::string& username, int64_t uid) {
  Statement(db_.get(),
            "INSERT INTO accounts (username, uid) VALUES (?1, ?2) "
            "ON CONFLICT (username) DO UPDATE SET uid = excluded.uid, "
            "created_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')")
      .Bind(1, username)
      .Bind(2, uid)
      .Run();
}

std::vector<AccountRecord> Store::Accounts() {
  Statement query(db_.get(),
                  "SELECT username, uid, created_at FROM accounts ORDER BY username");
  std::vector<AccountRecord> accounts;
  while (query.Step()) {
    accounts.push_back(AccountRecord{query.Text(0), query.Int(1), query.Text(2)});
  }
  return accounts;
}

void Store::RemoveAccount(const std::string& username) {
  Statement(db_.get(), "DELETE FROM accounts WHERE username = ?1").Bind(1, username).Run();
}

}  // namespace store
