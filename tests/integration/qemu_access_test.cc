// Issue 12 item 7: a state dir QEMU's user cannot enter (a `mktemp -d`
// directory, mode 0700) is refused by `worlds deploy` before anything is
// made, with the directory and the fix; it used to deploy and then fail on
// the first start with libvirt's "Cannot access storage file ... Permission
// denied".
#include <sys/stat.h>

#include <filesystem>
#include <iostream>

#include "integration/deploy_fixture.h"

namespace {

class DeployQemuAccessTest : public it::DeployTest {
 protected:
  std::string Name() const override { return "qemuaccess"; }
};

TEST_F(DeployQemuAccessTest, StateDirQemuCannotEnterIsRefusedBeforeAnythingIsMade) {
  ASSERT_EQ(::chmod(dir_.c_str(), 0700), 0);  // what mktemp -d makes
  it::Run deploy = Deploy();
  std::cout << "worlds deploy into a 0700 dir: exit " << deploy.code << ", stderr: " << deploy.err;
  EXPECT_EQ(deploy.code, 3) << deploy.out << deploy.err;
  EXPECT_NE(deploy.err.find("which cannot enter " + dir_ + " on the way to " + state_dir_ +
                            "/worlds"),
            std::string::npos)
      << deploy.err;
  EXPECT_NE(deploy.err.find("chmod o+x " + dir_), std::string::npos) << deploy.err;
  EXPECT_FALSE(std::filesystem::exists(state_dir_)) << "no state dir, no state.db";
  EXPECT_TRUE(Domains().empty());
}

}  // namespace
