// A lab's schedule and idle rule carried out by a real broker on real
// domains: students on a console are warned before a close, an instructor's
// close shuts the lab's running VMs down (powered off after a grace of 0),
// a student's start is then refused with the reason, every step is an
// events row and the menu's list says why; a VM idle for the lab's minute
// with nobody on its console is shut down too.
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <functional>
#include <thread>

#include "broker_client/client.h"
#include "integration/deploy_fixture.h"
#include "store/store.h"
#include "support/accounts.h"

namespace {

using broker::Op;
using Clock = std::chrono::steady_clock;

class LabRulesTest : public it::DeployTest {
 protected:
  std::string Name() const override { return "rules"; }

  void SetUp() override {
    it::DeployTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    roster_ = dir_ + "/roster.csv";
    support::WriteFile(roster_,
                       "username,full_name,group\nwrl1,Rules One,wrl\nwrl2,Rules Two,wrl\n");
    for (const char* user : {"wrl1", "wrl2"}) accounts_.Ensure(user);
    // Open until a close 6 minutes from now, with 10 minutes of warning (so
    // students on a console are warned at once) and no grace; idle after
    // one minute.
    std::time_t close = std::time(nullptr) + 6 * 60;
    char when[32];
    std::strftime(when, sizeof when, "%Y-%m-%d %H:%M", std::gmtime(&close));
    support::WriteFile(lab_file_, it::ReadFile(lab_file_) +
                                      "schedule:\n  timezone: UTC\n  close: " + when +
                                      "\n  warning: 10\n  grace: 0\n"
                                      "idle-shutdown:\n  after: 1\n");
    socket_ = dir_ + "/run/s.sock";
  }

  void TearDown() override {
    if (broker_ > 0) {
      ::kill(broker_, SIGTERM);
      ::waitpid(broker_, nullptr, 0);
    }
    accounts_.RemoveAll();
    it::DeployTest::TearDown();
  }

  std::string Ask(const std::string& user, Op op, const std::string& domain = "") {
    return it::AsUser(user, [&] {
      broker::Client client(socket_);
      broker::Reply reply = client.Call({op, domain});
      if (!reply.ok) return "refused: " + reply.error;
      if (op != Op::kList) return "ok " + reply.state;
      std::string out;
      for (const auto& vm : reply.vms) {
        if (vm.domain == domain) out = vm.state + " | " + vm.note + " | " + vm.lab_state;
      }
      return out;
    });
  }

  // Waits up to `seconds` for `done`.
  static bool Within(int seconds, const std::function<bool()>& done) {
    auto deadline = Clock::now() + std::chrono::seconds(seconds);
    while (Clock::now() < deadline) {
      if (done()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    return done();
  }

  std::vector<store::Event> RulesEvents() {
    std::vector<store::Event> rows;
    auto db = store::Store::Open(state_dir_ + "/state.db");
    for (const store::Event& e : db->Events({})) {
      if (e.actor == "worlds-rules") rows.push_back(e);
    }
    return rows;
  }

  std::string Dom(const char* owner, const char* vm) { return core::DomainName(Lab(), owner, vm); }

  support::StudentAccounts accounts_;
  std::string socket_;
  pid_t broker_ = -1;
};

TEST_F(LabRulesTest, WarnCloseRefuseAndIdleShutdown) {
  it::Run deploy = Deploy();
  ASSERT_EQ(deploy.code, 0) << deploy.out << deploy.err;
  std::string log = dir_ + "/broker.log";
  broker_ = it::SpawnBroker(state_dir_, socket_, log, {"--check-every", "1"});
  ASSERT_GT(broker_, 0) << it::ReadFile(log);

  const std::string one = Dom("wrl1", "router"), two = Dom("wrl2", "router");
  ASSERT_EQ(Ask("wrl1", Op::kStart, one), "ok running");
  ASSERT_EQ(Ask("wrl2", Op::kStart, two), "ok running");
  // The admin's view of it, with the broker asked who is on a console.
  ::setenv("WORLDS_BROKER_SOCKET", socket_.c_str(), 1);
  it::Run top = it::Worlds(Global({"top", "--once"}));
  ::unsetenv("WORLDS_BROKER_SOCKET");
  EXPECT_EQ(top.code, 0) << top.err;
  EXPECT_NE(top.out.find("\n" + Lab() + " 2      4   2       512 MiB 2     -\n"), std::string::npos)
      << top.out;
  EXPECT_EQ(top.out.find("unknown"), std::string::npos) << top.out;

  // The close is 6 minutes away, inside the 10 of warning: wrl2, on the
  // console, is told; then the instructor closes the lab at once.
  std::string seen = it::AsUser("wrl2", [&] {
    broker::Client client(socket_);
    int fd = client.OpenConsole(two);
    std::string text;
    auto deadline = Clock::now() + std::chrono::seconds(30);
    while (Clock::now() < deadline) {
      struct pollfd pfd = {fd, POLLIN, 0};
      if (::poll(&pfd, 1, 500) <= 0) continue;
      char buf[4096];
      ssize_t n = ::read(fd, buf, sizeof buf);
      if (n <= 0) break;
      text.append(buf, n);
      if (text.find("save your work") != std::string::npos) break;
    }
    ::close(fd);
    return text;
  });
  EXPECT_NE(seen.find("[worlds] Lab '" + Lab() + "' closes at "), std::string::npos) << seen;

  it::Run close = it::Worlds(Global({"lab", "close", Lab()}));
  ASSERT_EQ(close.code, 0) << close.out << close.err;
  EXPECT_TRUE(Within(60, [&] { return it::DomState(one) == "shut off" && it::DomState(two) == "shut off"; }))
      << it::DomState(one) << " / " << it::DomState(two) << "\n" << it::ReadFile(log);
  EXPECT_EQ(Ask("wrl1", Op::kStart, one),
            "refused: lab '" + Lab() + "' is closed; ask your instructor");
  EXPECT_EQ(it::DomState(one), "shut off");
  std::string listed = Ask("wrl1", Op::kList, one);
  EXPECT_EQ(listed.rfind("shut off | ", 0), 0u) << listed;
  EXPECT_NE(listed.find(": the lab closed | closed"), std::string::npos) << listed;
  std::vector<store::Event> rows = RulesEvents();
  ASSERT_GE(rows.size(), 2u);
  for (const store::Event& e : rows) {
    EXPECT_EQ(e.detail.rfind("lab '" + Lab() + "' closed", 0), 0u) << e.detail;
    EXPECT_EQ(e.result, "ok");
  }

  // Open again (the schedule's own state, until its close); wrl1's router, left
  // alone with nobody on its console, is shut down after its idle minute.
  ASSERT_EQ(it::Worlds(Global({"lab", "follow-schedule", Lab()})).code, 0);
  ASSERT_EQ(Ask("wrl1", Op::kStart, one), "ok running");
  EXPECT_TRUE(Within(180, [&] { return it::DomState(one) == "shut off"; }))
      << "still " << it::DomState(one) << " after 3 min\n" << it::ReadFile(log);
  rows = RulesEvents();
  ASSERT_FALSE(rows.empty());
  EXPECT_EQ(rows.back().target, one);
  EXPECT_EQ(rows.back().detail.rfind("idle", 0), 0u) << rows.back().detail;
  listed = Ask("wrl1", Op::kList, one);
  EXPECT_NE(listed.find(": idle for 1 min"), std::string::npos) << listed;
}

}  // namespace
