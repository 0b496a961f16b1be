#include <gtest/gtest.h>

#include "store/store.h"

namespace store {
namespace {

TEST(UsersTest, FindUserReturnsTheRosterRowOrNothing) {
  auto db = Store::Open(":memory:");
  db->UpsertUser("alice", "Alice Martin", "lab-a");
  db->UpsertUser("alice", "Alice Martin", "lab-b");  // a later roster wins
  std::optional<UserRecord> alice = db->FindUser("alice");
  ASSERT_TRUE(alice.has_value());
  EXPECT_EQ(alice->username, "alice");
  EXPECT_EQ(alice->full_name, "Alice Martin");
  EXPECT_EQ(alice->group, "lab-b");
  EXPECT_EQ(db->FindUser("mallory"), std::nullopt);
  EXPECT_EQ(db->FindUser("ALICE"), std::nullopt);
}

}  // namespace
}  // namespace store
