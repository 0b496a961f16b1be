#include "deploy/lock.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>

#include "core/error.h"

namespace deploy {
namespace {

TEST(StateLockTest, SecondHolderIsRefusedWithWhoHoldsIt) {
  std::string dir = std::filesystem::temp_directory_path() /
                    ("worlds-lock-test-" + std::to_string(::getpid()));
  {
    StateLock first(dir, "worlds deploy");
    try {
      StateLock second(dir, "worlds deploy");
      FAIL() << "a second lock was granted";
    } catch (const core::Error& e) {
      EXPECT_EQ(e.message(),
                "another worlds command is already changing this state dir (pid " +
                    std::to_string(::getpid()) + ": worlds deploy)");
      EXPECT_EQ(e.where(), dir);
      EXPECT_EQ(e.fix(), "wait for it to finish, then run worlds deploy again");
    }
  }
  StateLock again(dir, "worlds destroy");  // released with its holder
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace deploy
