#include "core/names.h"

#include <gtest/gtest.h>

namespace core {
namespace {

TEST(NamesTest, DomainAndNetworkNamesFollowTheScheme) {
  EXPECT_EQ(DomainName("netlab", "alice", "web"), "w-netlab-alice-web");
  EXPECT_EQ(NetworkName("netlab", "alice", "lan"), "w-netlab-alice-lan");
}

TEST(NamesTest, WorldPartitionIsOnePerWorldAndUnambiguous) {
  EXPECT_EQ(WorldPartition("netlab", "alice"), "/machine/worlds/netlab_alice");
  // With '-' these two Worlds would share "/machine/worlds/a-b-c".
  EXPECT_NE(WorldPartition("a-b", "c"), WorldPartition("a", "b-c"));
  EXPECT_EQ(WorldPartition("a-b", "c_d"), "/machine/worlds/a-b_c_d");
}

TEST(NamesTest, BridgeNamesFitLinuxLimitAndDiffer) {
  std::string a = BridgeName("netlab", "alice", "lan");
  std::string b = BridgeName("netlab", "bob", "lan");
  EXPECT_LE(a.size(), 15u);
  EXPECT_EQ(a.size(), 15u);
  EXPECT_NE(a, b);
  EXPECT_EQ(a, BridgeName("netlab", "alice", "lan"));
}

TEST(NamesTest, NamePatternsRejectHostileNames) {
  EXPECT_TRUE(IsValidName("netlab"));
  EXPECT_TRUE(IsValidName("web-1"));
  for (const char* bad : {"", "Web", "1web", "a b", "a/b", "..", "a'b", "a\"b",
                          "a<b", "a&b", "a\nb", "caf\xc3\xa9"}) {
    EXPECT_FALSE(IsValidName(bad)) << bad;
    EXPECT_FALSE(IsValidUserName(bad)) << bad;
  }
  EXPECT_TRUE(IsValidUserName("alice_2"));
  EXPECT_FALSE(IsValidName(std::string(21, 'a')));
  EXPECT_TRUE(IsValidName(std::string(20, 'a')));
  EXPECT_FALSE(IsValidUserName(std::string(33, 'a')));
  EXPECT_TRUE(IsValidUserName(std::string(32, 'a')));
}

TEST(NamesTest, ExpandPatternReplacesKnownAndReportsUnknown) {
  std::map<std::string, std::string> vars = {{"owner", "alice"}, {"index", "3"}};
  EXPECT_EQ(ExpandPattern("10.0.{index}.1", vars), "10.0.3.1");
  std::string unknown;
  EXPECT_FALSE(ExpandPattern("{user}-x", vars, &unknown));
  EXPECT_EQ(unknown, "{user}");
  EXPECT_FALSE(ExpandPattern("{owner", vars, &unknown));
}

TEST(NamesTest, SpellcheckSuggestsCloseWords) {
  EXPECT_EQ(Spellcheck("memroy", {"memory", "vcpus", "image"}), "memory");
  EXPECT_EQ(Spellcheck("zzzzzzzz", {"memory", "vcpus"}), "");
}

TEST(NamesTest, MacAddressesAreStableAndLocal) {
  EXPECT_EQ(MacAddress("w-a-b-c", 0), MacAddress("w-a-b-c", 0));
  EXPECT_NE(MacAddress("w-a-b-c", 0), MacAddress("w-a-b-c", 1));
  EXPECT_EQ(MacAddress("w-a-b-c", 0).substr(0, 9), "52:54:00:");
}

}  // namespace
}  // namespace core
