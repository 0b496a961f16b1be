#include <gtest/gtest.h>

#include "store/store.h"

namespace store {
namespace {

TEST(AccountsTest, RecordListAndRemoveCreatedAccounts) {
  auto db = Store::Open(":memory:");
  EXPECT_TRUE(db->Accounts().empty());
  db->RecordAccount("bob", 1002);
  db->RecordAccount("alice", 1001);
  db->RecordAccount("alice", 1005);  // re-created: the new uid wins
  std::vector<AccountRecord> accounts = db->Accounts();
  ASSERT_EQ(accounts.size(), 2u);
  EXPECT_EQ(accounts[0].username, "alice");
  EXPECT_EQ(accounts[0].uid, 1005);
  EXPECT_FALSE(accounts[0].created_at.empty());
  EXPECT_EQ(accounts[1].username, "bob");
  db->RemoveAccount("alice");
  db->RemoveAccount("nobody");
  ASSERT_EQ(db->Accounts().size(), 1u);
  EXPECT_EQ(db->Accounts()[0].username, "bob");
}

}  // namespace
}  // namespace store
