#include "broker/identity.h"

#include <gtest/gtest.h>

namespace broker {
namespace {

Caller Make(const std::string& user, bool admin, std::optional<std::string> group) {
  Caller caller;
  caller.identity = {1001, user, admin};
  if (group) caller.roster = store::UserRecord{user, "", *group};
  return caller;
}

store::VmRecord Vm(const std::string& owner) {
  store::VmRecord vm;
  vm.lab = "netlab";
  vm.owner = owner;
  vm.vm = "router";
  vm.domain = "w-netlab-" + owner + "-router";
  return vm;
}

TEST(IdentityTest, OwnerMayActOnTheirVm) {
  Caller alice = Make("alice", false, "lab-a");
  EXPECT_EQ(RefuseCaller(alice), std::nullopt);
  EXPECT_TRUE(MayActOn(alice, "alice"));
  EXPECT_EQ(RefuseVm(alice, "w-netlab-alice-router", Vm("alice")), std::nullopt);
}

TEST(IdentityTest, NonOwnerIsRefusedWithoutLearningWhatExists) {
  Caller alice = Make("alice", false, "lab-a");
  EXPECT_FALSE(MayActOn(alice, "bob"));
  EXPECT_EQ(RefuseVm(alice, "w-netlab-bob-router", Vm("bob")),
            "'w-netlab-bob-router' is not one of alice's VMs");
  EXPECT_EQ(RefuseVm(alice, "w-netlab-zed-router", std::nullopt),
            "'w-netlab-zed-router' is not one of alice's VMs");
}

TEST(IdentityTest, GroupMembersShareTheirGroupsWorld) {
  Caller alice = Make("alice", false, "lab-a");
  Caller bob = Make("bob", false, "lab-b");
  EXPECT_TRUE(MayActOn(alice, "lab-a"));
  EXPECT_EQ(RefuseVm(alice, "w-netlab-lab-a-router", Vm("lab-a")), std::nullopt);
  EXPECT_EQ(RefuseVm(bob, "w-netlab-lab-a-router", Vm("lab-a")),
            "'w-netlab-lab-a-router' is not one of bob's VMs");
  Caller loner = Make("dave", false, "");  // no group: an empty owner is nobody's
  EXPECT_FALSE(MayActOn(loner, ""));
}

TEST(IdentityTest, AdminMayActOnAnyVmEvenOutsideTheRoster) {
  Caller admin = Make("teacher", true, std::nullopt);
  EXPECT_EQ(RefuseCaller(admin), std::nullopt);
  EXPECT_TRUE(MayActOn(admin, "bob"));
  EXPECT_EQ(RefuseVm(admin, "w-netlab-bob-router", Vm("bob")), std::nullopt);
  EXPECT_EQ(RefuseVm(admin, "w-netlab-zed-router", std::nullopt),
            "'w-netlab-zed-router' is not a Worlds VM");
}

TEST(IdentityTest, UnknownUsersAndUidsHaveNoWorlds) {
  Caller stranger = Make("mallory", false, std::nullopt);
  EXPECT_EQ(RefuseCaller(stranger), "user 'mallory' has no Worlds");
  EXPECT_FALSE(MayActOn(stranger, "mallory"));
  EXPECT_EQ(RefuseVm(stranger, "w-netlab-mallory-router", Vm("mallory")),
            "user 'mallory' has no Worlds");
  Caller ghost;
  ghost.identity = {4242, "", true};  // admin bit means nothing without a name
  EXPECT_EQ(RefuseCaller(ghost), "uid 4242 has no Worlds (no such user on this host)");
  EXPECT_FALSE(MayActOn(ghost, ""));
  EXPECT_EQ(ActorName(ghost.identity), "uid 4242");
}

TEST(IdentityTest, SystemIdentityReadsTheHost) {
  Identity root = SystemIdentity("no-such-group-xyz")(0);
  EXPECT_EQ(root.uid, 0);
  EXPECT_EQ(root.user, "root");
  EXPECT_TRUE(root.admin);  // root always
  Identity nobody = SystemIdentity("no-such-group-xyz")(65534);
  EXPECT_EQ(nobody.user, "nobody");
  EXPECT_FALSE(nobody.admin);
  // nobody's primary group is nogroup on Debian: membership counts.
  EXPECT_TRUE(SystemIdentity("nogroup")(65534).admin);
  Identity ghost = SystemIdentity("nogroup")(4242424);
  EXPECT_EQ(ghost.user, "");
  EXPECT_FALSE(ghost.admin);
}

}  // namespace
}  // namespace broker
