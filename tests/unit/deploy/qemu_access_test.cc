#include "deploy/qemu_access.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "support/error_text.h"
#include "support/temp_dir.h"

namespace deploy {
namespace {

namespace fs = std::filesystem;

// Identities relative to the test's own files (owned by getuid()/getgid()),
// so no root and no chown are needed.
Identity Owner() { return {"owner", ::getuid(), {::getgid()}}; }
Identity GroupMember() { return {"member", ::getuid() + 4242, {54321, ::getgid()}}; }
Identity Other() { return {"other", ::getuid() + 4242, {54321}}; }

class QemuAccessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = temp_.path();
    ::chmod(root_.c_str(), 0755);
    fs::create_directories(root_ + "/state/worlds");
  }
  void Chmod(const std::string& path, mode_t mode) { ASSERT_EQ(::chmod(path.c_str(), mode), 0); }

  support::TempDir temp_{"worlds-qemu-access-"};
  std::string root_;
};

TEST_F(QemuAccessTest, OpenTreeIsReachable) {
  EXPECT_EQ(FirstUnsearchableDir(root_ + "/state/worlds", Other()), std::nullopt);
}

TEST_F(QemuAccessTest, AMktempStylePrivateDirBlocksOthers) {
  Chmod(root_ + "/state", 0700);
  EXPECT_EQ(FirstUnsearchableDir(root_ + "/state/worlds", Other()), root_ + "/state");
  EXPECT_EQ(FirstUnsearchableDir(root_ + "/state/worlds", GroupMember()), root_ + "/state");
  EXPECT_EQ(FirstUnsearchableDir(root_ + "/state/worlds", Owner()), std::nullopt);
}

TEST_F(QemuAccessTest, ClassesGoOwnerThenGroupThenOther) {
  Chmod(root_ + "/state", 0711);
  EXPECT_EQ(FirstUnsearchableDir(root_ + "/state/worlds", Other()), std::nullopt);
  Chmod(root_ + "/state", 0710);
  EXPECT_EQ(FirstUnsearchableDir(root_ + "/state/worlds", GroupMember()), std::nullopt);
  EXPECT_EQ(FirstUnsearchableDir(root_ + "/state/worlds", Other()), root_ + "/state");
  // The owner class decides for the owner even when others may search.
  Chmod(root_ + "/state", 0611);
  EXPECT_EQ(FirstUnsearchableDir(root_ + "/state/worlds", Owner()), root_ + "/state");
  EXPECT_EQ(FirstUnsearchableDir(root_ + "/state/worlds", Other()), std::nullopt);
  // A group member is judged by the group bits, not the other bits.
  Chmod(root_ + "/state", 0701);
  EXPECT_EQ(FirstUnsearchableDir(root_ + "/state/worlds", GroupMember()), root_ + "/state");
  Chmod(root_ + "/state", 0755);
}

TEST_F(QemuAccessTest, NamesTheFirstBlockingDirOnTheWay) {
  Chmod(root_ + "/state/worlds", 0700);
  Chmod(root_ + "/state", 0700);
  EXPECT_EQ(FirstUnsearchableDir(root_ + "/state/worlds/lab/alice", Other()), root_ + "/state");
  Chmod(root_ + "/state", 0755);
  EXPECT_EQ(FirstUnsearchableDir(root_ + "/state/worlds/lab/alice", Other()),
            root_ + "/state/worlds");
}

TEST_F(QemuAccessTest, DirsNotMadeYetAreNotJudged) {
  EXPECT_EQ(FirstUnsearchableDir(root_ + "/state/new/worlds", Other()), std::nullopt);
  Chmod(root_ + "/state", 0700);
  EXPECT_EQ(FirstUnsearchableDir(root_ + "/state/new/worlds", Other()), root_ + "/state");
  Chmod(root_ + "/state", 0755);
}

// A POSIX access ACL written as the kernel stores it (what `setfacl -m
// u:UID:x` does): version 2, then {tag, perm, id} entries.
bool SetAcl(const std::string& dir, const std::vector<std::array<uint32_t, 3>>& entries) {
  std::string value(4, '\0');
  uint32_t version = 2;
  std::memcpy(value.data(), &version, 4);
  for (const auto& [tag, perm, id] : entries) {
    char entry[8];
    uint16_t t = tag, p = perm;
    std::memcpy(entry, &t, 2);
    std::memcpy(entry + 2, &p, 2);
    std::memcpy(entry + 4, &id, 4);
    value.append(entry, 8);
  }
  return ::setxattr(dir.c_str(), "system.posix_acl_access", value.data(), value.size(), 0) == 0;
}

