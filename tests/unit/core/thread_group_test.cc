#include "core/thread_group.h"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>

#include "core/error.h"

namespace core {
namespace {

TEST(ThreadGroupTest, AThrowingThreadIsKeptNotTerminateAndTheOthersFinish) {
  std::atomic<int> finished{0};
  ThreadGroup group;
  group.Spawn([&] { throw Error("cannot record event", "/var/lib/worlds/state.db"); });
  for (int i = 0; i < 3; ++i) group.Spawn([&] { ++finished; });
  group.Join();
  EXPECT_EQ(finished.load(), 3);
  ASSERT_EQ(group.errors().size(), 1u);
  try {
    group.RethrowFirst();
    ADD_FAILURE() << "the thread's error was lost";
  } catch (const Error& e) {
    EXPECT_EQ(e.Describe(), "/var/lib/worlds/state.db: cannot record event");
  }
}

TEST(ThreadGroupTest, LeavingTheScopeEarlyJoinsEveryThread) {
  std::atomic<int> finished{0};
  try {
    ThreadGroup group;
    for (int i = 0; i < 4; ++i) group.Spawn([&] { ++finished; });
    throw std::runtime_error("the owner fails before Join");
  } catch (const std::runtime_error&) {
    // Reaching here at all is the point: no joinable std::thread was destroyed.
    EXPECT_EQ(finished.load(), 4);
  }
}

}  // namespace
}  // namespace core
