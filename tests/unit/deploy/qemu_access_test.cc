#include "deploy/qemu_access.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

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