TEST_F(QemuAccessTest, APosixAclDecidesWhenThereIsOne) {
  const std::string state = root_ + "/state";
  const uint32_t other_uid = Other().uid;
  // rwx------ plus user:<other>:--x, mask --x: like `setfacl -m u:other:x`.
  if (!SetAcl(state, {{0x01, 7, 0}, {0x02, 1, other_uid}, {0x04, 0, 0}, {0x10, 1, 0},
                      {0x20, 0, 0}})) {
    GTEST_SKIP() << "this filesystem takes no POSIX ACL: " << std::strerror(errno);
  }
  EXPECT_EQ(FirstUnsearchableDir(state + "/worlds", Other()), std::nullopt);
  EXPECT_EQ(FirstUnsearchableDir(state + "/worlds", GroupMember()), std::nullopt)
      << "same uid as Other: the named user entry applies";
  Identity stranger{"stranger", other_uid + 1, {54321}};
  EXPECT_EQ(FirstUnsearchableDir(state + "/worlds", stranger), state);
  // The mask takes the named entry's x away.
  ASSERT_TRUE(SetAcl(state, {{0x01, 7, 0}, {0x02, 1, other_uid}, {0x04, 0, 0}, {0x10, 0, 0},
                             {0x20, 0, 0}}));
  EXPECT_EQ(FirstUnsearchableDir(state + "/worlds", Other()), state);
  // A named group grants its members.
  ASSERT_TRUE(SetAcl(state, {{0x01, 7, 0}, {0x04, 0, 0}, {0x08, 1, 54321}, {0x10, 1, 0},
                             {0x20, 0, 0}}));
  EXPECT_EQ(FirstUnsearchableDir(state + "/worlds", stranger), std::nullopt);
  ::removexattr(state.c_str(), "system.posix_acl_access");
  Chmod(state, 0755);
}

TEST(QemuUserTest, FromQemuConfWithDebiansDefault) {
  EXPECT_EQ(QemuUserFromConf(""), "libvirt-qemu");
  EXPECT_EQ(QemuUserFromConf("#user = \"root\"\n# user = \"x\"\n"), "libvirt-qemu");
  EXPECT_EQ(QemuUserFromConf("user = \"qemu\"\ngroup = \"kvm\"\n"), "qemu");
  EXPECT_EQ(QemuUserFromConf("  user=\"+64055\"\n"), "+64055");
}

TEST(QemuUserTest, OnlySystemUrisRunQemuAsItsOwnUser) {
  EXPECT_TRUE(QemuRunsAsItsOwnUser("qemu:///system"));
  EXPECT_TRUE(QemuRunsAsItsOwnUser("qemu+ssh://host/system"));
  EXPECT_TRUE(QemuRunsAsItsOwnUser("qemu:///system?socket=/run/x.sock"));
  EXPECT_FALSE(QemuRunsAsItsOwnUser("qemu:///session"));
  EXPECT_FALSE(QemuRunsAsItsOwnUser("test:///default"));
}

TEST(QemuUserTest, CheckNamesTheDirAndTheFix) {
  support::TempDir temp{"worlds-qemu-check-"};  // mode 0700, like mktemp -d
  std::string conf = temp.File("qemu.conf");
  // Someone other than us, so the private dir blocks them (nobody exists on
  // Debian; skip where it does not).
  std::optional<Identity> nobody = LookUpIdentity("nobody");
  if (!nobody || nobody->uid == ::getuid()) GTEST_SKIP() << "needs a user 'nobody' other than us";
  std::ofstream(conf) << "user = \"nobody\"\n";
  std::string state = temp.path() + "/state";
  const core::Error e = support::ThrownError(
      [&] { CheckQemuCanReach("qemu:///system", {state + "/worlds"}, conf); });
  EXPECT_EQ(e.where(), temp.path());
  EXPECT_EQ(e.message(), "QEMU runs as nobody (" + conf + "), which cannot enter " + temp.path() +
                             " on the way to " + state + "/worlds: every VM would fail to start "
                             "with \"Cannot access storage file ... Permission denied\"");
  EXPECT_EQ(e.fix(), "chmod o+x " + temp.path() + " (or let nobody search it), or use a state "
                     "dir QEMU can reach, e.g. --state-dir /var/lib/worlds");
  // A session URI runs QEMU as the caller: nothing to check.
  CheckQemuCanReach("qemu:///session", {state + "/worlds"}, conf);
}

}  // namespace
}  // namespace deploy
