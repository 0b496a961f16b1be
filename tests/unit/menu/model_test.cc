#include "menu/model.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "unit/menu/fake_backend.h"

namespace menu {
namespace {

class MenuModelTest : public ::testing::Test {
 protected:
  MenuModelTest() : model_(backend_, "alice") {
    backend_.vms = {Vm("netlab", "alice", "router", "shut off"),
                    Vm("netlab", "alice", "client", "running")};
  }

  // What the view does with a key: the slow action runs right after.
  Effect Press(int key) {
    Effect effect = model_.HandleKey(key);
    if (effect.kind == Effect::kAct) model_.Perform(effect);
    return effect;
  }

  std::string Screen(int width = 80, int height = 24) {
    std::string text;
    for (const std::string& line : model_.Render(width, height).lines) text += line + "\n";
    return text;
  }

  FakeBackend backend_;
  MenuModel model_;
};

TEST_F(MenuModelTest, ShowsOnlyWhatTheBackendListsSortedByWorld) {
  ASSERT_TRUE(model_.Refresh());
  Frame frame = model_.Render(80, 24);
  ASSERT_EQ(frame.lines.size(), 24u);
  EXPECT_EQ(frame.lines[0], "Worlds - alice");
  EXPECT_EQ(frame.lines[2], "  #  Lab     VM      State");
  EXPECT_EQ(frame.lines[3], "> 1  netlab  client  running");
  EXPECT_EQ(frame.lines[4], "  2  netlab  router  shut off");
  EXPECT_EQ(frame.lines[5], "");
  EXPECT_EQ(frame.highlight, 3);
  EXPECT_EQ(frame.lines[21], "Actions: c console  s start  d shut down  p power off  v revert to clean");
  EXPECT_EQ(frame.lines[22], "Up/Down or 1-9 select, Enter actions, r refresh, q quit");
  EXPECT_EQ(frame.lines[23], "");
  EXPECT_EQ(Screen().find("bob"), std::string::npos);
}

TEST_F(MenuModelTest, ShowsTheLabsScheduleAndWhyWorldsStoppedAVm) {
  for (broker::VmView& vm : backend_.vms) vm.lab_state = "closed until Mon 09:00 CST";
  backend_.vms[0].note = "shut down at 11:50 CST: the lab closed";
  ASSERT_TRUE(model_.Refresh());
  Frame frame = model_.Render(100, 24);
  EXPECT_EQ(frame.lines[4],
            "  2  netlab  router  shut off (shut down at 11:50 CST: the lab closed)");
  EXPECT_EQ(frame.lines[5], "");
  EXPECT_EQ(frame.lines[6], "Lab netlab: closed until Mon 09:00 CST") << "once per lab";
  EXPECT_EQ(frame.lines[7], "");
}

TEST_F(MenuModelTest, ShowsOwnersWhenTheListHasSeveral) {
  backend_.vms.push_back(Vm("netlab", "bob", "router", "running"));
  ASSERT_TRUE(model_.Refresh());
  Frame frame = model_.Render(80, 24);
  EXPECT_EQ(frame.lines[2], "  #  Lab     Owner  VM      State");
  EXPECT_EQ(frame.lines[5], "  3  netlab  bob    router  running");
}

TEST_F(MenuModelTest, ArrowsAndNumbersSelect) {
  ASSERT_TRUE(model_.Refresh());
  Press(kKeyDown);
  EXPECT_EQ(model_.selected(), 1);
  Press(kKeyDown);
  EXPECT_EQ(model_.selected(), 1);
  Press(kKeyUp);
  Press(kKeyUp);
  EXPECT_EQ(model_.selected(), 0);
  Press('2');
  EXPECT_EQ(model_.selected(), 1);
  Press('9');  // no 9th VM: stays
  EXPECT_EQ(model_.selected(), 1);
  EXPECT_EQ(model_.Render(80, 24).highlight, 4);
  EXPECT_EQ(backend_.calls, std::vector<std::string>{"list"});
}

TEST_F(MenuModelTest, SelectionFollowsTheDomainAcrossRefreshes) {
  ASSERT_TRUE(model_.Refresh());
  Press('2');  // router
  backend_.vms.push_back(Vm("alab", "alice", "x", "running"));  // sorts first
  ASSERT_TRUE(model_.Refresh());
  EXPECT_EQ(model_.vms()[model_.selected()].vm, "router");
}

TEST_F(MenuModelTest, StartShowsTheResultAndRefreshes) {
  ASSERT_TRUE(model_.Refresh());
  Press('2');
  Effect effect = model_.HandleKey('s');
  EXPECT_EQ(effect.kind, Effect::kAct);
  EXPECT_EQ(model_.status(), "router: starting...");
  model_.Perform(effect);
  EXPECT_EQ(model_.status(), "router: started (running)");
  EXPECT_EQ(backend_.calls,
            (std::vector<std::string>{"list", "start w-netlab-alice-router", "list"}));
  EXPECT_EQ(model_.Render(80, 24).lines[4], "> 2  netlab  router  running");
  EXPECT_EQ(model_.Render(80, 24).lines[23], "router: started (running)");
}

TEST_F(MenuModelTest, ShutdownPowerOffAndTheirTexts) {
  ASSERT_TRUE(model_.Refresh());
  Press('d');
  EXPECT_EQ(model_.status(), "client: shutting down (shut off)");
  Press('p');
  EXPECT_EQ(model_.status(), "client: powered off (shut off)");
  EXPECT_EQ(backend_.calls[1], "shutdown w-netlab-alice-client");
  EXPECT_EQ(backend_.calls[3], "poweroff w-netlab-alice-client");
}

TEST_F(MenuModelTest, BrokerRefusalIsShownAsIs) {
  ASSERT_TRUE(model_.Refresh());
  backend_.errors["w-netlab-alice-client"] = "w-netlab-alice-client is already running";
  Press('s');
  EXPECT_EQ(model_.status(), "client: w-netlab-alice-client is already running");
}

TEST_F(MenuModelTest, RevertNeedsY) {
  ASSERT_TRUE(model_.Refresh());
  Press('2');
  Press('v');
  EXPECT_EQ(model_.mode(), MenuModel::Mode::kConfirmRevert);
  EXPECT_EQ(model_.status(),
            "Revert router to its clean snapshot? Everything written to this VM since it was "
            "deployed will be lost. Type y to confirm, any other key cancels.");
  Frame frame = model_.Render(80, 24);
  EXPECT_EQ(frame.lines[22],
            "Revert router to its clean snapshot? Everything written to this VM since it was");
  EXPECT_EQ(frame.lines[23], "deployed will be lost. Type y to confirm, any other key cancels.");
  Press('y');
  EXPECT_EQ(model_.mode(), MenuModel::Mode::kList);
  EXPECT_EQ(model_.status(), "router: reverted to its clean snapshot (shut off)");
  EXPECT_EQ(backend_.calls[1], "revert w-netlab-alice-router");
}

TEST_F(MenuModelTest, AnyOtherKeyCancelsTheRevertWithoutAskingTheBroker) {
  ASSERT_TRUE(model_.Refresh());
  for (int key : std::vector<int>{'n', 's', kKeyEnter, kKeyEscape, 0x03, 'q'}) {
    Press('v');
    Effect effect = Press(key);
    EXPECT_EQ(effect.kind, Effect::kNone) << key;
    EXPECT_EQ(model_.status(), "client: revert cancelled.") << key;
    EXPECT_EQ(model_.mode(), MenuModel::Mode::kList);
  }
  EXPECT_EQ(backend_.calls, std::vector<std::string>{"list"});
}

TEST_F(MenuModelTest, ShellKeysDoNothingButHint) {
  ASSERT_TRUE(model_.Refresh());
  for (int key : {0x03, 0x1a, 0x1c, 0x04, 0x1d}) {
    Effect effect = Press(key);
    EXPECT_EQ(effect.kind, Effect::kNone) << key;
    EXPECT_EQ(model_.status(), "That key does nothing here (there is no shell). Press q to quit.");
  }
  // Letters that are no menu key do nothing at all.
  for (char key : std::string("uname -a!:h")) EXPECT_EQ(Press(key).kind, Effect::kNone);
  EXPECT_EQ(backend_.calls, std::vector<std::string>{"list"});
  EXPECT_EQ(model_.selected(), 0);
}

TEST_F(MenuModelTest, QQuits) {
  ASSERT_TRUE(model_.Refresh());
  EXPECT_EQ(Press('q').kind, Effect::kQuit);
  EXPECT_EQ(Press('Q').kind, Effect::kQuit);
}

TEST_F(MenuModelTest, ActionsShowTheVmsHostKeysToCheck) {
  for (broker::VmView& vm : backend_.vms) vm.host_keys = {"ED25519 SHA256:abc", "ECDSA SHA256:def"};
  ASSERT_TRUE(model_.Refresh());
  Press('1');
  Press(kKeyEnter);
  Frame frame = model_.Render(80, 24);
  auto at = std::find(frame.lines.begin(), frame.lines.end(),
                      "Its SSH host keys (check them when you connect):");
  ASSERT_NE(at, frame.lines.end());
  ASSERT_LT(at + 2, frame.lines.end());
  EXPECT_EQ(*(at + 1), "  ED25519 SHA256:abc");
  EXPECT_EQ(*(at + 2), "  ECDSA SHA256:def");
}

TEST_F(MenuModelTest, EnterOpensTheActionsAndEscapeCloses) {
  ASSERT_TRUE(model_.Refresh());
  Press('2');
  Press(kKeyEnter);
  EXPECT_EQ(model_.mode(), MenuModel::Mode::kActions);
  Frame frame = model_.Render(80, 24);
  EXPECT_EQ(frame.lines[2], "Actions for router (World netlab of alice, shut off):");
  EXPECT_EQ(frame.lines[4], "  c    Open its console (Ctrl-] returns to the menu)");
  EXPECT_EQ(frame.lines[9], "  Esc  Back to the list");
  EXPECT_EQ(Press('q').kind, Effect::kNone);  // q leaves the panel, not the menu
  EXPECT_EQ(model_.mode(), MenuModel::Mode::kList);
  Press(kKeyEnter);
  Press(kKeyEscape);
  EXPECT_EQ(model_.mode(), MenuModel::Mode::kList);
  Press(kKeyEnter);
  Press('s');
  EXPECT_EQ(model_.mode(), MenuModel::Mode::kList);
  EXPECT_EQ(model_.status(), "router: started (running)");
}

TEST_F(MenuModelTest, ConsoleOnAStoppedVmShowsTheError) {
  ASSERT_TRUE(model_.Refresh());
  Press('2');
  Effect effect = Press('c');
  EXPECT_EQ(effect.kind, Effect::kNone);
  EXPECT_EQ(model_.status(), "router: router is not running: start it first");
}

TEST_F(MenuModelTest, ConsoleOnARunningVmHandsOverTheFd) {
  ASSERT_TRUE(model_.Refresh());
  Effect effect = Press('c');
  ASSERT_EQ(effect.kind, Effect::kConsole);
  EXPECT_EQ(effect.console_fd, 42);
  EXPECT_EQ(effect.vm, "client");
  model_.ConsoleEnded(effect, MenuModel::ConsoleEnd::kUserLeft);
  EXPECT_EQ(model_.status(), "client: left the console.");
  model_.ConsoleEnded(effect, MenuModel::ConsoleEnd::kClosed);
  EXPECT_EQ(model_.status(), "client: the console was closed.");
}

TEST_F(MenuModelTest, UnreachableBrokerIsSaidPlainly) {
  backend_.unreachable = true;
  EXPECT_FALSE(model_.Refresh());
  EXPECT_EQ(model_.status(),
            "The Worlds service is not available right now (cannot reach the broker). Try "
            "again later.");
  backend_.unreachable = false;
  ASSERT_TRUE(model_.Refresh());
  backend_.unreachable = true;
  Press('s');
  EXPECT_EQ(model_.status(),
            "client: The Worlds service is not available right now (cannot reach the broker). "
            "Try again later.");
}

TEST_F(MenuModelTest, ListRefusalAndEmptyList) {
  backend_.list_error = "no user 'alice' in the roster";
  EXPECT_TRUE(model_.Refresh());
  EXPECT_EQ(model_.status(), "no user 'alice' in the roster");
  backend_.list_error.clear();
  backend_.vms.clear();
  EXPECT_TRUE(model_.Refresh());
  EXPECT_EQ(model_.Render(80, 24).lines[2], "No VMs are deployed for you yet.");
  for (int key : std::vector<int>{'s', 'c', 'v', kKeyEnter, kKeyDown}) EXPECT_EQ(Press(key).kind, Effect::kNone);
  EXPECT_EQ(backend_.calls, (std::vector<std::string>{"list", "list"}));
}

TEST_F(MenuModelTest, LongListsScrollToKeepTheSelectionVisible) {
  backend_.vms.clear();
  for (int i = 0; i < 30; ++i) {
    backend_.vms.push_back(Vm("lab", "alice", "vm" + std::string(i < 10 ? "0" : "") +
                                                  std::to_string(i), "running"));
  }
  ASSERT_TRUE(model_.Refresh());
  for (int i = 0; i < 29; ++i) Press(kKeyDown);
  Frame frame = model_.Render(80, 24);
  ASSERT_EQ(frame.lines.size(), 24u);
  ASSERT_GE(frame.highlight, 0);
  EXPECT_EQ(frame.lines[frame.highlight], "> 30  lab  vm29  running");
  for (const std::string& line : frame.lines) EXPECT_LE(line.size(), 80u);
}

TEST_F(MenuModelTest, NarrowScreensCutLines) {
  ASSERT_TRUE(model_.Refresh());
  Frame frame = model_.Render(20, 10);
  ASSERT_EQ(frame.lines.size(), 10u);
  for (const std::string& line : frame.lines) EXPECT_LE(line.size(), 20u);
}

}  // namespace
}  // namespace menu
