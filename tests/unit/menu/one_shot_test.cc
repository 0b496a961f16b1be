#include "menu/one_shot.h"

#include <gtest/gtest.h>

#include <sstream>

#include "unit/menu/fake_backend.h"

namespace menu {
namespace {

class OneShotTest : public ::testing::Test {
 protected:
  OneShotTest() { backend_.vms = {Vm("netlab", "alice", "router", "shut off")}; }
  int Run(broker::Op op, bool yes, int answer) {
    return RunOneShot(backend_, op, "w-netlab-alice-router", yes, [answer] { return answer; },
                      out_, err_);
  }
  FakeBackend backend_;
  std::ostringstream out_, err_;
};

TEST_F(OneShotTest, StartPrintsTheResult) {
  EXPECT_EQ(Run(broker::Op::kStart, false, 'n'), 0);
  EXPECT_EQ(out_.str(), "router: started (running)\n");
  EXPECT_EQ(err_.str(), "");
}

TEST_F(OneShotTest, RefusalGoesToStderr) {
  backend_.errors["w-netlab-alice-router"] = "you do not own w-netlab-alice-router";
  EXPECT_EQ(Run(broker::Op::kPowerOff, false, 'n'), 1);
  EXPECT_EQ(err_.str(), "router: you do not own w-netlab-alice-router\n");
}

TEST_F(OneShotTest, RevertAsksAndOnlyYProceeds) {
  EXPECT_EQ(Run(broker::Op::kRevert, false, 'n'), 1);
  EXPECT_EQ(out_.str(),
            "Revert router to its clean snapshot? Everything written to this VM since it was "
            "deployed will be lost. Type y to confirm, any other key cancels.\n");
  EXPECT_EQ(err_.str(), "router: revert cancelled.\n");
  EXPECT_EQ(Run(broker::Op::kRevert, false, EOF), 1);
  EXPECT_EQ(backend_.calls, (std::vector<std::string>{"list", "list"}));
  EXPECT_EQ(Run(broker::Op::kRevert, false, 'y'), 0);
  EXPECT_EQ(backend_.calls.back(), "revert w-netlab-alice-router");
}

TEST_F(OneShotTest, RevertWithYesDoesNotAsk) {
  EXPECT_EQ(Run(broker::Op::kRevert, true, 'n'), 0);
  EXPECT_EQ(out_.str(), "router: reverted to its clean snapshot (shut off)\n");
}

TEST_F(OneShotTest, UnreachableBroker) {
  backend_.unreachable = true;
  EXPECT_EQ(Run(broker::Op::kStart, false, 'n'), 1);
  EXPECT_EQ(err_.str(),
            "The Worlds service is not available right now (cannot reach the broker). Try "
            "again later.\n");
}

}  // namespace
}  // namespace menu
