#include "core/failpoint.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

namespace core {
namespace {

// Runs FailPoint(name) `times` times in a child whose WORLDS_FAILPOINT is
// `armed` (nullptr: unset); returns how many calls returned before the
// child died, and whether it died by SIGKILL.
std::pair<int, bool> RunChild(const char* armed, const char* name, int times) {
  int fds[2];
  EXPECT_EQ(::pipe(fds), 0);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    if (armed) ::setenv("WORLDS_FAILPOINT", armed, 1); else ::unsetenv("WORLDS_FAILPOINT");
    for (int i = 0; i < times; ++i) {
      FailPoint(name);
      char byte = 'x';
      if (::write(fds[1], &byte, 1) != 1) ::_exit(3);
    }
    ::_exit(0);
  }
  ::close(fds[1]);
  int passed = 0;
  char byte;
  while (::read(fds[0], &byte, 1) == 1) ++passed;
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return {passed, WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL};
}

TEST(FailPointTest, UnarmedPointsPass) {
  EXPECT_EQ(RunChild(nullptr, "deploy-record", 5), std::make_pair(5, false));
  EXPECT_EQ(RunChild("", "deploy-record", 5), std::make_pair(5, false));
}

TEST(FailPointTest, ArmedPointKillsOnFirstHit) {
  EXPECT_EQ(RunChild("deploy-record", "deploy-record", 5), std::make_pair(0, true));
}

TEST(FailPointTest, ArmedPointKillsOnTheNthHit) {
  EXPECT_EQ(RunChild("deploy-record@3", "deploy-record", 5), std::make_pair(2, true));
  EXPECT_EQ(RunChild("deploy-record@0", "deploy-record", 5), std::make_pair(0, true));
}

TEST(FailPointTest, OtherPointsAreNotAffected) {
  EXPECT_EQ(RunChild("store-commit", "deploy-record", 4), std::make_pair(4, false));
  EXPECT_EQ(RunChild("deploy", "deploy-record", 4), std::make_pair(4, false));
}

}  // namespace
}  // namespace core
