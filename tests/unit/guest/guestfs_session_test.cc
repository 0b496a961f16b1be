#include "guest/guestfs_session.h"

#include <gtest/gtest.h>

namespace guest {
namespace {

TEST(IsPartitionOfTest, RequiresOnlyDigitsAfterTheDevice) {
  EXPECT_TRUE(IsPartitionOf("/dev/sda1", "/dev/sda"));
  EXPECT_TRUE(IsPartitionOf("/dev/sdb12", "/dev/sdb"));
  // With more than 26 disks, /dev/sdaa follows /dev/sdz.
  EXPECT_FALSE(IsPartitionOf("/dev/sdaa1", "/dev/sda"));
  EXPECT_FALSE(IsPartitionOf("/dev/sda", "/dev/sda"));
  EXPECT_FALSE(IsPartitionOf("/dev/sdb1", "/dev/sda"));
}

}  // namespace
}  // namespace guest
