#include "deploy/lock.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <set>
#include <thread>

#include "core/error.h"
#include "core/names.h"
#include "support/error_text.h"
#include "support/temp_dir.h"

namespace deploy {
namespace {

TEST(StateLockTest, SecondHolderIsRefusedWithWhoHoldsIt) {
  support::TempDir temp("worlds-lock-test-");
  const std::string& dir = temp.path();
  {
    StateLock first(dir, "worlds deploy");
    core::Error e = support::ThrownError([&] { StateLock second(dir, "worlds deploy"); });
    EXPECT_EQ(e.message(),
              "another worlds command is already changing this state dir (pid " +
                  std::to_string(::getpid()) + ": worlds deploy)");
    EXPECT_EQ(e.where(), dir);
    EXPECT_EQ(e.fix(), "wait for it to finish, then run worlds deploy again");
  }
  StateLock again(dir, "worlds destroy");  // released with its holder
}

}  // namespace
}  // namespace deploy

namespace deploy {
namespace {

class WorldLockTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = temp_.path();
  }

  std::string SharedRefusal(const std::string& owner) {
    try {
      WorldLock lock(dir_, "net101", owner, WorldLock::Mode::kShared, "");
    } catch (const WorldBusy& e) {
      return e.Describe();
    }
    return "granted";
  }

  support::TempDir temp_{"worlds-world-lock-test-"};
  std::string dir_;
};

TEST_F(WorldLockTest, TheLockFileIsPerWorldOutsideTheOverlays) {
  EXPECT_EQ(core::WorldLockPath("/var/lib/worlds", "net101", "alice"),
            "/var/lib/worlds/locks/net101/alice.lock");
}

TEST_F(WorldLockTest, ADeployRefusesActionsOnItsWorldsOnlyAndNamesItself) {
  {
    WorldLocks held = LockWorlds(dir_, "net101", std::set<std::string>{"alice", "bob"},
                                 "worlds deploy");
    const std::string pid = std::to_string(::getpid());
    EXPECT_EQ(SharedRefusal("alice"), "the World of 'alice' in lab 'net101' is being changed by "
                                      "pid " + pid + ": worlds deploy; try again when it finishes");
    EXPECT_EQ(SharedRefusal("bob"), "the World of 'bob' in lab 'net101' is being changed by pid " +
                                        pid + ": worlds deploy; try again when it finishes");
    EXPECT_EQ(SharedRefusal("carol"), "granted") << "carol's World is not being changed";
  }
  EXPECT_EQ(SharedRefusal("alice"), "granted") << "released with the deploy";
}

TEST_F(WorldLockTest, ActionsShareAWorldAndADeployWaitsForThemThenGivesUp) {
  WorldLock first(dir_, "net101", "alice", WorldLock::Mode::kShared, "");
  WorldLock second(dir_, "net101", "alice", WorldLock::Mode::kShared, "");
  try {
    WorldLock deploy(dir_, "net101", "alice", WorldLock::Mode::kExclusive, "worlds destroy",
                     std::chrono::milliseconds(100));
    FAIL() << "an exclusive lock was granted beside shared ones";
  } catch (const WorldBusy& e) {
    EXPECT_EQ(e.message(),
              "an action on a VM of the World of 'alice' in lab 'net101' did not finish within "
              "0 s");
    EXPECT_EQ(e.where(), core::WorldLockPath(dir_, "net101", "alice"));
    EXPECT_EQ(e.fix(), "see `worlds events` for what runs on it, then run worlds destroy again");
  }
}

TEST_F(WorldLockTest, ADeployGetsTheWorldOnceTheActionInFlightEnds) {
  auto action = std::make_unique<WorldLock>(dir_, "net101", "alice", WorldLock::Mode::kShared, "");
  std::thread finish([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    action.reset();
  });
  WorldLocks held = LockWorlds(dir_, "net101", std::vector<core::World>{{"net101", "alice", 1}},
                               "worlds deploy");
  finish.join();
  EXPECT_EQ(held.size(), 1u);
  EXPECT_NE(SharedRefusal("alice"), "granted");
}

}  // namespace
}  // namespace deploy
